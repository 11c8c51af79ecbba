"""Events for the streaming API, written as rows in the same transaction as what they announce.

So an event is never sent for something that was rolled back, and every API process over the same
database (SQLite or PostgreSQL) sees every event: the streaming endpoints tail this table
(api.streaming). Rows are short-lived; `prune` removes old ones.

Streams (the `stream` column):
- `user:<account id>`: `update` (a status entered the account's home timeline), `notification`,
  `delete` (a status the account had in its home timeline is gone), `filters_changed` (no ref);
- `public`: `update` for a new public or local-only original status, `delete` when one goes;
- `direct`: `conversation` for a new direct status (the reader checks who may see it);
- `status`: `status.update` when a status's content changes (the reader checks who may see it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.rows import insert_many
from models.schema import stream_events

# How long rows stay: longer than any reader's look-back window, short enough to keep the table tiny.
KEEP_SECONDS = 300.0


@dataclass(frozen=True)
class StreamEvent:
    id: int
    stream: str
    event: str
    ref_id: int | None
    created_at: float


def user_stream(account_id: int) -> str:
    return f"user:{account_id}"


async def emit(conn: AsyncConnection, stream: str, event: str, ref_id: int | None = None) -> None:
    await conn.execute(insert(stream_events), {"id": new_id(), "stream": stream, "event": event, "ref_id": ref_id,
                                               "created_at": time.time()})


async def emit_each(conn: AsyncConnection, stream: str, event: str, ref_ids: list[int]) -> None:
    """One event on one stream for each of several statuses, in one statement."""
    await emit_rows(conn, [(stream, event, ref_id) for ref_id in ref_ids])


async def emit_many(conn: AsyncConnection, streams: Iterable[str], event: str, ref_id: int | None) -> None:
    """One event on several streams (a status entering many home timelines), in one statement."""
    await emit_rows(conn, [(s, event, ref_id) for s in dict.fromkeys(streams)])


async def emit_rows(conn: AsyncConnection, events: list[tuple[str, str, int | None]]) -> None:
    """Events given as (stream, event, ref id), in one statement."""
    now = time.time()
    if events:
        await insert_many(conn, stream_events, [
            {"id": new_id(), "stream": stream, "event": event, "ref_id": ref_id, "created_at": now}
            for stream, event, ref_id in events])


async def since(conn: AsyncConnection, after_id: int, *, limit: int = 1000) -> list[StreamEvent]:
    """Events with an id above `after_id`, oldest first."""
    rows = (await conn.execute(select(stream_events).where(stream_events.c.id > after_id)
                               .order_by(stream_events.c.id).limit(limit))).all()
    return [StreamEvent(r.id, r.stream, r.event, r.ref_id, r.created_at) for r in rows]


PRUNE_BATCH = 2000


async def prune(conn: AsyncConnection, older_than: float, limit: int = PRUNE_BATCH) -> int:
    """Forget up to `limit` events older than `older_than`; returns how many (callers repeat, each
    batch in its own short transaction)."""
    oldest = (select(stream_events.c.id).where(stream_events.c.created_at < older_than)
              .order_by(stream_events.c.id).limit(limit).scalar_subquery())
    return (await conn.execute(delete(stream_events).where(stream_events.c.id.in_(oldest)))).rowcount
