"""Durable work queues in tables: the inbox, fan-out jobs and outgoing deliveries.

Rows are claimed with Database.claim (a lock that expires), then marked done, rescheduled or failed.
Finished rows are deleted, except inbox items: their activity id is how a duplicate is recognised.
"""
from __future__ import annotations

import json
import random
import time

from typing import Sequence

from sqlalchemy import BigInteger, Boolean, Float, String, Table, bindparam, column, delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.rows import execute, fetch, ids_in
from models.db import Database, redoable
from models.ids import new_id
from models.schema import deliveries, fanouts, inbox_items


def _queued(now: float) -> dict:
    return {"state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


async def enqueue_inbox(conn: AsyncConnection, *, activity_uri: str, actor_uri: str, origin: str, body: str,
                        recipient_account_id: int | None) -> bool:
    """Store a verified activity once; False when this activity id was already received. `origin`
    is the actor's host: see claim_inbox for the order activities are applied in."""
    return (await conn.execute(_insert_inbox(conn), _inbox_row(
        activity_uri=activity_uri, actor_uri=actor_uri, origin=origin, body=body,
        recipient_account_id=recipient_account_id, now=time.time()))).rowcount == 1


async def enqueue_inbox_many(conn: AsyncConnection, items: list[dict]) -> None:
    """enqueue_inbox for several activities (the keyword arguments of each), in one statement."""
    now = time.time()
    if items:
        await execute(conn, _insert_inbox(conn), [_inbox_row(**item, now=now) for item in items])


def _inbox_row(*, activity_uri: str, actor_uri: str, origin: str, body: str, recipient_account_id: int | None,
               now: float) -> dict:
    return dict(id=new_id(), activity_uri=activity_uri, actor_uri=actor_uri, origin=origin[:255], body=body,
                recipient_account_id=recipient_account_id, locked_until=None, last_error=None, **_queued(now))


# Built once (every accepted activity is stored with one), for each dialect.
_INSERT_INBOX = {name: dialect_insert(inbox_items).on_conflict_do_nothing(index_elements=["activity_uri"])
                 for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}


def _insert_inbox(conn: AsyncConnection):  # noqa: ANN202
    return _INSERT_INBOX[conn.dialect.name]


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


# The inbox claim reads, for every origin with pending items, its first few items that are due or
# in flight (retries waiting for their time are skipped: they hold nothing back), then picks in
# Python. Origins are walked one index probe each (a loose index scan) and each origin's items one
# probe each, so a claim costs a few probes per origin however long any one origin's backlog is.
_INBOX_WINDOW = text("""
WITH RECURSIVE origins(origin) AS (
    SELECT min(origin) FROM inbox_items WHERE state = 'pending'
    UNION ALL
    SELECT (SELECT min(later.origin) FROM inbox_items AS later
            WHERE later.state = 'pending' AND later.origin > origins.origin)
    FROM origins WHERE origins.origin IS NOT NULL
), walk(origin, id, depth) AS (
    SELECT origin, (SELECT min(w.id) FROM inbox_items AS w
                    WHERE w.state = 'pending' AND w.origin = origins.origin
                      AND (w.next_attempt_at <= :now OR w.locked_until >= :now)), 1
    FROM origins WHERE origins.origin IS NOT NULL
    UNION ALL
    SELECT walk.origin, (SELECT min(w.id) FROM inbox_items AS w
                         WHERE w.state = 'pending' AND w.origin = walk.origin AND w.id > walk.id
                           AND (w.next_attempt_at <= :now OR w.locked_until >= :now)), walk.depth + 1
    FROM walk WHERE walk.id IS NOT NULL AND walk.depth < :window
)
SELECT item.id, item.origin, item.actor_uri, item.next_attempt_at,
       item.locked_until IS NOT NULL AND item.locked_until >= :now AS in_flight
FROM walk JOIN inbox_items AS item ON item.id = walk.id
""").columns(column("id", BigInteger), column("origin", String), column("actor_uri", String),
             column("next_attempt_at", Float), column("in_flight", Boolean))


_LOCK_INBOX = update(inbox_items).where(ids_in(inbox_items.c.id)).values(
    locked_until=bindparam("until"), attempts=inbox_items.c.attempts + 1).returning(*inbox_items.c)
# PostgreSQL: claims race for real. The picked items are offered in order and the first `limit`
# that nobody else holds are taken (SKIP LOCKED skips claims not yet committed, and `due` is checked
# again on each row, so one claimed or finished since the window was read is passed over).
_LOCK_INBOX_PG = text("""
UPDATE inbox_items SET locked_until = :until, attempts = inbox_items.attempts + 1
WHERE inbox_items.id IN (
    SELECT item.id FROM inbox_items AS item
    JOIN unnest(CAST(:ids AS BIGINT[])) WITH ORDINALITY AS offered(id, rank) ON offered.id = item.id
    WHERE item.state = 'pending' AND item.next_attempt_at <= :now
      AND (item.locked_until IS NULL OR item.locked_until < :now)
    ORDER BY offered.rank LIMIT :limit
    FOR UPDATE OF item SKIP LOCKED)
RETURNING *
""")


def _pick_inbox(window: Sequence, *, per_origin: int) -> list[int]:
    """Which of the window's items to start: in each origin, the first item of each actor with
    nothing in flight (an actor's activities run one at a time, in arrival order: a Delete never
    overtakes its Create, an Undo never overtakes its Like), at most `per_origin` in flight per
    origin; taken round-robin over origins, oldest first, so one origin never fills every slot."""
    by_origin: dict[str, list] = {}
    for row in sorted(window, key=lambda r: r.id):
        by_origin.setdefault(row.origin, []).append(row)
    levels: list[list] = []
    for rows in by_origin.values():
        room = per_origin - sum(1 for r in rows if r.in_flight)
        seen: set[str] = set()
        startable = []
        for row in rows:
            if row.actor_uri not in seen and not row.in_flight:
                startable.append(row)
            seen.add(row.actor_uri)
        for level, row in enumerate(startable[:max(room, 0)]):
            if len(levels) <= level:
                levels.append([])
            levels[level].append(row)
    picked = [row for level in levels for row in sorted(level, key=lambda r: (r.next_attempt_at, r.id))]
    return [row.id for row in picked]


async def claim_inbox(db: Database, *, limit: int, lock_seconds: float, finished: Sequence[int] = (),
                      per_origin: int = 1, now: float | None = None, look_first: bool = True) -> Sequence:
    """Mark `finished` items done, then take up to `limit` due items in one transaction.

    Fair share: an origin gets at most `per_origin` items in flight, and each claim deals items out
    one origin at a time (oldest heads first), so a backlog from one origin never queues another
    origin's work behind it. Within an origin, one actor's activities run one at a time in arrival
    order (a Delete never overtakes its Create); different actors of one origin run side by side.
    A row waiting for a retry holds nobody back. `look_first`: as for Database.claim (an item the
    window may pick is one Database.due finds).
    """
    now = time.time() if now is None else now
    if look_first and not finished and (limit <= 0 or not await db.due(inbox_items, now)):
        return []
    with redoable():  # bookkeeping: a lost claim or mark is made again (models.db.redoable)
        async with db.write() as conn:
            await finish_inbox_items(conn, list(finished))
            if limit <= 0:
                return []
            window = await fetch(conn, _INBOX_WINDOW, {"now": now, "window": 2 * per_origin + 2})
            ids = _pick_inbox(window, per_origin=per_origin)
            if not ids:
                return []
            until = now + lock_seconds
            if db.is_sqlite:  # one writer at a time: what this transaction read still holds
                rows = await fetch(conn, _LOCK_INBOX, {"ids": ids[:limit], "until": until})
            else:
                rows = (await conn.execute(_LOCK_INBOX_PG, {"ids": ids, "until": until, "now": now,
                                                            "limit": limit})).all()
    return sorted(rows, key=lambda row: row.id)  # RETURNING keeps no order


async def finish(conn: AsyncConnection, table: Table, row_id: int) -> None:
    if table is inbox_items:
        await finish_inbox_items(conn, [row_id])
    else:
        await conn.execute(delete(table).where(table.c.id == row_id))


_FINISH_INBOX = update(inbox_items).where(ids_in(inbox_items.c.id)).values(state="done", locked_until=None, body="")


async def finish_inbox_items(conn: AsyncConnection, ids: list[int]) -> None:
    """Mark applied inbox items done; their activity ids stay, to recognise a duplicate."""
    if ids:
        await execute(conn, _FINISH_INBOX, {"ids": ids})


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


# Rows a housekeeping delete removes per transaction: on SQLite writes run on the event loop's
# thread, so one delete of a busy week's rows would stop every request while it ran.
PRUNE_BATCH = 2000


async def prune_inbox(conn: AsyncConnection, older_than: float, limit: int = PRUNE_BATCH) -> int:
    """Forget up to `limit` processed activity ids older than `older_than` (a replay that old fails
    the date check anyway); returns how many were forgotten."""
    oldest = (select(inbox_items.c.id).where(inbox_items.c.state != "pending", inbox_items.c.created_at < older_than)
              .limit(limit).scalar_subquery())
    return (await conn.execute(delete(inbox_items).where(inbox_items.c.id.in_(oldest)))).rowcount
