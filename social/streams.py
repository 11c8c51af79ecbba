"""Housekeeping of the stream_events table that carries streaming events between processes."""
from __future__ import annotations

import asyncio
import time

from federation.runtime import Runtime
from models import stream_events


async def prune_events(rt: Runtime) -> None:
    """Forget events older than any listener can still be waiting for (stream_events.KEEP_SECONDS)."""
    older_than = time.time() - stream_events.KEEP_SECONDS
    while True:  # short transactions, the loop free between them
        async with rt.db.write() as conn:
            forgotten = await stream_events.prune(conn, older_than)
        if forgotten < stream_events.PRUNE_BATCH:
            return
        await asyncio.sleep(0)
