"""Like, Announce (a boost), their Undo, and Flag (a report): each into one social fact."""
from __future__ import annotations

from federation.runtime import Runtime
from federation.addressing import visibility_of
from federation.as2 import object_id
from inbox.handlers.common import inner, own_record, status_by_uri_or_fetched
from models import social, statuses
from models.accounts import Account
from social import interactions, moderation


async def on_like(rt: Runtime, activity: dict, actor: Account) -> None:
    async with rt.db.read() as conn:
        status = await statuses.by_uri(conn, object_id(activity.get("object")) or "")
    if status is not None:
        await interactions.favourite(rt, actor, status.id, activity_uri=object_id(activity), activity=activity)


async def on_undo_like(rt: Runtime, activity: dict, actor: Account) -> None:
    like_doc, ref = inner(activity)
    like = await own_record(rt, social.favourite_by_uri, ref, actor)
    async with rt.db.read() as conn:
        status = (await statuses.get(conn, like.status_id) if like
                  else await statuses.by_uri(conn, object_id(like_doc.get("object")) or ""))
    if status is not None:
        await interactions.unfavourite(rt, actor, status.id, activity=activity)


async def on_announce(rt: Runtime, activity: dict, actor: Account) -> None:
    object_uri = object_id(activity.get("object"))
    if not object_uri or not object_id(activity):
        return
    original = await status_by_uri_or_fetched(rt, object_uri)
    if original is None:
        return
    await interactions.reblog(rt, actor, original.id, visibility_of(activity, followers_url=actor.followers_url),
                              activity_uri=object_id(activity))


async def on_undo_announce(rt: Runtime, activity: dict, actor: Account) -> None:
    announce, ref = inner(activity)
    async with rt.db.read() as conn:
        boost = await statuses.by_uri(conn, ref or "")
        if boost is None:
            # A group announces a post in two forms (FEP-1b12's and Mastodon's) and undoes the one
            # it keeps: this node may have taken the post from the other. The actor's boost of it.
            original = await statuses.by_uri(conn, object_id(announce.get("object")) or "")
            boost = await statuses.find_reblog(conn, actor.id, original.id) if original else None
    if boost is not None and boost.account_id == actor.id and boost.reblog_of_id:
        await interactions.unreblog(rt, actor, boost.id)


async def on_flag(rt: Runtime, activity: dict, actor: Account) -> None:
    await moderation.receive_flag(rt, activity, actor)  # a report for this node's admins
