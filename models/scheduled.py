"""Scheduled statuses (published later by social.scheduled) and the Idempotency-Key of posting."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.schema import idempotency_keys, scheduled_statuses
from models.statuses import page_ids

IDEMPOTENCY_SECONDS = 3600.0


@dataclass(frozen=True)
class ScheduledStatus:
    id: int
    account_id: int
    scheduled_at: float
    params: dict  # text visibility spoiler_text sensitive in_reply_to_id language media_ids poll

    @classmethod
    def from_row(cls, row) -> "ScheduledStatus":  # noqa: ANN001
        return cls(row.id, row.account_id, row.scheduled_at, json.loads(row.params))


async def insert_scheduled(conn: AsyncConnection, account_id: int, scheduled_at: float,
                           params: dict) -> ScheduledStatus:
    row_id = new_id()
    await conn.execute(insert(scheduled_statuses).values(
        id=row_id, account_id=account_id, scheduled_at=scheduled_at, params=json.dumps(params),
        created_at=time.time()))
    return ScheduledStatus(row_id, account_id, scheduled_at, params)


async def get(conn: AsyncConnection, account_id: int, scheduled_id: int) -> ScheduledStatus | None:
    row = (await conn.execute(select(scheduled_statuses).where(
        scheduled_statuses.c.id == scheduled_id, scheduled_statuses.c.account_id == account_id))).first()
    return ScheduledStatus.from_row(row) if row else None


async def page(conn: AsyncConnection, account_id: int, **page) -> list[ScheduledStatus]:
    ids = await page_ids(conn, select(scheduled_statuses.c.id).where(
        scheduled_statuses.c.account_id == account_id), scheduled_statuses.c.id, **page)
    if not ids:
        return []
    rows = (await conn.execute(select(scheduled_statuses).where(scheduled_statuses.c.id.in_(ids)))).all()
    found = {r.id: ScheduledStatus.from_row(r) for r in rows}
    return [found[i] for i in ids if i in found]


async def reschedule(conn: AsyncConnection, scheduled_id: int, scheduled_at: float) -> None:
    await conn.execute(update(scheduled_statuses).where(scheduled_statuses.c.id == scheduled_id)
                       .values(scheduled_at=scheduled_at))


async def remove(conn: AsyncConnection, scheduled_id: int) -> bool:
    """Delete one; False when it was gone already (published or deleted by someone else)."""
    done = await conn.execute(delete(scheduled_statuses).where(scheduled_statuses.c.id == scheduled_id))
    return done.rowcount > 0


async def lease(conn: AsyncConnection, item: "ScheduledStatus", *, until: float, status_id: int) -> bool:
    """Take a due row for publishing: move it to `until` (so nobody else takes it meanwhile) and
    record the status id it will get. False when another process took it first."""
    params = json.dumps({**item.params, "status_id": status_id})
    done = await conn.execute(update(scheduled_statuses).where(
        scheduled_statuses.c.id == item.id, scheduled_statuses.c.scheduled_at == item.scheduled_at)
        .values(scheduled_at=until, params=params))
    return done.rowcount > 0


async def due(conn: AsyncConnection, now: float, limit: int = 50) -> list[ScheduledStatus]:
    rows = (await conn.execute(select(scheduled_statuses).where(scheduled_statuses.c.scheduled_at <= now)
                               .order_by(scheduled_statuses.c.scheduled_at).limit(limit))).all()
    return [ScheduledStatus.from_row(r) for r in rows]


# --- Idempotency-Key of POST /api/v1/statuses -----------------------------------------------------

async def idempotent_status_id(conn: AsyncConnection, account_id: int, key: str) -> int | None:
    """The status this key made within the last hour, or None."""
    return (await conn.execute(select(idempotency_keys.c.status_id).where(
        idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key,
        idempotency_keys.c.created_at > time.time() - IDEMPOTENCY_SECONDS))).scalar()


async def claim_key(conn: AsyncConnection, account_id: int, key: str, status_id: int) -> None:
    """Record key → status inside the posting transaction (replacing an expired row for the key).
    A concurrent transaction that claimed the key first makes this raise IntegrityError, so the
    caller's transaction (and its status) is rolled back and the first status is the answer."""
    await conn.execute(delete(idempotency_keys).where(
        idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key,
        idempotency_keys.c.created_at <= time.time() - IDEMPOTENCY_SECONDS))
    await conn.execute(insert(idempotency_keys).values(
        account_id=account_id, key=key, status_id=status_id, created_at=time.time()))


async def prune_keys(conn: AsyncConnection) -> None:
    await conn.execute(delete(idempotency_keys).where(
        idempotency_keys.c.created_at <= time.time() - IDEMPOTENCY_SECONDS))
