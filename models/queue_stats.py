"""What the queues hold, for /metrics and `backchannel queue status`, and putting dead letters back.

A dead letter is a row given up on (state "failed"); it stays in its table with its last error
until an operator retries it. Read in one statement for every queue, from the (state, next attempt)
index each queue table has, so a scrape costs one round trip whatever the backlog.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Table, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import deliveries, fanouts, inbox_items, preview_cards, push_deliveries, thread_fetches

QUEUES: dict[str, Table] = {"inbox": inbox_items, "fanout": fanouts, "delivery": deliveries,
                            "push": push_deliveries, "threads": thread_fetches, "cards": preview_cards}


@dataclass(frozen=True)
class QueueStats:
    name: str
    pending: int  # waiting to be processed, due now or later
    due: int  # of those, due now (not waiting for a retry)
    oldest_pending_at: float | None  # when the oldest waiting row was queued
    dead: int  # given up on


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    id: int
    attempts: int
    created_at: float
    last_error: str
    target: str  # a delivery's inbox, an inbound activity's id; empty for the others


async def stats(conn: AsyncConnection, now: float | None = None) -> list[QueueStats]:
    now = time.time() if now is None else now
    parts = []
    for name, table in QUEUES.items():
        waiting = table.c.state == "pending"
        parts.append(select(literal(name).label("queue"), func.count().label("pending"),
                            func.count().filter(table.c.next_attempt_at <= now).label("due"),
                            func.min(table.c.created_at).label("oldest"), literal(0).label("dead"))
                     .where(waiting))
        parts.append(select(literal(name), literal(0), literal(0), literal(None), func.count())
                     .where(table.c.state == "failed"))
    found: dict[str, dict] = {name: {"pending": 0, "due": 0, "oldest": None, "dead": 0} for name in QUEUES}
    for row in (await conn.execute(union_all(*parts))).all():
        entry = found[row.queue]
        entry["pending"] += row.pending or 0
        entry["due"] += row.due or 0
        entry["dead"] += row.dead or 0
        if row.oldest is not None:
            entry["oldest"] = row.oldest
    return [QueueStats(name, e["pending"], e["due"], e["oldest"], e["dead"]) for name, e in found.items()]


async def dead_letters(conn: AsyncConnection, queue: str | None = None, limit: int = 20) -> list[DeadLetter]:
    """The most recent dead letters of each queue (or of one)."""
    letters: list[DeadLetter] = []
    for name, table in QUEUES.items():
        if queue not in (None, name):
            continue
        target = (table.c.inbox_url if table is deliveries else table.c.activity_uri if table is inbox_items
                  else table.c.uri if table is thread_fetches else table.c.url if table is preview_cards
                  else literal(""))
        rows = (await conn.execute(
            select(table.c.id, table.c.attempts, table.c.created_at, table.c.last_error, target.label("target"))
            .where(table.c.state == "failed").order_by(table.c.id.desc()).limit(limit))).all()
        letters += [DeadLetter(name, r.id, r.attempts, r.created_at, r.last_error or "", r.target or "")
                    for r in rows]
    return letters


async def retry(conn: AsyncConnection, queue: str, *, ids: Sequence[int] | None = None) -> int:
    """Put dead letters (all of a queue's, or those `ids`) back in the queue, due now, with their
    attempts counted from zero and queued anew (so a delivery's give-up period starts again); rows
    that are not dead are left alone. Returns how many."""
    table = QUEUES[queue]
    now = time.time()
    stmt = (update(table).where(table.c.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=now, locked_until=None, created_at=now))
    if ids is not None:
        stmt = stmt.where(table.c.id.in_(list(ids)))
    return (await conn.execute(stmt)).rowcount or 0
