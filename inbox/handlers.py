"""What each inbound activity does: one handler per (activity type, object type).

The sender is authenticated (its key belongs to `activity.actor`) before anything reaches here.
Objects are trusted only when they live on the actor's host; anything else is fetched from its origin.
"""
from __future__ import annotations

import logging
import time
from typing import Awaitable, Callable

from sqlalchemy import update

from federation.runtime import Runtime
from federation import as2, deref
from federation.addressing import visibility_of
from federation.as2 import InvalidDocument, host_of, note_values, object_id, types_of
from models import account_domain_blocks, accounts, moderation, social, statuses
from models.schema import accounts as accounts_table
from models import home
from models.accounts import Account
from models.ids import new_id
from federation.polls import is_vote
from social import follows as follow_cases, outgoing, polls, remote

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, dict, Account], Awaitable[None]]


async def dispatch(rt: Runtime, activity: dict, *, recipient_id: int | None) -> None:
    actor_uri = object_id(activity.get("actor")) or ""
    if not await rt.policy.allows(host_of(actor_uri)):
        raise InvalidDocument(f"{host_of(actor_uri)} was blocked after this activity arrived")
    actor = await deref.get_actor(rt, actor_uri)
    if actor is None:
        raise InvalidDocument("unknown actor")
    if actor.suspended_at is not None:
        raise InvalidDocument("the actor is suspended on this node")
    if activity_id := object_id(activity):
        if host_of(activity_id) != host_of(actor.uri):
            raise InvalidDocument("the activity's id is not on its actor's host")
    kind = next(iter(types_of(activity)), "")
    handler = HANDLERS.get(kind)
    if handler is None:
        log.debug("ignoring %s from %s", kind, actor.uri)
        return
    await handler(rt, activity, actor)


async def _embedded_or_fetched(rt: Runtime, activity: dict, actor: Account) -> dict | None:
    """The activity's object, trusted as sent only when it lives on the actor's host; otherwise
    fetched from its own origin (GHSA-3fjr-858r-92rw: never let one server speak for another)."""
    obj = activity.get("object")
    ref = object_id(obj)
    if ref is None:
        return None
    if isinstance(obj, dict) and host_of(ref) == host_of(actor.uri):
        return obj
    if deref.is_local(rt, ref):
        return None
    return await deref.fetch_document(rt, ref)


# --- Follows ------------------------------------------------------------------------------------

async def on_follow(rt: Runtime, activity: dict, actor: Account) -> None:
    target_uri = object_id(activity.get("object"))
    silenced = (await rt.policy.check(actor.domain)).silenced  # a limited server's follows need approval
    async with rt.db.write() as conn:
        target = await accounts.by_uri(conn, target_uri or "")
        if target is None or not target.local or target.suspended_at is not None:
            return
        follow_uri = object_id(activity)
        if (await social.is_blocked_either_way(conn, actor.id, target.id)
                or await account_domain_blocks.blocking(conn, [target.id], actor.domain)):
            reject = as2.activity("Reject", rt.urls.activity(target.uri, new_id()), target.uri,
                                  as2.strip_context(activity), to=[actor.uri])
            await outgoing.queue(conn, rt, activity=reject, signer=target, to_accounts=[actor.id])
            return
        existing = await social.get_follow(conn, actor.id, target.id)
        follow = await social.add_follow(conn, actor.id, target.id, uri=follow_uri, state="pending")
        needs_approval = target.locked or actor.silenced_at is not None or silenced
        if needs_approval and not (existing and existing.state == "accepted"):
            await social.notify(conn, account_id=target.id, from_account_id=actor.id, type="follow_request")
            return
        # Accepted (again: a peer that re-sends a Follow it lost track of gets a fresh Accept).
        await follow_cases.accept_follow(conn, rt, follow, target)
        if not existing:
            await social.notify(conn, account_id=target.id, from_account_id=actor.id, type="follow")


async def _local_follow_of(conn, activity_object, actor: Account):  # noqa: ANN001, ANN202
    """The follow of `actor` by a local account that an Accept/Reject refers to."""
    ref = object_id(activity_object)
    follow = await social.follow_by_uri(conn, ref) if ref else None
    if follow is None and isinstance(activity_object, dict):
        follower = await accounts.by_uri(conn, object_id(activity_object.get("actor")) or "")
        if follower and follower.local:
            follow = await social.get_follow(conn, follower.id, actor.id)
    if follow is None or follow.target_account_id != actor.id:
        return None
    return follow


async def on_accept(rt: Runtime, activity: dict, actor: Account) -> None:
    async with rt.db.write() as conn:
        follow = await _local_follow_of(conn, activity.get("object"), actor)
        if follow is None:
            return
        await social.accept_follow(conn, follow)


