"""Fan-out: from one queued job to home-timeline rows and one delivery per distinct inbox.

A use case writes its rows and one fan-out job in a single transaction (`queue`). The fan-out worker
later expands the job, again in one transaction, so a crash either did all of it or none.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from backchannel.runtime import Runtime
from federation.as2 import dumps
from models import account_domain_blocks, instances, queues, social, statuses, tags_follow
from models.accounts import Account, get_many
from models.schema import accounts, fanouts, follows

log = logging.getLogger(__name__)


async def queue(conn: AsyncConnection, rt: Runtime, *, activity: dict | None = None,
                signer: Account | None = None, followers_of: int | None = None,
                to_accounts=(), home_status: int | None = None) -> None:  # noqa: ANN001
    """Queue the side effects of a use case: deliver `activity` (signed by `signer`) to the remote
    followers of `followers_of` and to the remote accounts in `to_accounts`; put `home_status` in
    the home timelines of the local accounts that may see it."""
    payload = {
        "activity": activity,
        "signer": signer.id if signer else None,
        "followers_of": followers_of,
        "to_accounts": list(dict.fromkeys(to_accounts)),
        "home_status": home_status,
    }
    await queues.enqueue_fanout(conn, payload)
    rt.wake("fanout")


async def process(rt: Runtime, row) -> None:  # noqa: ANN001
    payload = json.loads(row.payload)
    async with rt.db.write() as conn:
        if payload.get("home_status"):
            await fill_home(conn, payload["home_status"])
        queued = 0
        if payload.get("activity") and payload.get("signer"):
            inboxes = await _allowed(conn, rt, await _inboxes(conn, payload))
            queued = await queues.enqueue_deliveries(conn, inboxes=inboxes, body=dumps(payload["activity"]),
                                                     signer_account_id=payload["signer"])
        await queues.finish(conn, fanouts, row.id)
    if queued:
        rt.wake("delivery")


async def _inboxes(conn: AsyncConnection, payload: dict) -> list[str]:
    """Distinct remote inboxes: shared inboxes first, so a server with many followers gets one copy."""
    remote: list[Account] = []
    if payload.get("followers_of"):
        remote += await social.follower_accounts(conn, payload["followers_of"], local=False)
    targets = await get_many(conn, payload.get("to_accounts") or [])
    remote += [a for a in targets.values() if not a.local]
    shared = [a.shared_inbox_url for a in remote if a.shared_inbox_url]
    personal = [a.inbox_url for a in remote if not a.shared_inbox_url and a.inbox_url]
    return list(dict.fromkeys(shared + personal))


async def _allowed(conn: AsyncConnection, rt: Runtime, inboxes: list[str]) -> list[str]:
    """Only inboxes on domains this node federates with, and that are not unavailable, get a
    delivery row at all."""
    down = await instances.unavailable(conn, [urlsplit(i).netloc.lower() for i in inboxes])
    return [inbox for inbox in inboxes
            if urlsplit(inbox).netloc.lower() not in down and await rt.policy.allows(urlsplit(inbox).netloc)]


async def fill_home(conn: AsyncConnection, status_id: int) -> None:
    """Put a status in the home timelines of the local accounts that follow its author and may see it."""
    status = await statuses.get(conn, status_id)
    if status is None:
        return
    shown = status
    if status.reblog_of_id:
        shown = await statuses.get(conn, status.reblog_of_id) or status
    recipients: set[int] = set()
    author = (await conn.execute(select(accounts.c.domain).where(accounts.c.id == status.account_id))).first()
    if author is not None and author.domain is None:
        recipients.add(status.account_id)
    follower_rows = (await conn.execute(
        select(follows.c.account_id, follows.c.show_reblogs, follows.c.notify)
        .join(accounts, accounts.c.id == follows.c.account_id)
        .where(follows.c.target_account_id == status.account_id, follows.c.state == "accepted",
               accounts.c.domain.is_(None)))).all()
    followers = {r.account_id for r in follower_rows if r.show_reblogs or not status.reblog_of_id}
    mentioned = set(await statuses.mentioned_ids(conn, shown.id))
    if shown.visibility == "direct":
        recipients |= followers & mentioned
    else:
        recipients |= followers
    if not status.reblog_of_id and shown.visibility in ("public", "local"):
        # Followers of a hashtag the post carries (models.tags_follow), local accounts only.
        recipients |= await _local_only(conn, await tags_follow.followers_of_status_tags(conn, status.id))
    recipients -= await social.blocked_by(conn, status.account_id, recipients)
    author_domain = author.domain if author is not None else None
    recipients -= await account_domain_blocks.blocking(conn, recipients, author_domain)
    await statuses.add_to_home(conn, recipients, status_id)
    if not status.reblog_of_id:
        # Followers who asked to be notified of this account's posts (follow with notify=true).
        for row in follower_rows:
            if row.notify and row.account_id in recipients:
                await social.notify(conn, account_id=row.account_id, from_account_id=status.account_id,
                                    type="status", status_id=status.id)


async def _local_only(conn: AsyncConnection, account_ids: set[int]) -> set[int]:
    if not account_ids:
        return set()
    rows = await conn.execute(select(accounts.c.id).where(accounts.c.id.in_(account_ids),
                                                          accounts.c.domain.is_(None)))
    return {r.id for r in rows}
