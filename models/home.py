"""Home timelines: who gets a status in their home feed, and the `status` notifications that go with it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import account_domain_blocks, social, statuses, tags_follow
from models.domains import covering
from models.schema import account_domain_blocks as domain_block_rows, accounts, blocks, follows
from models.statuses import Status


@dataclass(frozen=True)
class Written:
    """A status just written in this transaction, with what its writer knows of it: filling home
    timelines then reads none of it back (a remote post applied from the inbox does this)."""
    status: Status
    author_domain: str | None  # None: a local author
    mentioned: tuple[int, ...]
    tagged: bool


async def fill_home(conn: AsyncConnection, status_id: int) -> None:
    """Put a status in the home timelines of the local accounts that follow its author and may see it."""
    status = await statuses.get(conn, status_id)
    if status is None:
        return
    shown = status
    if status.reblog_of_id:
        shown = await statuses.get(conn, status.reblog_of_id) or status
    author = (await conn.execute(select(accounts.c.domain, accounts.c.actor_type)
                                 .where(accounts.c.id == status.account_id))).first()
    mentioned = set(await statuses.mentioned_ids(conn, shown.id))
    # A group relaying a direct post addressed to it: its members see it (statuses.visible_to).
    relayed = bool(status.reblog_of_id and author is not None and author.actor_type == "Group"
                   and status.account_id in mentioned)
    await _fill(conn, status, shown, author_domain=author.domain if author is not None else None,
                author_known=author is not None, mentioned=mentioned, tagged=True, new=False,
                to_members=relayed)


async def fill_home_written(conn: AsyncConnection, written: Written) -> None:
    """fill_home for an original status written in this same transaction."""
    await _fill(conn, written.status, written.status, author_domain=written.author_domain, author_known=True,
                mentioned=set(written.mentioned), tagged=written.tagged, new=True)


async def _fill(conn: AsyncConnection, status: Status, shown: Status, *, author_domain: str | None,
                author_known: bool, mentioned: set[int], tagged: bool, new: bool, to_members: bool = False) -> None:
    recipients: set[int] = set()
    if author_known and author_domain is None:
        recipients.add(status.account_id)
    # Local followers who neither block the author nor its domain: one statement.
    who = (select(follows.c.account_id, follows.c.show_reblogs, follows.c.notify)
           .join(accounts, accounts.c.id == follows.c.account_id)
           .where(follows.c.target_account_id == status.account_id, follows.c.state == "accepted",
                  accounts.c.domain.is_(None),
                  ~exists().where(blocks.c.account_id == follows.c.account_id,
                                  blocks.c.target_account_id == status.account_id)))
    if author_domain:
        who = who.where(~exists().where(domain_block_rows.c.account_id == follows.c.account_id,
                                        domain_block_rows.c.domain.in_(covering(author_domain))))
    follower_rows = (await conn.execute(who)).all()
    followers = {r.account_id for r in follower_rows if r.show_reblogs or not status.reblog_of_id}
    if shown.visibility == "direct" and not to_members:
        recipients |= followers & mentioned
    else:
        recipients |= followers
    if tagged and not status.reblog_of_id and shown.visibility in ("public", "local"):
        # Followers of a hashtag the post carries (models.tags_follow), local accounts only, minus
        # those who block the author or its domain (followers were filtered by the query above).
        by_tag = await _local_only(conn, await tags_follow.followers_of_status_tags(conn, status.id)) - recipients
        by_tag -= await social.blocked_by(conn, status.account_id, by_tag)
        by_tag -= await account_domain_blocks.blocking(conn, by_tag, author_domain)
        recipients |= by_tag
    await statuses.add_to_home(conn, recipients, status.id, new=new)
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
