"""What each inbound activity does: the sender is checked, the activity is dispatched on
(activity type, object type) to one small handler, and that handler translates it into one
`social` call — the very function a local person's action reaches through the client API.

The sender is authenticated (its key belongs to `activity.actor`) before anything reaches here.
Objects are trusted only when they live on the actor's host; anything else is fetched from its origin.
"""
from __future__ import annotations

import logging
from typing import Mapping
from urllib.parse import urldefrag

from federation.runtime import Runtime
from federation import as2, deref
from federation.as2 import InvalidDocument, host_of, object_id, types_of
from inbox.handlers import chats, follows, forwarded, groups, posts, quotes, reactions
from inbox.handlers.common import ANY, Handler, local_actor_type, undone_type
from federation.polls import is_vote
from models import accounts
from models.accounts import Account
from social import remote
from social import statuses as status_facts
from social.statuses import NewStatus
from social.errors import ServiceError, Unavailable

log = logging.getLogger(__name__)

HANDLERS: dict[tuple[str, str], Handler] = {
    ("Follow", ANY): follows.on_follow,
    ("Follow", "Group"): groups.on_join,  # one of this node's groups: its join policy decides
    ("Accept", "Follow"): follows.on_accept,
    ("Reject", "Follow"): follows.on_reject,
    ("Undo", "Follow"): follows.on_undo_follow,
    ("Block", ANY): follows.on_block,
    ("Undo", "Block"): follows.on_undo_block,
    ("Move", ANY): follows.on_move,
    ("Create", ANY): posts.on_create,  # a Note, or an answer to a poll; fetched when not embedded
    ("Update", ANY): posts.on_update_note,
    **{("Update", kind): posts.on_update_actor for kind in as2.ACTOR_TYPES},
    ("Delete", ANY): posts.on_delete,  # a status, or the actor itself
    ("Like", ANY): reactions.on_like,
    ("Undo", "Like"): reactions.on_undo_like,
    ("Announce", ANY): reactions.on_announce,
    ("Announce", "Create"): groups.on_announce_create,  # a group relaying a post (FEP-1b12, Lemmy)
    ("Announce", "Update"): groups.on_announce_update,  # … and its author's edit
    ("Announce", "Delete"): groups.on_announce_delete,  # … and its deletion
    ("Announce", "Like"): groups.on_announce_like,  # … and a like of it (counted on this node's posts)
    ("Announce", "Undo"): groups.on_announce_undo,  # … and that like taken back
    ("Undo", "Announce"): reactions.on_undo_announce,
    ("Flag", ANY): reactions.on_flag,
    # RSVPs to a chat's Event (federation.chat_events): Mobilizon's Join/Leave, Friendica's answers
    **{(kind, "Event"): chats.on_rsvp for kind in ("Join", "Leave", "Accept", "TentativeAccept", "Reject",
                                                     "TentativeReject")},
    **{("Undo", kind): chats.on_undo_rsvp for kind in ("Join", "Accept", "TentativeAccept")},
    ("QuoteRequest", ANY): quotes.on_quote_request,  # FEP-044f: may a remote post quote a local one
    ("Accept", "QuoteRequest"): quotes.on_accept,
    ("Reject", "QuoteRequest"): quotes.on_reject,
}
# Accept and Reject answer a Follow even when they name it by id only.
_BY_ID = {"Accept": "Follow", "Reject": "Follow"}
_RSVPS = {"Join", "Leave", "Accept", "TentativeAccept", "Reject", "TentativeReject"}


