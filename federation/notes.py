"""The Note (or Question) of a local status, with its attachments: read from storage, shaped as AS2."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.media import attachment_documents
from federation.polls import as_question
from federation.runtime import Runtime
from models import media as media_store
from models import polls as polls_store
from models.statuses import Status


async def decorate_note(conn: AsyncConnection, rt: Runtime, status: Status, note: dict) -> dict:
    """Add the attachments of a local status to its Note, and make it a Question if it has a poll."""
    return (await decorate_notes(conn, rt, {status.id: note}))[status.id]


async def decorate_notes(conn: AsyncConnection, rt: Runtime, notes: dict[int, dict]) -> dict[int, dict]:
    """decorate_note for the Notes of many statuses (by status id), in two statements whatever their number."""
    attached = await media_store.of_statuses(conn, list(notes))
    polls = await polls_store.of_statuses(conn, list(notes))
    out = {}
    for status_id, note in notes.items():
        note = {**note, "attachment": attachment_documents(attached.get(status_id, []), rt.urls)}
        out[status_id] = as_question(note, polls[status_id]) if status_id in polls else note
    return out
