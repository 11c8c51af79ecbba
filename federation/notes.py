"""The Note (or Question) of a local status, with its attachments: read from storage, shaped as AS2."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation import as2
from federation.media import attachment_documents
from federation.polls import as_question
from federation.runtime import Runtime
from models import media as media_store
from models import polls as polls_store
from models import statuses as statuses_store
from models.statuses import Status


async def decorate_note(conn: AsyncConnection, rt: Runtime, status: Status, note: dict, *, new: bool = False) -> dict:
    """Add the attachments of a local status to its Note, and make it a Question if it has a poll.
    `new`: the status was written in this transaction, so nobody has replied to it yet."""
    return (await decorate_notes(conn, rt, {status.id: note}, new=new))[status.id]


EMBEDDED_REPLIES = 5  # as Mastodon: the first few reply ids in the Note itself, the rest on the pages


def _with_first_replies(note: dict, rt: Runtime, found: list[tuple[int, str]]) -> dict:
    """The Note's embedded first page of replies: the first few, and `next` when there are more."""
    replies = note.get("replies")
    if not isinstance(replies, dict) or not found:
        return note
    shown = found[:EMBEDDED_REPLIES]
    more = len(found) > EMBEDDED_REPLIES
    return {**note, "replies": as2.replies_collection(
        replies["id"], replies.get("totalItems", len(found)), [uri for _, uri in shown],
        rt.urls.replies_page(replies["id"], shown[-1][0]) if more else None)}


async def decorate_notes(conn: AsyncConnection, rt: Runtime, notes: dict[int, dict], *,
                         new: bool = False) -> dict[int, dict]:
    """decorate_note for the Notes of many statuses (by status id), in three statements whatever their number."""
    attached = await media_store.of_statuses(conn, list(notes))
    polls = await polls_store.of_statuses(conn, list(notes))
    replies = {} if new else await statuses_store.first_public_replies(conn, list(notes), EMBEDDED_REPLIES + 1)
    out = {}
    for status_id, note in notes.items():
        note = _with_first_replies(note, rt, replies.get(status_id, []))
        note = {**note, "attachment": attachment_documents(attached.get(status_id, []), rt.urls)}
        out[status_id] = as_question(note, polls[status_id]) if status_id in polls else note
    return out
