"""Follow, Accept/Reject of a Follow, Undo of a Follow, Block, Undo of a Block, Move: each into
one social.follows fact (a Move: social.migration)."""
from __future__ import annotations

from federation.runtime import Runtime
from federation.as2 import InvalidDocument, object_id
from inbox.handlers.common import inner, local_account, own_record
from models import accounts, social
from models.accounts import Account
from models.social import Follow
from social import follows as facts
from social import migration


async def on_follow(rt: Runtime, activity: dict, actor: Account) -> None:
    target = await local_account(rt, object_id(activity.get("object")))
    if target is not None:
        if not object_id(activity):
            raise InvalidDocument("a Follow needs an id: the Accept or Reject names it")
        await facts.follow(rt, actor, target.id, uri=object_id(activity))


async def _local_follow_of(rt: Runtime, activity: dict, actor: Account) -> Follow | None:
    """The follow of `actor` by a local account that an Accept/Reject answers (by the Follow's id,
    or by who sent it)."""
    follow_doc, ref = inner(activity)
    async with rt.db.read() as conn:
        follow = await social.follow_by_uri(conn, ref) if ref else None
        if follow is None:
            follower = await accounts.by_uri(conn, object_id(follow_doc.get("actor")) or "")
            if follower and follower.local:
                follow = await social.get_follow(conn, follower.id, actor.id)
    return follow if follow is not None and follow.target_account_id == actor.id else None


async def on_accept(rt: Runtime, activity: dict, actor: Account) -> None:
    follow = await _local_follow_of(rt, activity, actor)
    if follow is not None and follow.state == "pending":
        await facts.authorize_follow_request(rt, actor, follow.account_id)


async def on_reject(rt: Runtime, activity: dict, actor: Account) -> None:
    follow = await _local_follow_of(rt, activity, actor)
    if follow is not None:
        await facts.reject_follow_request(rt, actor, follow.account_id, pending_only=False)


async def _undo_edge(rt: Runtime, activity: dict, actor: Account, find, fact) -> None:  # noqa: ANN001
    """An Undo of a Follow or a Block: the actor's own row named by the Undo's object id, or else
    the local account the object names."""
    doc, ref = inner(activity)
    row = await own_record(rt, find, ref, actor)
    target = None if row else await local_account(rt, object_id(doc.get("object")))
    if row or target:
        await fact(rt, actor, row.target_account_id if row else target.id)


async def on_undo_follow(rt: Runtime, activity: dict, actor: Account) -> None:
    await _undo_edge(rt, activity, actor, social.follow_by_uri, facts.unfollow)


async def on_block(rt: Runtime, activity: dict, actor: Account) -> None:
    target = await local_account(rt, object_id(activity.get("object")))
    if target is not None:
        await facts.block(rt, actor, target.id, uri=object_id(activity))


async def on_undo_block(rt: Runtime, activity: dict, actor: Account) -> None:
    await _undo_edge(rt, activity, actor, social.block_by_uri, facts.unblock)


async def on_move(rt: Runtime, activity: dict, actor: Account) -> None:
    """An account moved: honoured only when the new account names the old one (social.migration)."""
    if object_id(activity.get("object")) != actor.uri:
        raise InvalidDocument("an actor may only move itself")
    target_uri = object_id(activity.get("target"))
    if not target_uri or target_uri == actor.uri:
        raise InvalidDocument("a Move needs a target")
    await migration.receive_move(rt, actor, target_uri)
