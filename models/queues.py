"""Durable work queues in tables: the inbox, fan-out jobs and outgoing deliveries.

Rows are claimed with Database.claim (a lock that expires), then marked done, rescheduled or failed.
Finished rows are deleted, except inbox items: their activity id is how a duplicate is recognised.
"""
from __future__ import annotations

import json
import random
import time

from typing import Sequence

from sqlalchemy import Table, and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.db import Database
from models.ids import new_id
from models.schema import deliveries, fanouts, inbox_items


def _queued(now: float) -> dict:
    return {"state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


async def enqueue_inbox(conn: AsyncConnection, *, activity_uri: str, actor_uri: str, origin: str, body: str,
                        recipient_account_id: int | None) -> bool:
    """Store a verified activity once; False when this activity id was already received. `origin`
    is the actor's host: one origin's activities are applied one at a time, in arrival order."""
    now = time.time()
    values = dict(id=new_id(), activity_uri=activity_uri, actor_uri=actor_uri, origin=origin[:255], body=body,
                  recipient_account_id=recipient_account_id, **_queued(now))
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(inbox_items).values(**values).on_conflict_do_nothing(
        index_elements=["activity_uri"])
    return (await conn.execute(stmt)).rowcount == 1


async def enqueue_fanout(conn: AsyncConnection, payload: dict) -> int:
    fanout_id = new_id()
    await conn.execute(insert(fanouts).values(id=fanout_id, payload=json.dumps(payload),
                                              **_queued(time.time())))
    return fanout_id


async def enqueue_deliveries(conn: AsyncConnection, *, inboxes, body: str, signer_account_id: int) -> int:  # noqa: ANN001
    now = time.time()
    rows = [dict(id=new_id(), inbox_url=inbox, body=body, signer_account_id=signer_account_id,
                 **_queued(now)) for inbox in dict.fromkeys(inboxes)]
    if rows:
        await conn.execute(insert(deliveries), rows)
    return len(rows)


def _claim_inbox_statement(sqlite: bool):  # noqa: ANN202
    """The fair claim of claim_inbox, built once per dialect with bound parameters: building and
    cache-keying this statement on every claim cost a third of the node's CPU under inbound load."""
    t = inbox_items
    now = bindparam("claim_now")

    def due(items):  # noqa: ANN001, ANN202
        return and_(items.c.state == "pending", items.c.next_attempt_at <= now,
                    or_(items.c.locked_until.is_(None), items.c.locked_until < now))

    # The origins with pending items, walked one index probe each (a loose index scan), so a claim
    # costs a few probes per origin however long any one origin's backlog is.
    first = select(func.min(t.c.origin).label("origin")).where(t.c.state == "pending")
    origins = first.cte("pending_origins", recursive=True)
    later = t.alias("later")
    origins = origins.union_all(
        select(select(func.min(later.c.origin)).where(later.c.state == "pending", later.c.origin > origins.c.origin)
               .scalar_subquery()).where(origins.c.origin.is_not(None)))
    head, inflight = t.alias("head"), t.alias("inflight")
    oldest_due = select(func.min(head.c.id)).where(head.c.origin == origins.c.origin, due(head)).scalar_subquery()
    busy = exists().where(inflight.c.state == "pending", inflight.c.origin == origins.c.origin,
                          inflight.c.locked_until >= now)
    heads = select(oldest_due).where(origins.c.origin.is_not(None), ~busy)
    pick = select(t.c.id).where(t.c.id.in_(heads)).order_by(t.c.next_attempt_at, t.c.id).limit(bindparam("claim_limit"))
    if not sqlite:
        # `due` again on the claimed table itself, so PostgreSQL re-checks it on a row another worker
        # claimed while this statement ran (SKIP LOCKED skips only claims not yet committed). SQLite
        # runs one writer at a time, and without it looks rows up by id instead of scanning.
        pick = pick.where(due(t)).with_for_update(skip_locked=True)
    return (update(t).where(t.c.id.in_(pick.scalar_subquery()))
            .values(locked_until=bindparam("claim_until"), attempts=t.c.attempts + 1)
            .returning(*t.c))


_CLAIM_INBOX = {"sqlite": _claim_inbox_statement(True), "postgresql": _claim_inbox_statement(False)}


async def claim_inbox(db: Database, *, limit: int, lock_seconds: float, finished: Sequence[int] = (),
                      now: float | None = None) -> Sequence:
    """Mark `finished` items done, then take up to `limit` due items, at most one per origin, in one
    transaction.

    Fair share: each claim takes the oldest due item of every origin that has none in flight, oldest
    heads first, so a backlog from one origin never queues another origin's work behind it. An
    origin with an item in flight gets nothing more until it finishes: its activities keep their
    order (a Delete never overtakes its Create). A row due for a retry does not hold its origin back.
    """
    now = time.time() if now is None else now
    stmt = _CLAIM_INBOX["sqlite" if db.is_sqlite else "postgresql"]
    params = {"claim_now": now, "claim_until": now + lock_seconds, "claim_limit": limit}
    async with db.write() as conn:
        await finish_inbox_items(conn, list(finished))
        rows = (await conn.execute(stmt, params)).all() if limit > 0 else []
    return sorted(rows, key=lambda row: row.id)  # RETURNING keeps no order


async def finish(conn: AsyncConnection, table: Table, row_id: int) -> None:
    if table is inbox_items:
        await finish_inbox_items(conn, [row_id])
    else:
        await conn.execute(delete(table).where(table.c.id == row_id))


async def finish_inbox_items(conn: AsyncConnection, ids: list[int]) -> None:
    """Mark applied inbox items done; their activity ids stay, to recognise a duplicate."""
    if ids:
        await conn.execute(update(inbox_items).where(inbox_items.c.id.in_(ids))
                           .values(state="done", locked_until=None, body=""))


async def give_up(conn: AsyncConnection, table: Table, row_id: int, error: str) -> None:
    await conn.execute(update(table).where(table.c.id == row_id)
                       .values(state="failed", locked_until=None, last_error=error[:2000]))


async def retry_later(conn: AsyncConnection, table: Table, row_id: int, error: str, delay: float, *,
                      refund_attempt: bool = False) -> None:
    """Reschedule; `refund_attempt` when the claim led to no attempt at all (a wait, not a failure)."""
    values = dict(locked_until=None, last_error=error[:2000], next_attempt_at=time.time() + delay)
    if refund_attempt:
        values["attempts"] = table.c.attempts - 1
    await conn.execute(update(table).where(table.c.id == row_id).values(**values))


def backoff(attempts: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential backoff with ±25 % jitter, capped; a peer's Retry-After is a floor."""
    delay = min(cap, base * (2 ** max(attempts - 1, 0)))
    delay *= random.uniform(0.75, 1.25)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


async def pending_count(conn: AsyncConnection, table: Table) -> int:
    from sqlalchemy import func

    return (await conn.execute(select(func.count()).select_from(table)
                               .where(table.c.state == "pending"))).scalar_one()


async def prune_inbox(conn: AsyncConnection, older_than: float) -> None:
    """Forget processed activity ids after a while; a replay that old fails the date check anyway."""
    await conn.execute(delete(inbox_items).where(inbox_items.c.state != "pending",
                                                 inbox_items.c.created_at < older_than))
