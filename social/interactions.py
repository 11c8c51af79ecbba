"""Likes and boosts, once for everyone: a local person through the client API, a remote actor
through the inbox. Whoever acts, the counters and notifications are the same; only a local actor's
act is sent out (`actor.local`)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2, integrity
from models import accounts, counters, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.statuses import Status
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable
from social.group_relay import relay_change
from social.statuses import remove_in

BOOST_VISIBILITIES = ("public", "unlisted", "private")


async def _visible(conn: AsyncConnection, account: Account, status_id: int) -> Status:
    status = await statuses.get(conn, status_id)
    if status is None or not await statuses.can_see(conn, status, account.id, account.local):
        raise NotFound("Record not found")
    if status.reblog_of_id:  # acting on a boost acts on what it boosts, as on Mastodon
        status = await statuses.get(conn, status.reblog_of_id)
        if status is None:
            raise NotFound("Record not found")
    if await social.is_blocked_either_way(conn, account.id, status.account_id):
        raise Forbidden("This action is not allowed")
    return status


async def favourite(rt: Runtime, account: Account, status_id: int, *, activity_uri: str | None = None,
                    activity: dict | None = None) -> Status:
    """Like a status. A remote actor's like counts only on this node's own posts (their author's
    server keeps the count of the others). A like of a post a group relayed also goes to the group,
    which announces it to its members (Lemmy counts votes so); `activity`: the Like as received."""
    async with rt.db.write() as conn:
        status = await _visible(conn, account, status_id)
        in_groups = await statuses.group_boosters(conn, status.id)
        if not account.local and not status.local:
            await _forward_like(conn, rt, status, activity, in_groups)  # a member's like, sent to a group here
            return status
        like_id = activity_uri or rt.urls.activity(account.uri, new_id())
        if await social.add_favourite(conn, account.id, status.id, like_id):
            await statuses.bump(conn, status.id, "favourites_count", 1)
            author = await accounts.get(conn, status.account_id)
            if author and account.local and status.visibility != "local":
                activity = integrity.sign(as2.activity("Like", like_id, account.uri, status.uri, to=[author.uri]),
                                          rt.session_secret, account.uri)
            if author and author.local:
                await social.notify(conn, account_id=author.id, from_account_id=account.id,
                                    type="favourite", status_id=status.id)
            elif author and account.local and activity is not None:
                await outgoing.queue(conn, rt, activity=activity, signer=account,
                                     to_accounts=[author.id, *(g.id for g in in_groups if not g.local)])
            await _forward_like(conn, rt, status, activity, in_groups)
        await counters.flush(conn)  # the answer shows the new count
        return await statuses.get(conn, status.id)  # type: ignore[return-value]


async def _forward_like(conn: AsyncConnection, rt: Runtime, status: Status, like: dict | None,
                        in_groups: list[Account]) -> None:
    """A Like (or its Undo) of a post a group here relayed, announced by the group to its members."""
    if like is not None and any(g.local for g in in_groups):
        await relay_change(conn, rt, status, await accounts.get(conn, status.account_id), like)


async def unfavourite(rt: Runtime, account: Account, status_id: int, *, activity: dict | None = None) -> Status:
    """Take back a like. Its Undo goes where the Like went: to the author, and to the groups that
    relayed the post, which announce it to their members; `activity`: the Undo as received."""
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is None:
            raise NotFound("Record not found")
        in_groups = await statuses.group_boosters(conn, status.id)
        if not account.local and not status.local:
            await _forward_like(conn, rt, status, activity, in_groups)  # a member's, sent to a group here
            return status
        removed = await social.remove_favourite(conn, account.id, status.id)
        if removed is not False:
            await statuses.bump(conn, status.id, "favourites_count", -1)
            author = await accounts.get(conn, status.account_id)
            if author and removed and account.local and status.visibility != "local":
                like = {"id": removed, "type": "Like", "actor": account.uri, "object": status.uri}
                activity = integrity.sign(as2.activity("Undo", rt.urls.undo(removed), account.uri, like,
                                                       to=[author.uri]), rt.session_secret, account.uri)
            if author and author.local:
                await social.withdraw_notification(conn, account_id=author.id, from_account_id=account.id,
                                                   type="favourite", status_id=status.id)
            elif author and account.local and activity is not None:
                await outgoing.queue(conn, rt, activity=activity, signer=account,
                                     to_accounts=[author.id, *(g.id for g in in_groups if not g.local)])
            await _forward_like(conn, rt, status, activity, in_groups)
        await counters.flush(conn)  # the answer shows the new count
        return await statuses.get(conn, status.id)  # type: ignore[return-value]


async def reblog(rt: Runtime, account: Account, status_id: int, visibility: str = "public", *,
                 activity_uri: str | None = None) -> Status:
    """Boost a status: once per (account, status), however often it is asked or delivered. A remote
    boost is known by its Announce's id (`activity_uri`)."""
    async with rt.db.write() as conn:
        if activity_uri and (known := await statuses.by_uri(conn, activity_uri, with_deleted=True)):
            return known
        original = await _visible(conn, account, status_id)
        if await _group_relays_to_members(conn, account, original):
            visibility = "private"  # a post addressed to a group, relayed to its members only
        elif original.visibility not in ("public", "unlisted", "local") or (
                original.visibility == "local" and not account.local):
            raise Unprocessable("This status cannot be boosted")
        existing = await statuses.find_reblog(conn, account.id, original.id)
        if existing:
            return existing
        if original.visibility == "local":
            visibility = "local"  # a local-only post stays inside the node when boosted
        elif visibility not in BOOST_VISIBILITIES:
            visibility = "public"
        boost_id = new_id()
        boost = await statuses.insert_status(
            conn, id=boost_id, uri=activity_uri or rt.urls.status_activity(account.username, boost_id),
            url=activity_uri or rt.urls.status_page(account.username, boost_id), account_id=account.id,
            local=account.local, reblog_of_id=original.id, content="", visibility=visibility)
        await statuses.bump(conn, original.id, "reblogs_count", 1)
        await accounts.bump_counter(conn, account.id, "statuses_count", 1)
        author = await accounts.get(conn, original.account_id)
        if author and author.local:
            await social.notify(conn, account_id=author.id, from_account_id=account.id, type="reblog",
                                status_id=original.id)
        activity = None
        if account.local and visibility != "local":
            activity = as2.announce(boost, account, original.uri, author.uri if author else None)
        await outgoing.queue(conn, rt, activity=activity, signer=account, followers_of=account.id,
                             to_accounts=[original.account_id], home_status=boost.id)
        return boost


async def _group_relays_to_members(conn: AsyncConnection, account: Account, original: Status) -> bool:
    """A remote group relaying a direct post its author addressed to it (FEP-1b12, members only)."""
    return (not account.local and account.actor_type == "Group" and original.visibility == "direct"
            and account.id in await statuses.mentioned_ids(conn, original.id))


async def unreblog(rt: Runtime, account: Account, status_id: int) -> Status:
    """Take back one's boost of a status (`status_id` is the status or the boost itself)."""
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is None:
            raise NotFound("Record not found")
        original_id = status.reblog_of_id or status.id
        original = await statuses.get(conn, original_id)
        if original is None:
            raise NotFound("Record not found")
        boost = await statuses.find_reblog(conn, account.id, original_id)
        if boost:
            await remove_in(conn, rt, boost, account)
        return await statuses.get(conn, original_id)  # type: ignore[return-value]
