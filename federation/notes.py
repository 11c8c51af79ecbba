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
    attached = (await media_store.of_statuses(conn, [status.id])).get(status.id, [])
    note = {**note, "attachment": attachment_documents(attached, rt.urls)}
    poll = await polls_store.of_status(conn, status.id)
    return as_question(note, poll) if poll else note
