"""Create, Update and Delete of posts, Update of the actor, Delete of the actor: each into one
social fact (social.remote converts a Note into social.statuses' values)."""
from __future__ import annotations

from federation.runtime import Runtime
from federation import as2
from federation.as2 import InvalidDocument, object_id, types_of
from federation.polls import is_vote
from inbox.handlers.common import author_of, embedded_or_fetched
from models import statuses
from models.accounts import Account
from social import moderation, polls, profile, quotes, remote
from social import statuses as status_facts


async def note_of(rt: Runtime, activity: dict, actor: Account) -> tuple[dict, Account] | None:
    """The Note an activity carries (or names) and its author."""
    obj = await embedded_or_fetched(rt, activity, actor)
    if obj is None or not set(types_of(obj)) & remote.NOTE_TYPES:
        return None
    author = await author_of(rt, obj, actor)
    return (obj, author) if author is not None else None


async def on_create(rt: Runtime, activity: dict, actor: Account) -> None:
    found = await note_of(rt, activity, actor)
    if found is None:
        return
    obj, author = found
    if is_vote(obj) and await polls.receive_vote(rt, obj, actor):
        return  # an answer to a local poll, not a post
    await remote.store_note(rt, obj, author, activity=activity if author.id == actor.id else None)


async def on_update_note(rt: Runtime, activity: dict, actor: Account) -> None:
    found = await note_of(rt, activity, actor)
    if found is not None:
        await remote.update_note(rt, *found, activity=activity if found[1].id == actor.id else None)


async def on_update_actor(rt: Runtime, activity: dict, actor: Account) -> None:
    await profile.receive_update(rt, actor, as2.actor_values(activity["object"]))


async def on_delete(rt: Runtime, activity: dict, actor: Account) -> None:
    target_uri = object_id(activity.get("object"))
    if not target_uri:
        return
    if target_uri == actor.uri:
        await moderation.actor_deleted(rt, actor)
        return
    async with rt.db.read() as conn:
        status = await statuses.by_uri(conn, target_uri)
    if status is None:
        await quotes.on_authorization_deleted(rt, actor, target_uri)  # a quote's approval withdrawn
        return
    if status.account_id != actor.id:
        raise InvalidDocument("only the author may delete a status")
    await status_facts.remove(rt, actor, status.id, activity=activity)
