"""Activities a server forwards for someone else (ActivityPub's "forwarding from inbox"): a reply
to one of its people's posts in a thread a group here relays, which the replier's server (Mastodon)
sent only to the replied-to author's server (social.group_relay.forward_reply).

The request is signed by the forwarding server, not by the author, so what it carries is not taken
on its word. The door (`may_forward`) lets in only a Create of a reply to a post on the forwarder's
own host, which is the standing ActivityPub gives it, or the Delete of such a reply; the worker
(`on_forwarded`) then believes the post only when its author's integrity proof (FEP-8b32) holds over
the whole activity, or as its origin serves it, and only when it is public or unlisted, and a
Delete only on the proof or when the origin no longer has the post: a forwarder can neither put
words in anyone's mouth, nor widen what its author addressed to fewer people, nor take a post away.
"""
from __future__ import annotations

from federation import deref, integrity
from federation.addressing import visibility_of
from federation.as2 import InvalidDocument, host_of, object_id, types_of
from federation.runtime import Runtime
from inbox.handlers.common import gone
from models import statuses
from models.accounts import Account
from social import remote
from social import statuses as status_facts
from social.group_relay import RELAYED_VISIBILITIES


async def may_forward(rt: Runtime, activity: dict, sender_uri: str) -> bool:
    """Whether `sender_uri`, who is not the activity's actor, may hand it to this node: a Create of a
    reply to a post on the sender's own host, or a Delete of such a reply known here."""
    obj = activity.get("object")
    if "Create" in types_of(activity):
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), (str, list)) or not (
                set(types_of(obj)) & remote.NOTE_TYPES):
            return False
        parent = object_id(obj.get("inReplyTo"))
    elif "Delete" in types_of(activity):
        async with rt.db.read() as conn:
            known = await statuses.by_uri(conn, object_id(obj) or "")
        parent = known.in_reply_to_uri if known is not None else None
    else:
        return False
    return bool(parent) and host_of(parent) == host_of(sender_uri)


async def on_forwarded(rt: Runtime, activity: dict, actor: Account) -> None:
    """A forwarded Create or Delete, applied as if its author had sent it once it is known to be theirs."""
    if "Delete" in types_of(activity):
        await _forwarded_delete(rt, activity, actor)
        return
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


async def _forwarded_delete(rt: Runtime, activity: dict, actor: Account) -> None:
    """The author's Delete of their reply: applied when their proof holds or their server no longer
    has the post (then without the forwarded Delete, which the group does not pass on)."""
    ref = object_id(activity.get("object")) or ""
    async with rt.db.read() as conn:
        known = await statuses.by_uri(conn, ref)
    if known is None:
        return
    if known.account_id != actor.id:
        raise InvalidDocument("only the author may delete a status")
    proven = await integrity.proven_by(rt, activity) == actor.uri
    if not proven and not await gone(rt, ref):
        raise InvalidDocument("a forwarded Delete of a post its origin still has")
    await status_facts.remove(rt, actor, known.id, activity=activity if proven else None)