async def dispatch(rt: Runtime, activity: dict, *, recipient_id: int | None,
                   forwarded_by: str | None = None) -> None:
    """`forwarded_by`: the server that sent the activity for its actor (inbox.handlers.forwarded)."""
    actor = await _sender(rt, activity)
    if forwarded_by is not None:
        await forwarded.on_forwarded(rt, activity, actor)
        return
    kind = next(iter(types_of(activity)), "")
    obj = activity.get("object")
    obj_type = next(iter(types_of(obj)), "") if isinstance(obj, dict) else ""
    if kind in _RSVPS and chats.chat_named(rt, activity) is not None:
        obj_type = "Event"  # by id, embedded, or in the Invite it answers: one of this node's chats
    if not obj_type and kind in _BY_ID and quotes.answers_quote_request(object_id(obj)):
        obj_type = "QuoteRequest"  # named by id only: one a local quote post sent
    if not obj_type:
        obj_type = _BY_ID.get(kind) or (await undone_type(rt, object_id(obj)) if kind == "Undo" else "")
    if kind == "Follow":
        obj_type = await local_actor_type(rt, object_id(obj)) or obj_type
    handler = HANDLERS.get((kind, obj_type)) or HANDLERS.get((kind, ANY))
    if handler is None:
        log.debug("ignoring %s of %s from %s", kind, obj_type or "an object", actor.uri)
        return
    try:
        await handler(rt, activity, actor)
    except Unavailable:
        raise  # tried again later
    except ServiceError as err:  # refused as a local person's request would be: nothing happened
        raise InvalidDocument(f"{kind} refused: {err.message}") from None


def forwarder(activity: object, sender_uri: str) -> str | None:
    """Who forwarded a stored activity: its sender when that is not its actor (None: the actor sent it)."""
    actor_uri = object_id(activity.get("actor")) if isinstance(activity, dict) else None
    return sender_uri if actor_uri and sender_uri != actor_uri else None


async def plain_create(rt: Runtime, activity: dict, actors: Mapping[str, Account]) -> tuple[Account, NewStatus] | None:
    """The post a Create brings when it can be stored together with others (social.statuses.
    create_many): an original Note embedded by its own author, with nothing but text and hashtags
    (no media, poll, reply, mention, vote…). None for anything else, which dispatch applies alone.
    `actors`: the stored actors of the batch by uri (read together: actors_of)."""
    obj = activity.get("object")
    if next(iter(types_of(activity)), "") != "Create" or not isinstance(obj, dict) or is_vote(obj):
        return None
    if host_of(object_id(obj)) != host_of(object_id(activity.get("actor"))):
        return None  # fetched from its origin first: one at a time
    if any(obj.get(key) for key in as2.QUOTE_PROPERTIES):
        return None  # a quote: its authorization may have to be fetched
    # Nothing is fetched here (a batch waits for no origin): an actor unknown or stale goes alone.
    actor = await _sender(rt, activity, known=actors)
    found = await posts.note_of(rt, activity, actor)
    if found is None or found[1].id != actor.id:
        return None
    new = await remote.new_status(rt, found[0], actor, activity=activity, fetch_quoted=False)
    return (actor, new) if status_facts.batchable(actor, new) else None


async def actors_of(rt: Runtime, activities: list) -> dict[str, Account]:
    """The stored accounts of the activities' actors, by uri, in one read (a batch's: plain_create)."""
    uris = {urldefrag(uri)[0] for a in activities if isinstance(a, dict) and (uri := object_id(a.get("actor")))}
    async with rt.db.read() as conn:
        return await accounts.by_uris(conn, uris)


async def _sender(rt: Runtime, activity: dict, *, known: Mapping[str, Account] | None = None) -> Account:
    """The activity's actor, allowed here. `known`: actors read beforehand, the only ones used (an
    actor missing from them or stale is not fetched: None)."""
    actor_uri = object_id(activity.get("actor")) or ""
    if not await rt.policy.allows(host_of(actor_uri)):
        raise InvalidDocument(f"{host_of(actor_uri)} was blocked after this activity arrived")
    if known is None:
        actor = await deref.get_actor(rt, actor_uri)
    else:
        actor = known.get(urldefrag(actor_uri)[0])
        actor = actor if actor is not None and deref.fresh(actor) else None
    if actor is None:
        raise InvalidDocument("unknown actor")
    if actor.suspended_at is not None:
        raise InvalidDocument("the actor is suspended on this node")
    if activity_id := object_id(activity):
        if host_of(activity_id) != host_of(actor.uri):
            raise InvalidDocument("the activity's id is not on its actor's host")
    return actor