async def on_reject(rt: Runtime, activity: dict, actor: Account) -> None:
    async with rt.db.write() as conn:
        follow = await _local_follow_of(conn, activity.get("object"), actor)
        if follow is None:
            return
        await social.remove_follow(conn, follow.account_id, actor.id)
        await statuses.remove_author_from_home(conn, follow.account_id, actor.id)


# --- Undo ---------------------------------------------------------------------------------------

async def on_undo(rt: Runtime, activity: dict, actor: Account) -> None:
    inner = activity.get("object")
    inner_id = object_id(inner)
    kind = next(iter(types_of(inner)), "") if isinstance(inner, dict) else ""
    async with rt.db.write() as conn:
        if kind == "Follow" or (not kind and inner_id and await social.follow_by_uri(conn, inner_id)):
            target = await accounts.by_uri(conn, object_id(inner.get("object")) or "") if isinstance(inner, dict) else None
            follow = await social.follow_by_uri(conn, inner_id) if inner_id else None
            target_id = follow.target_account_id if follow and follow.account_id == actor.id else (
                target.id if target else None)
            if target_id is not None:
                await social.remove_follow(conn, actor.id, target_id)
            return
        if kind == "Like" or (not kind and inner_id and await social.favourite_by_uri(conn, inner_id)):
            like = await social.favourite_by_uri(conn, inner_id) if inner_id else None
            status_id = like.status_id if like and like.account_id == actor.id else None
            if status_id is None and isinstance(inner, dict):
                status = await statuses.by_uri(conn, object_id(inner.get("object")) or "")
                status_id = status.id if status else None
            if status_id is not None and await social.remove_favourite(conn, actor.id, status_id) is not False:
                await statuses.bump(conn, status_id, "favourites_count", -1)
                status = await statuses.get(conn, status_id)
                if status:
                    await social.withdraw_notification(conn, account_id=status.account_id,
                                                       from_account_id=actor.id, type="favourite",
                                                       status_id=status_id)
            return
        if kind == "Announce" or not kind:
            boost = await statuses.by_uri(conn, inner_id or "")
            if boost and boost.account_id == actor.id and boost.reblog_of_id:
                await statuses.mark_deleted(conn, boost.id)
                await statuses.bump(conn, boost.reblog_of_id, "reblogs_count", -1)
                original = await statuses.get(conn, boost.reblog_of_id)
                if original:
                    await social.withdraw_notification(conn, account_id=original.account_id,
                                                       from_account_id=actor.id, type="reblog",
                                                       status_id=original.id)
                return
        if kind == "Block":
            target = await accounts.by_uri(conn, object_id(inner.get("object")) or "")
            if target:
                await social.remove_block(conn, actor.id, target.id)


# --- Posts --------------------------------------------------------------------------------------

async def _author_of(rt: Runtime, obj: dict, actor: Account) -> Account | None:
    """Who wrote `obj`: the actor when it lives on the actor's host; otherwise (a copy fetched from
    its origin) the account it is attributed to, which must live on the object's host."""
    if host_of(object_id(obj)) == host_of(actor.uri):
        return actor
    author_uri = note_values(obj)["attributed_to"] if isinstance(obj, dict) else None
    if not author_uri or host_of(author_uri) != host_of(object_id(obj)):
        return None
    return await deref.get_actor(rt, author_uri)


async def on_create(rt: Runtime, activity: dict, actor: Account) -> None:
    obj = await _embedded_or_fetched(rt, activity, actor)
    if obj is None or not set(types_of(obj)) & remote.NOTE_TYPES:
        return
    if is_vote(obj) and await polls.receive_vote(rt, obj, actor):
        return  # an answer to a local poll, not a post
    author = await _author_of(rt, obj, actor)
    if author is not None:
        await remote.store_note(rt, obj, author)


async def on_update(rt: Runtime, activity: dict, actor: Account) -> None:
    obj = activity.get("object")
    if isinstance(obj, dict) and set(types_of(obj)) & as2.ACTOR_TYPES:
        if object_id(obj) != actor.uri:
            raise InvalidDocument("an actor may only update itself")
        await deref.store_actor(rt, as2.actor_values(obj))
        return
    obj = await _embedded_or_fetched(rt, activity, actor)
    if obj is None or not set(types_of(obj)) & remote.NOTE_TYPES:
        return
    author = await _author_of(rt, obj, actor)
    if author is not None:
        await remote.update_note(rt, obj, author)


async def on_delete(rt: Runtime, activity: dict, actor: Account) -> None:
    target_uri = object_id(activity.get("object"))
    if not target_uri:
        return
    async with rt.db.write() as conn:
        if target_uri == actor.uri:
            await _delete_account(conn, actor)
            return
        status = await statuses.by_uri(conn, target_uri)
        if status is None:
            return
        if status.account_id != actor.id:
            raise InvalidDocument("only the author may delete a status")
        await statuses.mark_deleted(conn, status.id)
        await accounts.bump_counter(conn, actor.id, "statuses_count", -1)
        if status.in_reply_to_id:
            await statuses.bump(conn, status.in_reply_to_id, "replies_count", -1)
        if status.reblog_of_id:
            await statuses.bump(conn, status.reblog_of_id, "reblogs_count", -1)


