"""The thread-fetch queue (social.threads): remote ancestors to fetch and replies collections to walk.

One row per (kind, uri). Asking again for a job already queued does nothing; a `replies` row that
finished stays, its `fetched_at` saying when the collection was last walked, and is queued again
only once that is older than the caller's freshness.
"""
from __future__ import annotations

import time

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.schema import thread_fetches

MAX_URI = 2000  # longer ids are nobody's post; and an index entry has a size limit on PostgreSQL


def _insert(conn: AsyncConnection):  # noqa: ANN202
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(thread_fetches)


def _row(kind: str, uri: str, depth: int, now: float) -> dict:
    return dict(id=new_id(), kind=kind, uri=uri, depth=depth, state="pending", attempts=0,
                next_attempt_at=now, created_at=now)


async def queue_ancestor(conn: AsyncConnection, uri: str, depth: int) -> bool:
    """Fetch the post `uri` (a reply's missing parent), `depth` hops above the first reply. False
    when it was asked for before (it is queued, done or given up)."""
    if len(uri) > MAX_URI:
        return False
    stmt = _insert(conn).values(**_row("ancestor", uri, depth, time.time())).on_conflict_do_nothing(
        index_elements=["kind", "uri"])
    return (await conn.execute(stmt)).rowcount == 1


async def stale_replies(conn: AsyncConnection, uris: list[str], fresh_seconds: float) -> list[str]:
    """Which of `uris` have a replies collection not walked (nor queued) in the last `fresh_seconds`."""
    uris = [u for u in dict.fromkeys(uris) if len(u) <= MAX_URI]
    if not uris:
        return []
    fresh = set((await conn.execute(select(thread_fetches.c.uri).where(
        thread_fetches.c.kind == "replies", thread_fetches.c.uri.in_(uris),
        or_(thread_fetches.c.state == "pending",
            thread_fetches.c.fetched_at >= time.time() - fresh_seconds)))).scalars())
    return [u for u in uris if u not in fresh]


async def queue_replies(conn: AsyncConnection, uris: list[str], depth: int, fresh_seconds: float) -> int:
    """Walk the replies collections of the posts `uris`, unless walked in the last `fresh_seconds`
    or queued already. How many were queued."""
    now = time.time()
    uris = [u for u in dict.fromkeys(uris) if len(u) <= MAX_URI]
    if not uris:
        return 0
    stmt = _insert(conn).values([_row("replies", u, depth, now) for u in uris])
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "uri"],
        set_=dict(state="pending", attempts=0, next_attempt_at=now, locked_until=None, depth=excluded.depth),
        where=and_(thread_fetches.c.state != "pending",
                   or_(thread_fetches.c.fetched_at.is_(None), thread_fetches.c.fetched_at < now - fresh_seconds)))
    return (await conn.execute(stmt)).rowcount


async def done(conn: AsyncConnection, row_id: int) -> None:
    await conn.execute(update(thread_fetches).where(thread_fetches.c.id == row_id).values(
        state="done", locked_until=None, last_error=None, fetched_at=time.time()))


async def prune(conn: AsyncConnection, older_than: float) -> int:
    """Forget finished jobs last touched before `older_than`: a fetched ancestor is a stored post by
    then, and a walk that old is stale anyway. How many."""
    result = await conn.execute(delete(thread_fetches).where(
        thread_fetches.c.state != "pending",
        func.coalesce(thread_fetches.c.fetched_at, thread_fetches.c.next_attempt_at) < older_than))
    return result.rowcount or 0
