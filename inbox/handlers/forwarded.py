"""Activities a server forwards for someone else (ActivityPub's "forwarding from inbox"): a reply
to one of its people's posts in a thread a group here relays, which the replier's server (Mastodon)
sent only to the replied-to author's server (social.group_relay.forward_reply).

The request is signed by the forwarding server, not by the author, so what it carries is not taken
on its word. The door (`may_forward`) lets in only a Create of a reply to a post on the forwarder's
own host, which is the standing ActivityPub gives it; the worker (`on_forwarded`) then believes the
post only when its author's integrity proof (FEP-8b32) holds over the whole activity, or as its
origin serves it, and only when it is public or unlisted: a forwarder can neither put words in
anyone's mouth nor widen what its author addressed to fewer people.
"""
from __future__ import annotations

from federation import deref, integrity
from federation.addressing import visibility_of
from federation.as2 import InvalidDocument, host_of, object_id, types_of
from federation.runtime import Runtime
from models.accounts import Account
from social import remote
from social.group_relay import RELAYED_VISIBILITIES


def may_forward(activity: dict, sender_uri: str) -> bool:
    """Whether `sender_uri`, who is not the activity's actor, may hand it to this node: a Create of a
    reply to a post on the sender's own host."""
    note = activity.get("object")
    if "Create" not in types_of(activity) or not isinstance(note, dict) or not isinstance(note.get("type"), (str, list)):
        return False
    parent = object_id(note.get("inReplyTo")) if set(types_of(note)) & remote.NOTE_TYPES else None
    return bool(parent) and host_of(parent) == host_of(sender_uri)


async def on_forwarded(rt: Runtime, activity: dict, actor: Account) -> None:
    """A forwarded Create, applied as if its author had sent it once it is known to be theirs."""
    carried: dict | None = activity
    note = activity.get("object")
    if not isinstance(note, dict) or await integrity.proven_by(rt, activity) != actor.uri:
        ref = object_id(note)
        if not ref or host_of(ref) != host_of(actor.uri) or deref.is_local(rt, ref):
            raise InvalidDocument("a forwarded activity names no post of its author's")
        note = await deref.fetch_document(rt, ref)  # as its origin has it, or not at all
        carried = None  # what was forwarded is not what the group passes on
    if not set(types_of(note)) & remote.NOTE_TYPES:
        raise InvalidDocument("a forwarded activity carries no post")
    if visibility_of(note, followers_url=actor.followers_url) not in RELAYED_VISIBILITIES:
        raise InvalidDocument("a forwarded post is taken only when it is public or unlisted")
    await remote.store_note(rt, note, actor, activity=carried)  # checks it is the actor's, on their host
