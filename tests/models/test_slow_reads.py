"""On SQLite, ordinary reads run on the event loop's thread (models.sqlite_direct: no thread hop per
statement), so a read that takes long would stop every other request; reads marked slow (full-text
search, expert ranking) run in aiosqlite's thread instead and leave the loop free."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import event, text

from models.db import Database


def _with_sleep(engine) -> None:  # noqa: ANN001
    """A SQL function that blocks its thread, as a search over a big index does."""
    @event.listens_for(engine.sync_engine, "connect")
    def register(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.create_function("block_ms", 1, lambda ms: time.sleep(ms / 1000) or 1)


async def _ticks_during(db: Database, *, slow: bool) -> int:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    ticks = 0
    async with db.read(slow=slow) as conn:
        await conn.execute(text("SELECT block_ms(500)"))
    running.cancel()
    return ticks


async def test_a_slow_read_leaves_the_loop_free(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3")
    _with_sleep(db.reader)
    _with_sleep(db.slow_reader)
    try:
        assert await _ticks_during(db, slow=False) <= 2  # the direct reader holds the loop
        assert await _ticks_during(db, slow=True) >= 5  # the slow one does not (about 40 ticks when idle)
    finally:
        await db.dispose()
