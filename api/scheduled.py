"""/api/v1/scheduled_statuses and the `scheduled_at` of POST /api/v1/statuses
(https://docs.joinmastodon.org/methods/scheduled_statuses/, entities/ScheduledStatus)."""
from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from api import auth, pagination
from api.params import Params, path_id
from api.entities.scheduled import scheduled_status_entity
from backchannel.keys import RUNTIME
from models.scheduled import ScheduledStatus
from models import scheduled as scheduled_store
from social import scheduled as scheduled_uc
from social.errors import NotFound, Unprocessable


def parse_time(value: str, label: str = "Scheduled at") -> float:
    """An ISO 8601 datetime (a time without a zone is UTC) → epoch seconds; 422 naming `label` otherwise."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"Validation failed: {label} is invalid") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


async def entity(request: web.Request, item: ScheduledStatus) -> dict:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        return await scheduled_status_entity(conn, rt, item)


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    async with request.app[RUNTIME].db.read() as conn:
        items = await scheduled_store.page(conn, viewer.account.id, **page.kwargs())
    body = [await entity(request, i) for i in items]
    return pagination.paged_json(request, body, [i.id for i in items])


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    async with request.app[RUNTIME].db.read() as conn:
        item = await scheduled_store.get(conn, viewer.account.id, path_id(request))
    if item is None:
        raise NotFound("Record not found")
    return web.json_response(await entity(request, item))


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
    return web.json_response(await entity(request, item))


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    await scheduled_uc.cancel(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/scheduled_statuses", index),
    web.get(r"/api/v1/scheduled_statuses/{id:\d+}", show),
    web.put(r"/api/v1/scheduled_statuses/{id:\d+}", update),
    web.delete(r"/api/v1/scheduled_statuses/{id:\d+}", delete),
]
