"""Follows, follow requests, blocks and moves, once for everyone: between local accounts, and with
remote ones whichever side acts. A local actor's act is sent out; a remote actor's came in through
the inbox (with its activity's id as `uri`)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2
from models import account_domain_blocks, accounts, collections, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.social import Follow
from social import outgoing
from social.errors import Forbidden, NotFound, ServiceError, Unprocessable


async def _target(conn: AsyncConnection, account: Account, target_id: int) -> Account:
    target = await accounts.get(conn, target_id)
    if target is None or target.suspended_at is not None:
        raise NotFound("Record not found")
    if target.id == account.id:
        raise Unprocessable("You cannot do that to yourself")
    return target


def follow_object(follow: Follow, follower: Account, target: Account) -> dict:
    return {"id": follow.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}


async def _send(conn: AsyncConnection, rt: Runtime, kind: str, actor: Account, obj: object,
                to: Account, activity_id: str | None = None) -> None:
    """Tell one remote account's server what a local account did."""
    activity = as2.activity(kind, activity_id or rt.urls.activity(actor.uri, new_id()), actor.uri, obj, to=[to.uri])
    await outgoing.queue(conn, rt, activity=activity, signer=actor, to_accounts=[to.id])


async def follow(rt: Runtime, account: Account, target_id: int, *, reblogs: bool | None = None,
                 notify: bool | None = None, uri: str | None = None) -> None:
    """Follow, or (following already) change whether their boosts show and their posts notify.
    A remote follower's Follow (`uri`) that it sends again gets a fresh answer."""
    # A limited (silenced) server's follows need approval.
    silenced = not account.local and (await rt.policy.check(account.domain)).silenced
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        if not account.local and not target.local:
            return
        if (await social.is_blocked_either_way(conn, account.id, target.id)
                or await account_domain_blocks.blocking(conn, [target.id], account.domain)):
            if account.local:
                raise Forbidden("You cannot follow this account")
            refused = Follow(0, account.id, target.id, uri, "pending", True, False)
            await _send(conn, rt, "Reject", target, follow_object(refused, account, target), account)
            return
        existing = await social.get_follow(conn, account.id, target.id)
        if existing is None or not account.local:
            await _start_following(conn, rt, account, target, existing, uri=uri,
                                   needs_approval=target.locked or silenced or account.silenced_at is not None)
        await social.set_follow_options(conn, account.id, target.id, show_reblogs=reblogs, notify=notify)


async def _start_following(conn: AsyncConnection, rt: Runtime, account: Account, target: Account,
                           existing: Follow | None, *, uri: str | None, needs_approval: bool) -> None:
    follow = await social.add_follow(conn, account.id, target.id, uri=uri or rt.urls.activity(account.uri, new_id()),
                                     state="pending")
    if not target.local:  # their server decides
        await _send(conn, rt, "Follow", account, target.uri, target, activity_id=follow.uri)
        return
    if needs_approval and not (existing and existing.state == "accepted"):
        await social.notify(conn, account_id=target.id, from_account_id=account.id, type="follow_request")
        return
    await accept_follow(conn, rt, follow, target)
    if not existing:
        await social.notify(conn, account_id=target.id, from_account_id=account.id, type="follow")


async def accept_follow(conn: AsyncConnection, rt: Runtime, follow: Follow, target: Account) -> None:
    """Accept a follow of `target` inside the caller's transaction: counters; a remote follower's
    server hears of it; a local follower's home timeline gets the target's recent posts."""
    await social.accept_follow(conn, follow)
    follower = await accounts.get(conn, follow.account_id)
    if follower and not follower.local and target.local:
        await _send(conn, rt, "Accept", target, follow_object(follow, follower, target), follower)
    elif follower and follower.local:
        await _backfill_home(conn, follower.id, target.id)


async def _backfill_home(conn: AsyncConnection, follower_id: int, target_id: int) -> None:
    """A new follow fills the follower's home timeline with the author's recent posts."""
    ids = await statuses.account_ids(conn, target_id, follower_id, True, limit=20)
    for status_id in ids:
        await statuses.add_to_home(conn, [follower_id], status_id, announce=False)


async def authorize_follow_request(rt: Runtime, account: Account, requester_id: int) -> None:
    """`account` accepts the pending follow of `requester_id`: a local person through the client
    API, or a remote account whose server sent an Accept."""
    async with rt.db.write() as conn:
        request = await social.get_follow(conn, requester_id, account.id)
        if request is None or request.state != "pending":
            raise NotFound("Record not found")
        await accept_follow(conn, rt, request, account)
        if account.local:
            await social.withdraw_notification(conn, account_id=account.id, from_account_id=requester_id,
                                               type="follow_request")
            await social.notify(conn, account_id=account.id, from_account_id=requester_id, type="follow")


