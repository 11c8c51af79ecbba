"""Notification groups (Mastodon 4.3's grouped notifications), worked out when read, never stored.

Favourites and boosts of one status on one UTC day form a group, and so do follows on one day;
every other notification is a group of its own. Keys: `favourite-<status id>-<day>`,
`reblog-<status id>-<day>`, `follow-<day>`, `ungrouped-<notification id>` (Mastodon buckets by a
sliding window; a calendar day is simpler and the keys stay stable). Also the unread count."""
from __future__ import annotations

from sqlalchemy import BigInteger, Float, and_, bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import markers
from models.ids import id_floor
from models.rows import fetch, ids_in
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


def _whole_groups(follows: bool, favourites: bool):  # noqa: ANN202
    """The notifications of the grouped kinds between two times: follows, and favourites and boosts
    of some statuses. Notification ids are of their time (models.ids), so the account's index
    serves the id range that holds those times; created_at then decides."""
    kinds = []
    if follows:
        kinds.append(notifications.c.type == "follow")
    if favourites:
        kinds.append(and_(notifications.c.type.in_(("favourite", "reblog")),
                          ids_in(notifications.c.status_id, "statuses")))
    return (select(notifications.c.id, notifications.c.from_account_id, notifications.c.type,
                   notifications.c.status_id, notifications.c.created_at)
            .where(notifications.c.account_id == bindparam("account", type_=BigInteger),
                   notifications.c.id >= bindparam("first", type_=BigInteger),
                   notifications.c.id < bindparam("last", type_=BigInteger),
                   notifications.c.created_at >= bindparam("since", type_=Float),
                   notifications.c.created_at < bindparam("until", type_=Float), or_(*kinds))
            .order_by(notifications.c.id.desc()))


_WHOLE_GROUPS = {(f, s): _whole_groups(f, s) for f in (True, False) for s in (True, False) if f or s}
SLACK = 3600  # seconds between an id's time and created_at that are allowed for (a clock set back)


async def senders_of(conn: AsyncConnection, account_id: int, keys: list[str], rows) -> dict[str, list[tuple[int, int]]]:  # noqa: ANN001
    """(notification id, sender id) of each whole group, newest first: an ungrouped one's from its
    row among `rows`, the others in one statement for all `keys` (none when no key is grouped)."""
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in keys}
    days, statuses = [], set()
    follows = False
    for key in keys:
        parts = key.split("-")
        if parts[0] == "follow" and len(parts) == 2 and parts[1].isdigit():
            follows = True
            days.append(int(parts[1]))
        elif parts[0] in ("favourite", "reblog") and len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            statuses.add(int(parts[1]))
            days.append(int(parts[2]))
    for row in rows:
        key = f"ungrouped-{row.id}"
        if key in out:
            out[key].append((row.id, row.from_account_id))
    if not days:
        return out
    since, until = min(days) * DAY, (max(days) + 1) * DAY
    params = {"account": account_id, "since": float(since), "until": float(until),
              "first": max(0, id_floor(since - SLACK)), "last": id_floor(until + SLACK)}
    found = await fetch(conn, _WHOLE_GROUPS[(follows, bool(statuses))],
                        params | ({"statuses": list(statuses)} if statuses else {}))
    for r in found:
        key = group_key(r)
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
