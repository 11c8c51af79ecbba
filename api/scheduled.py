"""/api/v1/scheduled_statuses and the `scheduled_at` of POST /api/v1/statuses
(https://docs.joinmastodon.org/methods/scheduled_statuses/, entities/ScheduledStatus)."""
from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from api import auth, pagination
from api.params import Params, path_id
from api.serializers import Presenter, iso
from backchannel.keys import RUNTIME
from models import media as media_store
from models.accounts import Account
from models.scheduled import ScheduledStatus
from models import scheduled as scheduled_store
from social import scheduled as scheduled_uc
from social.errors import NotFound, Unprocessable


def parse_time(value: str) -> float:
    """An ISO 8601 datetime (a time without a zone is UTC) → epoch seconds; 422 otherwise."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable("Validation failed: Scheduled at is invalid") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


async def entity(request: web.Request, viewer: Account, item: ScheduledStatus) -> dict:
    p = item.params
    media_ids = [int(i) for i in p.get("media_ids") or []]
    present = Presenter(request.app[RUNTIME], viewer)
    media = []
    async with request.app[RUNTIME].db.read() as conn:
        for media_id in media_ids:
            found = await media_store.get(conn, media_id)
            if found is not None:
                media.append(present.media(found))
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


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    async with request.app[RUNTIME].db.read() as conn:
        items = await scheduled_store.page(conn, viewer.account.id, **page.kwargs())
    body = [await entity(request, viewer.account, i) for i in items]
    return pagination.paged_json(request, body, [i.id for i in items])


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    async with request.app[RUNTIME].db.read() as conn:
        item = await scheduled_store.get(conn, viewer.account.id, path_id(request))
    if item is None:
        raise NotFound("Record not found")
    return web.json_response(await entity(request, viewer.account, item))


async def update(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    scheduled_id = path_id(request)
    when = params.str("scheduled_at")
    if not when:
        async with request.app[RUNTIME].db.read() as conn:
            item = await scheduled_store.get(conn, viewer.account.id, scheduled_id)
        if item is None:
            raise NotFound("Record not found")
    else:
        item = await scheduled_uc.reschedule(request.app[RUNTIME], viewer.account, scheduled_id,
                                             parse_time(when))
    return web.json_response(await entity(request, viewer.account, item))


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    await scheduled_uc.cancel(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/scheduled_statuses", index),
    web.get("/api/v1/scheduled_statuses/{id}", show),
    web.put("/api/v1/scheduled_statuses/{id}", update),
    web.delete("/api/v1/scheduled_statuses/{id}", delete),
]
