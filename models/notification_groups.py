"""Notification groups (Mastodon 4.3's grouped notifications), worked out when read, never stored.

Favourites and boosts of one status on one UTC day form a group, and so do follows on one day;
every other notification is a group of its own. Keys: `favourite-<status id>-<day>`,
`reblog-<status id>-<day>`, `follow-<day>`, `ungrouped-<notification id>` (Mastodon buckets by a
sliding window; a calendar day is simpler and the keys stay stable). Also the unread count."""
from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import markers
from models.schema import notifications

GROUPABLE = ("favourite", "reblog", "follow")
DAY = 86400


def group_key(row, grouped_types=GROUPABLE) -> str:  # noqa: ANN001
    """The group a notification row belongs to (only `grouped_types` are grouped)."""
    if row.type in grouped_types and row.type in GROUPABLE:
        day = int(row.created_at // DAY)
        if row.type == "follow":
            return f"follow-{day}"
        if row.status_id is not None:
            return f"{row.type}-{row.status_id}-{day}"
    return f"ungrouped-{row.id}"


def _group_filter(account_id: int, key: str):  # noqa: ANN202
    """The WHERE clause selecting the notifications of one group, or None for a malformed key."""
    parts = key.split("-")
    mine = notifications.c.account_id == account_id
    try:
        if parts[0] == "ungrouped" and len(parts) == 2:
            return and_(mine, notifications.c.id == int(parts[1]))
        if parts[0] == "follow" and len(parts) == 2:
            day = int(parts[1])
            return and_(mine, notifications.c.type == "follow", notifications.c.created_at >= day * DAY,
                        notifications.c.created_at < (day + 1) * DAY)
        if parts[0] in ("favourite", "reblog") and len(parts) == 3:
            day = int(parts[2])
            return and_(mine, notifications.c.type == parts[0], notifications.c.status_id == int(parts[1]),
                        notifications.c.created_at >= day * DAY, notifications.c.created_at < (day + 1) * DAY)
    except (ValueError, OverflowError):
        return None
    return None


async def rows_of(conn: AsyncConnection, account_id: int, key: str) -> list:
    """Every notification row of the account's group `key`, newest first ([] for none or a bad key)."""
    cond = _group_filter(account_id, key)
    if cond is None:
        return []
    return list((await conn.execute(select(notifications).where(cond)
                                    .order_by(notifications.c.id.desc()))).all())


async def senders_of(conn: AsyncConnection, account_id: int, keys: list[str]) -> dict[str, list[tuple[int, int]]]:
    """(notification id, sender id) of each whole group, newest first, in one query for all `keys`."""
    conds = [c for c in (_group_filter(account_id, k) for k in keys) if c is not None]
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in keys}
    if not conds:
        return out
    rows = await conn.execute(select(notifications.c.id, notifications.c.from_account_id, notifications.c.type,
                                     notifications.c.status_id, notifications.c.created_at)
                              .where(or_(*conds)).order_by(notifications.c.id.desc()))
    for r in rows:
        for key in {f"ungrouped-{r.id}", group_key(r)}:
            if key in out:
                out[key].append((r.id, r.from_account_id))
    return out


async def delete_group(conn: AsyncConnection, account_id: int, key: str) -> bool:
    """Remove the group's notifications; False when there were none."""
    cond = _group_filter(account_id, key)
    if cond is None:
        return False
    return bool((await conn.execute(delete(notifications).where(cond))).rowcount)


async def unread_rows(conn: AsyncConnection, account_id: int, *, types: list[str], exclude_types: list[str],
                      limit: int) -> list:
    """Unread notifications, newest first: after the `notifications` marker when one is saved, else
    those not flagged read."""
    saved = await markers.get(conn, account_id, ["notifications"])
    unread = (notifications.c.id > saved[0].last_read_id) if saved else notifications.c.read.is_(False)
    stmt = select(notifications).where(notifications.c.account_id == account_id, unread)
    if types:
        stmt = stmt.where(notifications.c.type.in_(types))
    if exclude_types:
        stmt = stmt.where(notifications.c.type.not_in(exclude_types))
    return list((await conn.execute(stmt.order_by(notifications.c.id.desc()).limit(limit))).all())
