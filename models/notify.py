"""PostgreSQL LISTEN on a connection of its own, kept open and reopened when it drops.

The stream_events trigger (migration 0810) sends NOTIFY when a transaction that wrote events
commits; a streaming process listening here wakes at once instead of at its next poll."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

STREAM_CHANNEL = "backchannel_stream"
LISTENER_NAME = "backchannel-listen"  # its application_name, to tell it apart in pg_stat_activity
CHECK_EVERY = 10.0  # seconds between checks that a quiet connection is still there
RETRY_CAP = 5.0  # seconds: the longest wait between attempts to reconnect


def asyncpg_dsn(url: str) -> str:
    """The libpq-style URL asyncpg takes, from SQLAlchemy's postgresql+asyncpg:// one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: str, channel: str, on_notify: Callable[[], None], *,
                 check_every: float = CHECK_EVERY) -> None:
    """Until cancelled: call on_notify() for every notification on `channel`, and once after every
    (re)connection, since notifications sent while the connection was down are lost: the caller then
    catches up from the table."""
    import asyncpg

    delay = 0.2
    while True:
        try:
            conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10,
                                         server_settings={"application_name": LISTENER_NAME})
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as err:
            log.warning("cannot listen for %s (retrying in %.1f s): %s", channel, delay, err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP)
            continue
        delay = 0.2
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(channel, lambda *_args: on_notify())
            on_notify()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), check_every)
                except asyncio.TimeoutError:
                    await conn.fetchval("SELECT 1", timeout=5)  # a connection dropped silently fails here
            log.warning("the connection listening for %s was closed; reconnecting", channel)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError) as err:
            log.warning("the connection listening for %s failed (%s); reconnecting", channel, err)
        finally:
            conn.terminate()
