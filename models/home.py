"""Home timelines: who gets a status in their home feed, and the `status` notifications that go with it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import account_domain_blocks, social, statuses, tags_follow
from models.schema import accounts, follows


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
