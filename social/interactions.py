"""Likes and boosts."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2
from federation.addressing import PUBLIC
from models import accounts, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.statuses import Status
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable
from social.statuses import remove_status


async def _visible(conn: AsyncConnection, account: Account, status_id: int) -> Status:
    status = await statuses.get(conn, status_id)
    if status is None or not await statuses.can_see(conn, status, account.id, True):
        raise NotFound("Record not found")
    if status.reblog_of_id:  # acting on a boost acts on what it boosts, as on Mastodon
        status = await statuses.get(conn, status.reblog_of_id)
        if status is None:
            raise NotFound("Record not found")
    if await social.is_blocked_either_way(conn, account.id, status.account_id):
        raise Forbidden("This action is not allowed")
    return status


async def favourite(rt: Runtime, account: Account, status_id: int) -> Status:
    async with rt.db.write() as conn:
        status = await _visible(conn, account, status_id)
        like_id = rt.urls.activity(account.uri, new_id())
        if await social.add_favourite(conn, account.id, status.id, like_id):
            await statuses.bump(conn, status.id, "favourites_count", 1)
            author = await accounts.get(conn, status.account_id)
            if author and author.local:
                await social.notify(conn, account_id=author.id, from_account_id=account.id,
                                    type="favourite", status_id=status.id)
            elif author and status.visibility != "local":
                like = as2.activity("Like", like_id, account.uri, status.uri, to=[author.uri])
                await outgoing.queue(conn, rt, activity=like, signer=account, to_accounts=[author.id])
        return await statuses.get(conn, status.id)  # type: ignore[return-value]


async def unfavourite(rt: Runtime, account: Account, status_id: int) -> Status:
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is None:
            raise NotFound("Record not found")
        removed = await social.remove_favourite(conn, account.id, status.id)
        if removed is not False:
            await statuses.bump(conn, status.id, "favourites_count", -1)
            author = await accounts.get(conn, status.account_id)
            if author and author.local:
                await social.withdraw_notification(conn, account_id=author.id, from_account_id=account.id,
                                                   type="favourite", status_id=status.id)
            elif author and removed:
                like = {"id": removed, "type": "Like", "actor": account.uri, "object": status.uri}
                undo = as2.activity("Undo", rt.urls.undo(removed), account.uri, like, to=[author.uri])
                await outgoing.queue(conn, rt, activity=undo, signer=account, to_accounts=[author.id])
        return await statuses.get(conn, status.id)  # type: ignore[return-value]


async def reblog(rt: Runtime, account: Account, status_id: int, visibility: str = "public") -> Status:
    async with rt.db.write() as conn:
        original = await _visible(conn, account, status_id)
        if original.visibility not in ("public", "unlisted", "local"):
            raise Unprocessable("This status cannot be boosted")
        existing = await statuses.find_reblog(conn, account.id, original.id)
        if existing:
            return existing
        if original.visibility == "local":
            visibility = "local"  # a local-only post stays inside the node when boosted
        elif visibility not in ("public", "unlisted", "private"):
            visibility = "public"
        boost_id = new_id()
        boost = await statuses.insert_status(
            conn, id=boost_id, uri=rt.urls.status_activity(account.username, boost_id),
            url=rt.urls.status_page(account.username, boost_id), account_id=account.id, local=True,
            reblog_of_id=original.id, content="", visibility=visibility)
        await statuses.bump(conn, original.id, "reblogs_count", 1)
        await accounts.bump_counter(conn, account.id, "statuses_count", 1)
        author = await accounts.get(conn, original.account_id)
        if author and author.local:
            await social.notify(conn, account_id=author.id, from_account_id=account.id, type="reblog",
                                status_id=original.id)
        activity = None
        if visibility != "local":
            to = [PUBLIC] if visibility == "public" else [account.followers_url or ""]
            cc = [account.followers_url or "", author.uri if author else ""] if visibility == "public" \
                else [PUBLIC, author.uri if author else ""]
            activity = as2.activity("Announce", boost.uri, account.uri, original.uri, to=to, cc=cc,
                                    published=boost.created_at)
        await outgoing.queue(conn, rt, activity=activity, signer=account, followers_of=account.id,
                           to_accounts=[original.account_id], home_status=boost.id)
        return boost


async def unreblog(rt: Runtime, account: Account, status_id: int) -> Status:
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
            await remove_status(conn, rt, boost, account)
            await social.withdraw_notification(conn, account_id=original.account_id,
                                               from_account_id=account.id, type="reblog",
                                               status_id=original_id)
        return await statuses.get(conn, original_id)  # type: ignore[return-value]
