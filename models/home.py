"""Home timelines: who gets a status in their home feed, and the `status` notifications that go with it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import account_domain_blocks, social, statuses, tags_follow
from models.domains import covering
from models.rows import fetch, ids_in
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


# Local followers of authors who neither block their author nor (the second form) its domain:
# built once, sent for every status (or batch of statuses) that enters home timelines.
_FOLLOWERS = (select(follows.c.target_account_id, follows.c.account_id, follows.c.show_reblogs, follows.c.notify)
              .join(accounts, accounts.c.id == follows.c.account_id)
              .where(ids_in(follows.c.target_account_id, "authors"),
                     follows.c.state == "accepted", accounts.c.domain.is_(None),
                     ~exists().where(blocks.c.account_id == follows.c.account_id,
                                     blocks.c.target_account_id == follows.c.target_account_id)))
_FOLLOWERS_NOT_BLOCKING_DOMAIN = _FOLLOWERS.where(~exists().where(
    domain_block_rows.c.account_id == follows.c.account_id,
    ids_in(domain_block_rows.c.domain, "domains", strings=True)))


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
    author_domain = author.domain if author is not None else None
    mentioned = set(await statuses.mentioned_ids(conn, shown.id))
    # A group relaying a direct post addressed to it: its members see it (statuses.visible_to).
    relayed = bool(status.reblog_of_id and author is not None and author.actor_type == "Group"
                   and status.account_id in mentioned)
    follower_rows = (await _followers(conn, [status.account_id], author_domain)).get(status.account_id, [])
    recipients, notified = await _recipients(
        conn, status, shown, follower_rows, author_domain=author_domain, author_known=author is not None,
        mentioned=mentioned, tagged=True, to_members=relayed)
    await statuses.add_to_home(conn, recipients, status.id)
    await _notify(conn, status, notified)


async def fill_home_written(conn: AsyncConnection, written: Written) -> None:
    """fill_home for an original status written in this same transaction."""
    await fill_home_written_many(conn, [written])


async def fill_home_written_many(conn: AsyncConnection, written: list[Written]) -> None:
    """fill_home_written for several statuses: one statement for their authors' followers (per
    author domain) and one for all their home rows."""
    by_domain: dict[str | None, set[int]] = {}
    for w in written:
        by_domain.setdefault(w.author_domain, set()).add(w.status.account_id)
    followers: dict[int, list] = {}
    for domain, authors in by_domain.items():
        followers.update(await _followers(conn, list(authors), domain))
    pairs: list[tuple[int, int]] = []
    notify: list[tuple[Status, set[int]]] = []
    for w in written:
        recipients, notified = await _recipients(
            conn, w.status, w.status, followers.get(w.status.account_id, []), author_domain=w.author_domain,
            author_known=True, mentioned=set(w.mentioned), tagged=w.tagged)
        pairs += [(account_id, w.status.id) for account_id in recipients]
        notify.append((w.status, notified))
    await statuses.add_new_to_homes(conn, pairs)
    for status, notified in notify:
        await _notify(conn, status, notified)


async def _followers(conn: AsyncConnection, author_ids: list[int], author_domain: str | None) -> dict[int, list]:
    """Each author's local followers who block neither the author nor its domain: one statement."""
    if author_domain:
        rows = await fetch(conn, _FOLLOWERS_NOT_BLOCKING_DOMAIN, {
            "authors": author_ids, "domains": list(covering(author_domain))})
    else:
        rows = await fetch(conn, _FOLLOWERS, {"authors": author_ids})
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.target_account_id, []).append(row)
    return found


async def _recipients(conn: AsyncConnection, status: Status, shown: Status, follower_rows: list, *,
                      author_domain: str | None, author_known: bool, mentioned: set[int],
                      tagged: bool, to_members: bool = False) -> tuple[set[int], set[int]]:
    """Whose home timeline gets the status, and which of them asked to be notified of it."""
    recipients: set[int] = set()
    if author_known and author_domain is None:
        recipients.add(status.account_id)
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
    # Followers who asked to be notified of this account's posts (follow with notify=true).
    notified = set() if status.reblog_of_id else {r.account_id for r in follower_rows
                                                  if r.notify and r.account_id in recipients}
    return recipients, notified


async def _notify(conn: AsyncConnection, status: Status, account_ids: set[int]) -> None:
    for account_id in sorted(account_ids):
        await social.notify(conn, account_id=account_id, from_account_id=status.account_id,
                            type="status", status_id=status.id)


async def _local_only(conn: AsyncConnection, account_ids: set[int]) -> set[int]:
    if not account_ids:
        return set()
    rows = await conn.execute(select(accounts.c.id).where(accounts.c.id.in_(account_ids),
                                                          accounts.c.domain.is_(None)))
    return {r.id for r in rows}