async def reject_follow_request(rt: Runtime, account: Account, requester_id: int, *,
                                pending_only: bool = True) -> None:
    """`account` refuses, or (`pending_only` False) ends, the follow of `requester_id`: a local
    person through the client API (a request, or removing a follower), or a remote account whose
    server sent a Reject."""
    async with rt.db.write() as conn:
        requester = await _target(conn, account, requester_id)
        request = await social.get_follow(conn, requester_id, account.id)
        if request is None or (pending_only and request.state != "pending"):
            if pending_only:
                raise NotFound("Record not found")
            return
        await _end_follow(conn, requester, account)
        if account.local and not requester.local:
            await _send(conn, rt, "Reject", account, follow_object(request, requester, account), requester)


async def _end_follow(conn: AsyncConnection, follower: Account, target: Account) -> Follow | None:
    """A follow ends, whoever ends it: counters, home timeline, lists, a waiting request's notification."""
    removed = await social.remove_follow(conn, follower.id, target.id)
    if removed is None:
        return None
    await statuses.remove_author_from_home(conn, follower.id, target.id)
    # Lists hold only followed accounts, as on Mastodon.
    for owned in await collections.lists_of(conn, follower.id, containing=target.id):
        await collections.remove_list_accounts(conn, owned.id, [target.id])
    if removed.state == "pending":
        await social.withdraw_notification(conn, account_id=target.id, from_account_id=follower.id,
                                           type="follow_request")
    return removed


async def unfollow(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        removed = await _end_follow(conn, account, target)
        if removed is not None and account.local and not target.local:
            follow_id = removed.uri or rt.urls.activity(account.uri, new_id())
            await _send(conn, rt, "Undo", account, follow_object(removed, account, target), target,
                        activity_id=rt.urls.undo(follow_id))


async def block(rt: Runtime, account: Account, target_id: int, *, uri: str | None = None) -> None:
    """Block: follows end both ways. A remote account's Block (`uri`) counts only against local accounts."""
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        if not account.local and not target.local:
            return
        uri = uri or rt.urls.activity(account.uri, new_id())
        if not await social.add_block(conn, account.id, target.id, uri):
            return
        await _end_follow(conn, account, target)
        await _end_follow(conn, target, account)
        if account.local and not target.local:
            await _send(conn, rt, "Block", account, target.uri, target, activity_id=uri)


async def unblock(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        removed = await social.remove_block(conn, account.id, target.id)
        if removed and account.local and not target.local:
            inner = {"id": removed.uri, "type": "Block", "actor": account.uri, "object": target.uri}
            await _send(conn, rt, "Undo", account, inner, target, activity_id=rt.urls.undo(removed.uri))


async def move(rt: Runtime, moved: Account, target: Account) -> None:
    """`moved` now lives at `target`, as Mastodon carries a move over: its local followers follow the
    new account instead (with the same boost and notify choices, in the same lists), and who blocked
    or muted the old account here blocks or mutes the new one. A follower who cannot follow the new
    account (a block between them) keeps following the old one. (The caller has checked that
    `target` names `moved` among its aliases.)"""
    async with rt.db.write() as conn:
        await accounts.set_moved(conn, moved.id, target.uri)  # its profile says where it went
        followers = await social.follower_accounts(conn, moved.id, local=True)
        for follower in followers:  # Mastodon's `move` notification: someone you follow moved
            if follower.id != target.id:
                await social.notify(conn, account_id=follower.id, from_account_id=moved.id, type="move")
        old = {f.id: await social.get_follow(conn, f.id, moved.id) for f in followers}
        blockers = [b for b in await social.local_blockers(conn, moved.id) if b.id != target.id]
        for muter_id, notifications, expires_at in await collections.local_mutes_of(conn, moved.id):
            if muter_id != target.id:
                await collections.add_mute(conn, muter_id, target.id, notifications=notifications,
                                           expires_at=expires_at)
    for blocker in blockers:
        await block(rt, blocker, target.id)
    for follower in followers:
        if follower.id == target.id:
            continue
        before = old[follower.id]
        try:
            await follow(rt, follower, target.id, reblogs=before.show_reblogs if before else None,
                         notify=before.notify if before else None)
        except ServiceError:
            continue
        async with rt.db.write() as conn:
            for owned in await collections.lists_of(conn, follower.id, containing=moved.id):
                await collections.add_list_accounts(conn, owned.id, [target.id])
        await unfollow(rt, follower, moved.id)
