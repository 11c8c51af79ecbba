"""Web Push subscriptions (one per OAuth token) and the queue of push messages to send."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.oauth import digest
from models.schema import follows, oauth_tokens, push_deliveries, push_subscriptions

# Mastodon's alert names; a notification of type T is pushed when alerts[T] is true.
ALERTS = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
          "admin.sign_up", "admin.report", "quote", "quoted_update")
POLICIES = ("all", "followed", "follower", "none")


@dataclass(frozen=True)
class Subscription:
    id: int
    token_id: int
    account_id: int
    endpoint: str
    p256dh: str
    auth: str
    alerts: dict[str, bool]
    policy: str

    @classmethod
    def from_row(cls, row) -> "Subscription":  # noqa: ANN001
        try:
            alerts = json.loads(row.alerts)
        except ValueError:
            alerts = {}
        return cls(row.id, row.token_id, row.account_id, row.endpoint, row.p256dh, row.auth,
                   {name: bool(alerts.get(name, False)) for name in ALERTS}, row.policy)


async def token_id(conn: AsyncConnection, token: str) -> int | None:
    return (await conn.execute(select(oauth_tokens.c.id).where(
        oauth_tokens.c.token_hash == digest(token), oauth_tokens.c.revoked_at.is_(None)))).scalar()


async def for_token(conn: AsyncConnection, token_id: int) -> Subscription | None:
    row = (await conn.execute(select(push_subscriptions)
                              .where(push_subscriptions.c.token_id == token_id))).first()
    return Subscription.from_row(row) if row else None


async def get(conn: AsyncConnection, subscription_id: int) -> Subscription | None:
    row = (await conn.execute(select(push_subscriptions)
                              .where(push_subscriptions.c.id == subscription_id))).first()
    return Subscription.from_row(row) if row else None


async def replace(conn: AsyncConnection, *, token_id: int, account_id: int, endpoint: str, p256dh: str,
                  auth: str, alerts: dict[str, bool], policy: str) -> Subscription:
    """Create the token's subscription; an earlier one is replaced, as Mastodon does."""
    await conn.execute(delete(push_subscriptions).where(push_subscriptions.c.token_id == token_id))
    await conn.execute(insert(push_subscriptions).values(
        id=new_id(), token_id=token_id, account_id=account_id, endpoint=endpoint, p256dh=p256dh,
        auth=auth, alerts=json.dumps(alerts), policy=policy, created_at=time.time()))
    return await for_token(conn, token_id)  # type: ignore[return-value]


async def change(conn: AsyncConnection, subscription: Subscription, *, alerts: dict[str, bool],
                 policy: str) -> Subscription:
    await conn.execute(update(push_subscriptions).where(push_subscriptions.c.id == subscription.id)
                       .values(alerts=json.dumps(alerts), policy=policy))
    return await get(conn, subscription.id)  # type: ignore[return-value]


async def remove(conn: AsyncConnection, subscription_id: int) -> None:
    await conn.execute(delete(push_subscriptions).where(push_subscriptions.c.id == subscription_id))


async def _policy_allows(conn: AsyncConnection, policy: str, account_id: int, from_account_id: int) -> bool:
    if policy == "all":
        return True
    if policy == "none":
        return False
    # followed: the recipient follows the sender; follower: the sender follows the recipient.
    who, whom = ((account_id, from_account_id) if policy == "followed" else (from_account_id, account_id))
    return (await conn.execute(select(follows.c.id).where(
        follows.c.account_id == who, follows.c.target_account_id == whom,
        follows.c.state == "accepted"))).first() is not None


async def enqueue_for_notification(conn: AsyncConnection, *, notification_id: int, account_id: int,
                                   from_account_id: int, type: str) -> int:
    """Queue one push per subscription of the recipient that wants this notification; the count."""
    rows = (await conn.execute(select(push_subscriptions)
                               .join(oauth_tokens, oauth_tokens.c.id == push_subscriptions.c.token_id)
                               .where(push_subscriptions.c.account_id == account_id,
                                      oauth_tokens.c.revoked_at.is_(None)))).all()
    now = time.time()
    queued = []
    for sub in map(Subscription.from_row, rows):
        if sub.alerts.get(type) and await _policy_allows(conn, sub.policy, account_id, from_account_id):
            queued.append(dict(id=new_id(), subscription_id=sub.id, notification_id=notification_id,
                               state="pending", attempts=0, next_attempt_at=now, created_at=now))
    if queued:
        await conn.execute(insert(push_deliveries), queued)
    return len(queued)
