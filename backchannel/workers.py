"""The queue workers: each claims due rows from its table and hands them to its processor."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from sqlalchemy import Table, update

from backchannel.runtime import Runtime
from inbox import worker as inbox_worker
from models import queues
from models.schema import deliveries, fanouts, inbox_items
from outbox import delivery, fanout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    name: str
    table: Table
    process: Callable[[Runtime, object], Awaitable[None]]
    batch: int
    concurrent: bool
    lock_seconds: float


def queues_for(rt: Runtime) -> list[Queue]:
    return [
        # Inbound activities are applied in arrival order: a Delete must not overtake its Create.
        Queue("inbox", inbox_items, inbox_worker.process, batch=20, concurrent=False, lock_seconds=300),
        Queue("fanout", fanouts, fanout.process, batch=10, concurrent=False, lock_seconds=120),
        Queue("delivery", deliveries, delivery.process, batch=rt.config.delivery_concurrency,
              concurrent=True, lock_seconds=rt.config.request_timeout * 3 + 30),
    ]


async def run_queue(rt: Runtime, queue: Queue, *, poll: float = 1.0) -> None:
    wake = rt.wakeups[queue.name]
    while True:
        wake.clear()
        try:
            rows = await rt.db.claim(queue.table, limit=queue.batch, lock_seconds=queue.lock_seconds)
        except Exception:  # noqa: BLE001 - the database may be briefly unavailable; keep the worker alive
            log.exception("%s worker cannot claim work", queue.name)
            await asyncio.sleep(5)
            continue
        if rows:
            if queue.concurrent:
                await asyncio.gather(*(_one(rt, queue, row) for row in rows))
            else:
                for row in rows:
                    await _one(rt, queue, row)
            continue
        try:
            await asyncio.wait_for(wake.wait(), timeout=poll)
        except asyncio.TimeoutError:
            pass


async def _one(rt: Runtime, queue: Queue, row) -> None:  # noqa: ANN001
    try:
        await queue.process(rt, row)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the row stays locked and is retried when its lock expires
        log.exception("%s worker failed on row %s", queue.name, row.id)


async def release_locks(rt: Runtime) -> None:
    """In one-process mode nobody else holds locks: rows claimed by a process that died are due now."""
    async with rt.db.write() as conn:
        for table in (inbox_items, fanouts, deliveries):
            await conn.execute(update(table).where(table.c.state == "pending", table.c.locked_until.is_not(None))
                               .values(locked_until=None))


async def prune(rt: Runtime) -> None:
    while True:
        await asyncio.sleep(3600)
        try:
            async with rt.db.write() as conn:
                await queues.prune_inbox(conn, time.time() - 14 * 24 * 3600)
        except Exception:  # noqa: BLE001
            log.exception("pruning the inbox failed")


def start(rt: Runtime) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(run_queue(rt, q), name=f"worker-{q.name}") for q in queues_for(rt)]
    tasks.append(asyncio.create_task(prune(rt), name="prune"))
    return tasks
