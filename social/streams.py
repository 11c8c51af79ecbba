"""Housekeeping of the stream_events table that carries streaming events between processes."""
from __future__ import annotations

import time

from federation.runtime import Runtime
from models import stream_events


async def prune_events(rt: Runtime) -> None:
    """Forget events older than any listener can still be waiting for (stream_events.KEEP_SECONDS)."""
    older_than = time.time() - stream_events.KEEP_SECONDS
    await rt.db.prune(lambda conn: stream_events.prune(conn, older_than), stream_events.PRUNE_BATCH)
