"""QuoteRequest for a local post, and the Accept or Reject of a local quote post's QuoteRequest
(FEP-044f): each into one social.quotes fact."""
from __future__ import annotations

from federation.as2 import InvalidDocument, host_of, object_id, types_of
from federation.runtime import Runtime
from inbox.handlers.common import inner
from models.accounts import Account
from social import quotes as facts
from social import remote


def answers_quote_request(ref: str | None) -> bool:
    """Whether an id names a QuoteRequest a local quote post sent (federation.urls.quote_request)."""
    return bool(ref) and ref.endswith("#quote_request")


async def on_quote_request(rt: Runtime, activity: dict, actor: Account) -> None:
    """Answered as the quoted author's policy says; an accepted quote post is stored here (from the
    request when it embeds it, as its author's own post) and its quoted author told."""
    issued = await facts.answer_request(rt, actor, activity)
    if issued is None:
        return
    note = activity.get("instrument")
    if not isinstance(note, dict) or host_of(object_id(note)) != host_of(actor.uri):
        note = None  # by reference only: it reaches this node with its Create, if it ever does
    if note is None or not set(types_of(note)) & remote.NOTE_TYPES:
        return
    try:
        status = await remote.store_note(rt, note, actor)
    except InvalidDocument:
        return
    if status is not None and status.quote_state != "accepted":
        await facts.accept_known(rt, status, issued)


async def on_accept(rt: Runtime, activity: dict, actor: Account) -> None:
    await facts.on_accepted(rt, actor, {**activity, "object": inner(activity)[0]})


async def on_reject(rt: Runtime, activity: dict, actor: Account) -> None:
    await facts.on_rejected(rt, actor, {**activity, "object": inner(activity)[0]})
