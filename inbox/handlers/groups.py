"""Groups (FEP-1b12) in the inbox: a Follow of one of this node's groups is a join (its join policy
decides), and a remote group's Announce of an activity in it (a member's Create, Update or Delete,
Lemmy's and FEP-1b12's form) applies that activity here.

The group vouches only for its own server's people. Anyone else's activity it carries is taken as
embedded only when its author's integrity proof (FEP-8b32) holds; otherwise the post is fetched
from its own origin, and a Delete is applied only when that origin no longer has the post. So a
group can relay a post its members cannot fetch (a members-only one, from a server that proves what
it sends), but never forge or alter anyone's post.
"""
from __future__ import annotations

from federation import deref, integrity
from federation.addressing import visibility_of
from federation.as2 import InvalidDocument, host_of, object_id, types_of
from federation.http import FetchError
from federation.runtime import Runtime
from inbox.handlers import reactions
from inbox.handlers.common import gone, inner, local_account, status_by_uri_or_fetched
from models import statuses
from models.accounts import Account
from social import groups, interactions, remote
from social import statuses as status_facts


async def on_join(rt: Runtime, activity: dict, actor: Account) -> None:
    group = await local_account(rt, object_id(activity.get("object")))
    if group is not None:
        if not object_id(activity):
            raise InvalidDocument("a Follow needs an id: the Accept or Reject names it")
        await groups.join(rt, actor, group.id, uri=object_id(activity))


async def _carried(rt: Runtime, activity: dict, group: Account) -> tuple[dict, Account] | None:
    """The activity a group announces, and its actor, when what it carries may be taken as sent:
    it comes from the group's own server, or its actor's proof holds. None: look at the origin."""
    inner = activity.get("object")
    actor_uri = object_id(inner.get("actor")) if isinstance(inner, dict) else None
    if not actor_uri or not await rt.policy.allows(host_of(actor_uri)):
        return None
    if host_of(actor_uri) != host_of(group.uri) and await integrity.proven_by(rt, inner) != actor_uri:
        return None
    author = await deref.get_actor(rt, actor_uri)
    return (inner, author) if author is not None and author.suspended_at is None else None


def _embedded_note(inner: dict, author: Account) -> dict | None:
    """The post an activity by `author` carries whole, when it is the author's own."""
    note = inner.get("object")
    if not isinstance(note, dict) or not set(types_of(note)) & remote.NOTE_TYPES:
        return None
    return note if host_of(object_id(note)) == host_of(author.uri) else None


async def on_announce_create(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Create{Note}}: a member's post, relayed by its group; shown here as the group's boost."""
    create = activity.get("object")
    post_id = object_id(create.get("object")) if isinstance(create, dict) else None
    if not post_id or not object_id(activity):
        return
    original = None
    if (carried := await _carried(rt, activity, actor)) and (note := _embedded_note(*carried)):
        original = await remote.store_note(rt, note, carried[1])
    if original is None:
        original = await status_by_uri_or_fetched(rt, post_id)
    if original is not None:
        await interactions.reblog(rt, actor, original.id, visibility_of(activity, followers_url=actor.followers_url),
                                  activity_uri=object_id(activity))


async def on_announce_update(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Update{Note}}: the author's edit of a post the group relayed."""
    update = activity.get("object")
    post_id = object_id(update.get("object")) if isinstance(update, dict) else None
    if not post_id:
        return
    if (carried := await _carried(rt, activity, actor)) and (note := _embedded_note(*carried)):
        await remote.update_note(rt, note, carried[1])
        return
    async with rt.db.read() as conn:
        known = await statuses.by_uri(conn, post_id)
    if known is None or deref.is_local(rt, post_id):
        return
    try:
        note = await deref.fetch_document(rt, post_id)  # the edit as its origin has it now
    except (FetchError, InvalidDocument):
        return
    author = await deref.get_actor(rt, object_id(note.get("attributedTo")) or "")
    if author is not None and author.id == known.account_id:
        await remote.update_note(rt, note, author)


async def on_announce_delete(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Delete}: the author deleted a post the group relayed; applied when the author's own
    server vouches for it (the group is on it, a proof holds, or it no longer serves the post)."""
    delete = activity.get("object")
    post_id = object_id(delete.get("object")) if isinstance(delete, dict) else None
    if not post_id or deref.is_local(rt, post_id):
        return
    async with rt.db.read() as conn:
        known = await statuses.by_uri(conn, post_id)
    if known is None:
        return
    carried = await _carried(rt, activity, actor)
    author = carried[1] if carried else None
    if author is None:
        if not await gone(rt, post_id):
            return
        author = await deref.get_actor(rt, object_id(delete.get("actor")) or "")
    if author is not None and author.id != known.account_id and host_of(author.uri) == host_of(actor.uri):
        # A moderator's removal (Lemmy's Delete with a reason, from the group's own server): the post
        # leaves the group here; it stays its author's.
        if await _relay_of(rt, actor, known.id):
            await interactions.unreblog(rt, actor, known.id)
        return
    if author is None or author.id != known.account_id:
        raise InvalidDocument("only the author may delete a status")
    await status_facts.remove(rt, author, known.id)


async def _relay_of(rt: Runtime, group: Account, status_id: int) -> bool:
    async with rt.db.read() as conn:
        return await statuses.find_reblog(conn, group.id, status_id) is not None


async def on_announce_like(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Like}: a group forwarding a member's like (Lemmy sends a vote only to the community).
    It counts here on this node's own posts, when the group's server or the liker's proof vouches
    for it; a like of anyone else's post is their server's to count."""
    if (carried := await _carried(rt, activity, actor)) and _of_local_post(rt, carried[0]):
        await reactions.on_like(rt, *carried)


async def on_announce_undo(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Undo{Like}}: a member's like taken back, as the group forwarded the Like."""
    if not (carried := await _carried(rt, activity, actor)):
        return
    undo, liker = carried
    like, ref = inner(undo)
    if "Like" in types_of(like) and _of_local_post(rt, like):
        await reactions.on_undo_like(rt, undo, liker)
    elif ref and not like.get("object"):  # the like named by id only: known here if it is on a post here
        await reactions.on_undo_like(rt, undo, liker)


def _of_local_post(rt: Runtime, like: dict) -> bool:
    return deref.is_local(rt, object_id(like.get("object")) or "")
