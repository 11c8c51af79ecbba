"""PostgreSQL LISTEN/NOTIFY for streaming: a committed stream event wakes a listener at once (the
trigger of migration 0811), and a listener whose connection is cut listens again by itself."""
from __future__ import annotations

import asyncio
import time

from backchannel.config import database_url
from models import notify, stream_events
from models.db import Database
from models.migrate import upgrade


async def test_a_committed_event_wakes_the_listener_and_a_cut_connection_is_reopened(postgres_url):
    db = Database(database_url(postgres_url, "."))
    await upgrade(db)
    woken = asyncio.Event()
    wakeups: list[float] = []

    def on_notify() -> None:
        wakeups.append(time.monotonic())
        woken.set()

    listener = asyncio.create_task(notify.listen(db.url, notify.STREAM_CHANNEL, on_notify, check_every=0.5))
    try:
        # Given a listener (it is woken once on connecting, to catch up)
        await asyncio.wait_for(woken.wait(), 10)
        woken.clear()

        async def event_arrives() -> float:
            async with db.write() as conn:
                await stream_events.emit(conn, "public", "update", 1)
                await asyncio.sleep(0.2)
                assert not woken.is_set()  # nothing before the transaction commits
            committed = time.monotonic()
            await asyncio.wait_for(woken.wait(), 5)
            woken.clear()
            return wakeups[-1] - committed

        # When a transaction writes a stream event and commits, Then the listener wakes within 100 ms
        assert await event_arrives() < 0.1
        # When its connection is cut from the server side
        async with db.write() as conn:
            from sqlalchemy import text

            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND application_name = :name"),
                               {"name": notify.LISTENER_NAME})
        # Then it connects again (and wakes, to catch up), and the next event wakes it at once
        await asyncio.wait_for(woken.wait(), 10)
        woken.clear()
        assert await event_arrives() < 0.1
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await db.dispose()
