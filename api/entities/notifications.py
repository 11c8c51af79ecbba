"""Notification (v1) and GroupedNotificationsResults (v2). Statuses in notifications are filtered
in the `notifications` context; a notification whose status the viewer may no longer see, or
whose sender has gone or is muted for notifications, is left out."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_entity
from api.entities.formats import iso
from api.entities.statuses import status_page
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import collections, notification_groups
from models.accounts import Account
from models.notification_groups import group_key

SAMPLE_ACCOUNTS = 8


async def notification_entities(conn: AsyncConnection, rt: Runtime, viewer: Account, rows) -> list[dict]:  # noqa: ANN001
    """Rows of the notifications table, in order."""
    people = await accounts_store.get_many(conn, [r.from_account_id for r in rows])
    wanted = list(dict.fromkeys(r.status_id for r in rows if r.status_id))
    shown = {s["id"]: s for s in await status_page(conn, rt, viewer, wanted, context="notifications",
                                                   hide_muted=False)}
    silenced = await collections.muted(conn, viewer.id, people, notifications_only=True)
    out = []
    for row in rows:
        sender = people.get(row.from_account_id)
        if sender is None or sender.id in silenced:
            continue
        body = {
            "id": str(row.id),
            "type": row.type,
            "group_key": group_key(row),
            "created_at": iso(row.created_at),
            "account": account_entity(rt, sender),
        }
        if row.status_id is not None:
            status = shown.get(str(row.status_id))
            if status is None:
                continue
            body["status"] = status
        out.append(body)
    return out


@dataclass
class NotificationGroup:
    key: str
    rows: list = field(default_factory=list)  # this page's rows of the group, newest first


async def grouped_notifications_entity(conn: AsyncConnection, rt: Runtime, viewer: Account,
                                       groups: list[NotificationGroup]) -> dict:
    """GroupedNotificationsResults for `groups`; groups whose every notification is hidden (muted
    sender, a status the viewer may not see) are left out, as the v1 list leaves those out."""
    rows = [r for g in groups for r in g.rows]
    shown = {int(n["id"]): n for n in await notification_entities(conn, rt, viewer, rows)}
    statuses: dict[str, dict] = {}
    people: dict[int, dict] = {}
    out = []
    senders = await notification_groups.senders_of(conn, viewer.id, [g.key for g in groups])
    for group in groups:
        visible = [r for r in group.rows if r.id in shown]
        if not visible:
            continue
        whole = senders[group.key]
        sample: list[int] = []
        for _, sender in whole:
            if sender not in sample and len(sample) < SAMPLE_ACCOUNTS:
                sample.append(sender)
        newest = visible[0]
        body = {
            "group_key": group.key,
            "notifications_count": len(whole),
            "type": newest.type,
            "most_recent_notification_id": str(whole[0][0] if whole else newest.id),
            "page_min_id": str(visible[-1].id),
            "page_max_id": str(newest.id),
            "latest_page_notification_at": iso(newest.created_at),
            "sample_account_ids": [str(a) for a in sample],
        }
        status = shown[newest.id].get("status")
        if status is not None:
            body["status_id"] = status["id"]
            statuses[status["id"]] = status
        for r in visible:
            people[r.from_account_id] = shown[r.id]["account"]
        out.append(body)
    missing = {int(a) for g in out for a in g["sample_account_ids"]} - set(people)
    for account in (await accounts_store.get_many(conn, missing)).values():
        people[account.id] = account_entity(rt, account)
    return {"accounts": list(people.values()), "statuses": list(statuses.values()),
            "notification_groups": out}
