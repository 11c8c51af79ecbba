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
