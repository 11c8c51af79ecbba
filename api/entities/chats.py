"""Chat: a hashtag chat as the client API shows it (Backchannel's own entity; Mastodon has none)."""
from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_entity
from api.entities.formats import iso
from federation.runtime import Runtime
from models import accounts, chats
from models.chats import Chat


async def chat_entities(conn: AsyncConnection, rt: Runtime, items: list[Chat], viewer_id: int | None) -> list[dict]:
    """Chats with their hosts and attendance, in a fixed number of statements however many there are."""
    hosts = await accounts.get_many(conn, {c.account_id for c in items})
    counts, mine = await chats.rsvp_counts(conn, [c.id for c in items], viewer_id)
    now = time.time()
    out = []
    for chat in items:
        host = hosts.get(chat.account_id)
        out.append({
            "id": str(chat.id),
            "hashtag": chat.hashtag,
            "title": chat.title,
            "host": account_entity(rt, host) if host else None,
            "group": account_entity(rt, host) if host and host.actor_type == "Group" else None,
            "starts_at": iso(chat.starts_at),
            "ends_at": iso(chat.ends_at),
            "state": chat.state(now),
            "recurrence": chat.recurrence,
            "series_id": str(chat.series_id),
            "occurrence": chat.occurrence,
            "topics": [{"position": t.position, "text": t.text, "starts_at": iso(t.starts_at),
                        "status_id": None if t.status_id is None else str(t.status_id)} for t in chat.topics],
            "announcement_status_id": None if chat.announcement_status_id is None else str(chat.announcement_status_id),
            "attendees_count": counts.get(chat.id, 0),
            "attending": chat.id in mine,
            "url": rt.urls.chat(chat.id),
            "calendar_url": rt.urls.chat_calendar(chat.id),
            "series_calendar_url": rt.urls.chat_series_calendar(chat.id),
            "transcript_url": rt.urls.chat_transcript(chat.id),
            "created_at": iso(chat.created_at),
        })
    return out
