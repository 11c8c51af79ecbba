"""Follows, follow requests and blocks, between local accounts and across nodes."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2
from models import accounts, collections, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.social import Follow
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable


async def _target(conn: AsyncConnection, account: Account, target_id: int) -> Account:
    target = await accounts.get(conn, target_id)
    if target is None or target.suspended_at is not None:
        raise NotFound("Record not found")
    if target.id == account.id:
        raise Unprocessable("You cannot do that to yourself")
    return target


def follow_object(follow: Follow, follower: Account, target: Account) -> dict:
    return {"id": follow.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}


async def follow(rt: Runtime, account: Account, target_id: int, *, reblogs: bool | None = None,
                 notify: bool | None = None) -> None:
    """Follow, or (following already) change whether their boosts show and their posts notify."""
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        if await social.is_blocked_either_way(conn, account.id, target.id):
            raise Forbidden("You cannot follow this account")
        if not await social.get_follow(conn, account.id, target.id):
            await _start_following(conn, rt, account, target)
        await social.set_follow_options(conn, account.id, target.id, show_reblogs=reblogs, notify=notify)


async def _start_following(conn: AsyncConnection, rt: Runtime, account: Account, target: Account) -> None:
    uri = rt.urls.activity(account.uri, new_id())
    if target.local:
        state = "pending" if target.locked else "accepted"
        await social.add_follow(conn, account.id, target.id, uri=uri, state=state)
        await social.notify(conn, account_id=target.id, from_account_id=account.id,
                            type="follow_request" if target.locked else "follow")
        if state == "accepted":
            await _backfill_home(conn, account.id, target.id)
        return
    await social.add_follow(conn, account.id, target.id, uri=uri, state="pending")
    activity = as2.activity("Follow", uri, account.uri, target.uri, to=[target.uri])
    await outgoing.queue(conn, rt, activity=activity, signer=account, to_accounts=[target.id])


async def unfollow(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        removed = await social.remove_follow(conn, account.id, target.id)
        if removed is None:
            return
        await statuses.remove_author_from_home(conn, account.id, target.id)
        # Lists hold only followed accounts, as on Mastodon.
        for owned in await collections.lists_of(conn, account.id, containing=target.id):
            await collections.remove_list_accounts(conn, owned.id, [target.id])
        if not target.local:
            follow_id = removed.uri or rt.urls.activity(account.uri, new_id())
            undo = as2.activity("Undo", rt.urls.undo(follow_id), account.uri,
                                follow_object(removed, account, target), to=[target.uri])
            await outgoing.queue(conn, rt, activity=undo, signer=account, to_accounts=[target.id])


async def _backfill_home(conn: AsyncConnection, follower_id: int, target_id: int) -> None:
    """A new follow fills the follower's home timeline with the author's recent posts."""
    ids = await statuses.account_ids(conn, target_id, follower_id, True, limit=20)
    for status_id in ids:
        await statuses.add_to_home(conn, [follower_id], status_id, announce=False)


async def accept_follow(conn: AsyncConnection, rt: Runtime, follow: Follow, target: Account) -> None:
    """Accept a follow of `target` (a local account) inside the caller's transaction."""
    await social.accept_follow(conn, follow)
    follower = await accounts.get(conn, follow.account_id)
    if follower and not follower.local:
        accept = as2.activity("Accept", rt.urls.activity(target.uri, new_id()), target.uri,
                              follow_object(follow, follower, target), to=[follower.uri])
        await outgoing.queue(conn, rt, activity=accept, signer=target, to_accounts=[follower.id])
    elif follower:
        await _backfill_home(conn, follower.id, target.id)


async def authorize_follow_request(rt: Runtime, account: Account, requester_id: int) -> None:
    async with rt.db.write() as conn:
        request = await social.get_follow(conn, requester_id, account.id)
        if request is None or request.state != "pending":
            raise NotFound("Record not found")
        await accept_follow(conn, rt, request, account)
        await social.withdraw_notification(conn, account_id=account.id, from_account_id=requester_id,
                                           type="follow_request")
        await social.notify(conn, account_id=account.id, from_account_id=requester_id, type="follow")


async def reject_follow_request(rt: Runtime, account: Account, requester_id: int) -> None:
    async with rt.db.write() as conn:
        request = await social.get_follow(conn, requester_id, account.id)
        if request is None or request.state != "pending":
            raise NotFound("Record not found")
        await social.remove_follow(conn, requester_id, account.id)
        await social.withdraw_notification(conn, account_id=account.id, from_account_id=requester_id,
                                           type="follow_request")
        requester = await accounts.get(conn, requester_id)
        if requester and not requester.local:
            reject = as2.activity("Reject", rt.urls.activity(account.uri, new_id()), account.uri,
                                  follow_object(request, requester, account), to=[requester.uri])
            await outgoing.queue(conn, rt, activity=reject, signer=account, to_accounts=[requester.id])


async def block(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        uri = rt.urls.activity(account.uri, new_id())
        if not await social.add_block(conn, account.id, target.id, uri):
            return
        # A block ends follows both ways.
        for a, b in ((account.id, target.id), (target.id, account.id)):
            if await social.remove_follow(conn, a, b):
                await statuses.remove_author_from_home(conn, a, b)
        if not target.local:
            activity = as2.activity("Block", uri, account.uri, target.uri, to=[target.uri])
            await outgoing.queue(conn, rt, activity=activity, signer=account, to_accounts=[target.id])


async def unblock(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        removed = await social.remove_block(conn, account.id, target.id)
        if removed and not target.local:
            inner = {"id": removed.uri, "type": "Block", "actor": account.uri, "object": target.uri}
            undo = as2.activity("Undo", rt.urls.undo(removed.uri), account.uri, inner, to=[target.uri])
            await outgoing.queue(conn, rt, activity=undo, signer=account, to_accounts=[target.id])
