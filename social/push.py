"""A token's Web Push subscription: subscribe (replacing an earlier one), change its alerts and
policy, unsubscribe. Sending is federation.webpush, queued by the notification that causes it."""
from __future__ import annotations

from federation.runtime import Runtime
from models import push
from models.accounts import Account
from models.push import Subscription
from social.errors import NotFound


async def subscribe(rt: Runtime, owner: Account, token_id: int, *, endpoint: str, p256dh: str, auth: str,
                    alerts: dict[str, bool], policy: str) -> Subscription:
    async with rt.db.write() as conn:
        return await push.replace(conn, token_id=token_id, account_id=owner.id, endpoint=endpoint,
                                  p256dh=p256dh, auth=auth, alerts=alerts, policy=policy)


async def change(rt: Runtime, token_id: int, *, alerts: dict[str, bool], policy: str) -> Subscription:
    async with rt.db.write() as conn:
        found = await push.for_token(conn, token_id)
        if found is None:
            raise NotFound("Record not found")
        return await push.change(conn, found, alerts=alerts, policy=policy)


async def unsubscribe(rt: Runtime, token_id: int) -> None:
    """Nothing to remove is not an error (Mastodon answers {} either way)."""
    async with rt.db.write() as conn:
        found = await push.for_token(conn, token_id)
        if found is not None:
            await push.remove(conn, found.id)
