"""Dismissing notifications: one, a group (grouped notifications) or all of them."""
from __future__ import annotations

from federation.runtime import Runtime
from models import notification_groups, social
from models.accounts import Account
from social.errors import NotFound


async def dismiss(rt: Runtime, owner: Account, notification_id: int | None) -> None:
    """One notification (404 when it is not the owner's), or all of them (None)."""
    async with rt.db.write() as conn:
        if notification_id is not None and not await social.get_notification(conn, owner.id, notification_id):
            raise NotFound("Record not found")
        await social.dismiss_notifications(conn, owner.id, notification_id)


async def dismiss_group(rt: Runtime, owner: Account, group_key: str) -> None:
    async with rt.db.write() as conn:
        if not await notification_groups.delete_group(conn, owner.id, group_key):
            raise NotFound("Record not found")
