"""RSVPs to this node's hashtag chats from people on other servers (federation.chat_events): Join,
Accept and TentativeAccept of a chat's Event say they will attend; Leave, Reject and TentativeReject
that they will not; an Undo of a Join, Accept or TentativeAccept (embedded) takes it back. The chat is
named by its page's URL (the Event's id)."""
from __future__ import annotations

from federation import deref
from federation.as2 import types_of
from federation.chat_events import ATTENDING, chat_id_in, rsvp_target
from federation.runtime import Runtime
from models.accounts import Account
from social import chats


def chat_named(rt: Runtime, activity: dict) -> int | None:
    """The chat of this node an RSVP is about, or None (then it is something else, e.g. a Follow's Accept)."""
    target = rsvp_target(activity)
    return chat_id_in(target) if deref.is_local(rt, target) else None


async def on_rsvp(rt: Runtime, activity: dict, actor: Account) -> None:
    chat_id = chat_named(rt, activity)
    kind = next(iter(types_of(activity)), "")
    if chat_id is None or kind not in ATTENDING:
        return
    await chats.attend(rt, actor, chat_id, ATTENDING[kind], join=activity if kind == "Join" else None)


async def on_undo_rsvp(rt: Runtime, activity: dict, actor: Account) -> None:
    """Undo{Join|Accept|TentativeAccept} of a chat, the RSVP embedded (an id alone names nothing here)."""
    undone = activity.get("object")
    if not isinstance(undone, dict) or not ATTENDING.get(next(iter(types_of(undone)), "")):
        return
    chat_id = chat_named(rt, undone)
    if chat_id is not None:
        await chats.attend(rt, actor, chat_id, False)
