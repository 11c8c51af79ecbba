"""ScheduledStatus: a post waiting for its time, with the parameters it will be posted with."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.formats import iso
from api.entities.media import media_entity
from federation.runtime import Runtime
from models import media as media_store
from models.scheduled import ScheduledStatus


async def scheduled_status_entities(conn: AsyncConnection, rt: Runtime, items: list[ScheduledStatus]) -> list[dict]:
    return [await scheduled_status_entity(conn, rt, item) for item in items]


async def scheduled_status_entity(conn: AsyncConnection, rt: Runtime, item: ScheduledStatus) -> dict:
    p = item.params
    media_ids = [int(i) for i in p.get("media_ids") or []]
    media = []
    for media_id in media_ids:  # at most four
        found = await media_store.get(conn, media_id)
        if found is not None:
            media.append(media_entity(rt, found))
    poll = p.get("poll")
    return {
        "id": str(item.id),
        "scheduled_at": iso(item.scheduled_at),
        "params": {
            "text": p.get("text") or "",
            "poll": ({"options": poll["options"], "expires_in": str(poll["expires_in"]),
                      "multiple": poll["multiple"], "hide_totals": poll["hide_totals"]} if poll else None),
            "media_ids": [str(i) for i in media_ids] or None,
            "sensitive": p.get("sensitive"),
            "spoiler_text": p.get("spoiler_text"),
            "visibility": p.get("visibility"),
            "in_reply_to_id": None if p.get("in_reply_to_id") is None else str(p["in_reply_to_id"]),
            "language": p.get("language"),
            "application_id": None,
            "scheduled_at": None,
            "idempotency": None,
            "with_rate_limit": False,
        },
        "media_attachments": media,
    }