async def _delete_account(conn, actor: Account) -> None:  # noqa: ANN001
    """The actor deleted itself: its follows end (counters too), its posts and reactions go."""
    await moderation.sever_follows(conn, [actor.id])
    await moderation.purge_content(conn, [actor.id])
    await conn.execute(update(accounts_table).where(accounts_table.c.id == actor.id)
                       .values(suspended_at=time.time(), display_name="", note=""))


# --- Reactions ----------------------------------------------------------------------------------

async def on_announce(rt: Runtime, activity: dict, actor: Account) -> None:
    object_uri = object_id(activity.get("object"))
    boost_uri = object_id(activity)
    if not object_uri or not boost_uri:
        return
    async with rt.db.read() as conn:
        original = await statuses.by_uri(conn, object_uri)
    if original is None and not deref.is_local(rt, object_uri):
        original = await remote.fetch_status(rt, object_uri)
    if original is None or original.visibility not in ("public", "unlisted"):
        return  # only public posts can be boosted; a local-only one never by an outsider
    visibility = visibility_of(activity, followers_url=actor.followers_url)
    async with rt.db.write() as conn:
        if await statuses.by_uri(conn, boost_uri, with_deleted=True):
            return
        boost = await statuses.insert_status(
            conn, id=new_id(), uri=boost_uri, url=boost_uri, account_id=actor.id, local=False,
            reblog_of_id=original.id, content="",
            visibility=visibility if visibility in ("public", "unlisted", "private") else "public")
        await statuses.bump(conn, original.id, "reblogs_count", 1)
        author = await accounts.get(conn, original.account_id)
        if author and author.local:
            await social.notify(conn, account_id=author.id, from_account_id=actor.id, type="reblog",
                                status_id=original.id)
        await home.fill_home(conn, boost.id)


async def on_like(rt: Runtime, activity: dict, actor: Account) -> None:
    object_uri = object_id(activity.get("object"))
    async with rt.db.write() as conn:
        status = await statuses.by_uri(conn, object_uri or "")
        if status is None or not status.local:
            return
        if not await statuses.can_see(conn, status, actor.id, False):
            return
        if await social.add_favourite(conn, actor.id, status.id, object_id(activity)):
            await statuses.bump(conn, status.id, "favourites_count", 1)
            await social.notify(conn, account_id=status.account_id, from_account_id=actor.id,
                                type="favourite", status_id=status.id)


async def on_block(rt: Runtime, activity: dict, actor: Account) -> None:
    async with rt.db.write() as conn:
        target = await accounts.by_uri(conn, object_id(activity.get("object")) or "")
        if target is None or not target.local:
            return
        await social.add_block(conn, actor.id, target.id, object_id(activity))
        for a, b in ((actor.id, target.id), (target.id, actor.id)):
            if await social.remove_follow(conn, a, b):
                await statuses.remove_author_from_home(conn, a, b)


async def on_flag(rt: Runtime, activity: dict, actor: Account) -> None:
    from social import moderation  # a report from another server, for this node's admins

    await moderation.receive_flag(rt, activity, actor)


async def on_move(rt: Runtime, activity: dict, actor: Account) -> None:
    """An account moved: its local followers follow the new account instead — only when the new
    account, fetched from its own origin, names the old one in alsoKnownAs (else anyone could
    steal followers by announcing a move to an account of their own)."""
    if object_id(activity.get("object")) != actor.uri:
        raise InvalidDocument("an actor may only move itself")
    target_uri = object_id(activity.get("target"))
    if not target_uri or target_uri == actor.uri:
        raise InvalidDocument("a Move needs a target")
    doc = await deref.fetch_document(rt, target_uri)
    aliases = doc.get("alsoKnownAs")
    aliases = [aliases] if isinstance(aliases, str) else [a for a in aliases or [] if isinstance(a, str)]
    if actor.uri not in aliases:
        raise InvalidDocument("the Move target does not list the origin in alsoKnownAs")
    target = await deref.store_actor(rt, as2.actor_values(doc))
    async with rt.db.read() as conn:
        followers = await social.follower_accounts(conn, actor.id, local=True)
    for follower in followers:
        await follow_cases.follow(rt, follower, target.id)
        await follow_cases.unfollow(rt, follower, actor.id)


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Undo": on_undo,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Announce": on_announce,
    "Like": on_like,
    "Block": on_block,
    "Move": on_move,
    "Flag": on_flag,
}
