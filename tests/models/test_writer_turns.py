"""SQLite has one writer: an urgent writer (the inbox storing what it accepted) goes before every
writer still waiting, so it waits for at most the transaction in progress."""
import asyncio

from models.db import WriterTurns


async def test_an_urgent_writer_goes_before_those_waiting_and_a_cancelled_one_holds_nothing():
    turns, order = WriterTurns(enabled=True), []

    async def write(name, urgent, hold=0.01):
        async with turns.turn(urgent):
            order.append(name)
            await asyncio.sleep(hold)

    # Given a transaction in progress and three writers waiting for their turn
    first = asyncio.create_task(write("in progress", False, hold=0.05))
    await asyncio.sleep(0.01)
    waiting = [asyncio.create_task(write(f"worker {n}", False)) for n in range(3)]
    await asyncio.sleep(0)
    # When an urgent writer arrives, and another urgent one gives up while waiting
    gave_up = asyncio.create_task(write("gave up", True))
    await asyncio.sleep(0)
    gave_up.cancel()
    urgent = asyncio.create_task(write("urgent", True))
    await asyncio.gather(first, *waiting, urgent)
    # Then the urgent one writes next, then the others in arrival order, and the turn is free again
    assert order == ["in progress", "urgent", "worker 0", "worker 1", "worker 2"]
    async with asyncio.timeout(1):
        async with turns.turn(False):
            pass


async def test_a_writer_waiting_for_another_process_lock_does_not_stop_the_event_loop(tmp_path):
    """The writer calls sqlite3 on the loop's thread: while another process holds the write lock,
    BEGIN IMMEDIATE is retried through the loop (models.db), which keeps running meanwhile."""
    import sqlite3

    from sqlalchemy import text

    from models.db import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3", sqlite_busy_timeout_ms=10_000)
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    # Given another connection (another process, say) holding the write lock
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write():
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))

    ticker = asyncio.create_task(tick())
    writing = asyncio.create_task(write())
    # When our writer waits for it
    await asyncio.sleep(0.3)
    assert not writing.done()
    # Then the loop went on meanwhile, and the write goes through once the lock is let go
    assert ticks >= 10
    other.execute("COMMIT")
    async with asyncio.timeout(5):
        await writing
    ticker.cancel()
    other.close()
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all() == [1, 2]
    await db.dispose()
