"""Notification (v1) and GroupedNotificationsResults (v2). Statuses in notifications are filtered
in the `notifications` context; a notification whose status the viewer may no longer see, or
whose sender has gone or is muted for notifications, is left out.

Built as timelines are (api.entities.statuses.status_page_parts): the statuses and the senders are
read with one page's statements whatever its length, and both come out of the entity cache as JSON."""
from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_json
from api.entities.formats import iso
from api.entities.statuses import status_page_parts
from federation.runtime import Runtime
from models import notification_groups
from models.accounts import Account
from models.notification_groups import group_key

SAMPLE_ACCOUNTS = 8


@dataclass
class _Shown:
    """A notification the viewer may see: its row, its entity as JSON, and its status's (or None)."""
    row: object
    body: bytes
    status: bytes | None


async def _shown(conn: AsyncConnection, rt: Runtime, viewer: Account, rows, people=()  # noqa: ANN001
                 ) -> tuple[list[_Shown], dict[int, Account]]:
    """The rows the viewer may see, in order, and every account read with them (their senders and
    `people`, the authors of their statuses…)."""
    wanted = list(dict.fromkeys(r.status_id for r in rows if r.status_id))
    page = await status_page_parts(conn, rt, viewer, wanted, context="notifications", hide_muted=False,
                                   people={r.from_account_id for r in rows} | set(people))
    statuses = dict(page.statuses)
    out = []
    for row in rows:
        sender = page.people.get(row.from_account_id)
        if sender is None or sender.id in page.muted_notifications:
            continue
        status = None
        if row.status_id is not None:
            status = statuses.get(row.status_id)
            if status is None:
                continue
        head = orjson.dumps({"id": str(row.id), "type": row.type, "group_key": group_key(row),
                             "created_at": iso(row.created_at)})
        out.append(_Shown(row, b"".join((head[:-1], b',"account":', account_json(rt, sender),
                                         b',"status":' + status if status else b"", b"}")), status))
    return out, page.people


async def notification_entities_json(conn: AsyncConnection, rt: Runtime, viewer: Account, rows) -> list[bytes]:  # noqa: ANN001
    """Rows of the notifications table as entities, in order, each as JSON (api.pagination.paged_json)."""
    return [one.body for one in (await _shown(conn, rt, viewer, rows))[0]]


async def notification_entities(conn: AsyncConnection, rt: Runtime, viewer: Account, rows) -> list[dict]:  # noqa: ANN001
    """Rows of the notifications table, in order."""
    return orjson.loads(b"[" + b",".join(await notification_entities_json(conn, rt, viewer, rows)) + b"]")


@dataclass
class NotificationGroup:
    key: str
    rows: list = field(default_factory=list)  # this page's rows of the group, newest first


async def grouped_notifications_json(conn: AsyncConnection, rt: Runtime, viewer: Account,
                                     groups: list[NotificationGroup]) -> bytes:
    """GroupedNotificationsResults for `groups`, as JSON; groups whose every notification is hidden
    (muted sender, a status the viewer may not see) are left out, as the v1 list leaves those out."""
    rows = [r for g in groups for r in g.rows]
    senders = await notification_groups.senders_of(conn, viewer.id, [g.key for g in groups], rows)
    samples: dict[str, list[int]] = {}
    for group in groups:
        sample: list[int] = []
        for _, sender in senders[group.key]:
            if sender not in sample and len(sample) < SAMPLE_ACCOUNTS:
                sample.append(sender)
        samples[group.key] = sample
    shown, people = await _shown(conn, rt, viewer, rows, {a for sample in samples.values() for a in sample})
    by_row = {one.row.id: one for one in shown}
    statuses: dict[int, bytes] = {}
    accounts: dict[int, bytes] = {}
    out = []
    for group in groups:
        visible = [r for r in group.rows if r.id in by_row]
        if not visible:
            continue
        whole = senders[group.key]
        newest = visible[0]
        body = {
            "group_key": group.key,
            "notifications_count": len(whole),
            "type": newest.type,
            "most_recent_notification_id": str(whole[0][0] if whole else newest.id),
            "page_min_id": str(visible[-1].id),
            "page_max_id": str(newest.id),
            "latest_page_notification_at": iso(newest.created_at),
            "sample_account_ids": [str(a) for a in samples[group.key]],
        }
        status = by_row[newest.id].status
        if status is not None:
            body["status_id"] = str(newest.status_id)
            statuses[newest.status_id] = status
        for r in visible:
            accounts[r.from_account_id] = account_json(rt, people[r.from_account_id])
        out.append(body)
    for group in out:
        for a in map(int, group["sample_account_ids"]):
            if a not in accounts and a in people:
                accounts[a] = account_json(rt, people[a])
    return b"".join((b'{"accounts":[', b",".join(accounts.values()), b'],"statuses":[', b",".join(statuses.values()),
                     b'],"notification_groups":', orjson.dumps(out), b"}"))
