"""Storing what the inbox accepts, in batches: the activities accepted while one write is under way
are stored together by the next (one transaction, one multi-row insert), and each sender gets its
202 only once the transaction holding its activity has committed, so a crash after a 202 loses
nothing. The writes are `urgent` (models.db): on SQLite they wait for at most the transaction in
progress, never behind the inbox worker's queue of writes."""
from __future__ import annotations

import asyncio

from models import queues
from models.db import Database


class Intake:
    def __init__(self, db: Database):
        self.db = db
        self._queued: list[tuple[dict, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def store(self, **item) -> None:  # noqa: ANN003 - the columns of models.queues.enqueue_inbox
        """Return once `item` is stored (or was stored before: same activity id)."""
        stored = asyncio.get_running_loop().create_future()
        self._queued.append((item, stored))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        await stored

    async def _write_all(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    async with self.db.write(urgent=True) as conn:
                        await queues.enqueue_inbox_many(conn, [item for item, _ in batch])
                except Exception as err:  # noqa: BLE001 - each waiting request answers with it
                    for _, stored in batch:
                        if not stored.done():
                            stored.set_exception(err)
                else:
                    for _, stored in batch:
                        if not stored.done():
                            stored.set_result(None)
        finally:
            self._writer = None
