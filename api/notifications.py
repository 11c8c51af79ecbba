"""/api/v1/notifications: list, show, dismiss one, clear all."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.params import Params, path_id
from api.entities.notifications import notification_entities, notification_entities_json
from backchannel.keys import RUNTIME
from models import social
from social import notifications as notifications_uc
from social.errors import NotFound


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:notifications")
    params = await Params.read(request)
    page = pagination.page(params, default=40, maximum=80)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        rows = await social.notification_page(conn, viewer.account.id, types=params.list("types"),
                                              exclude_types=params.list("exclude_types"), **page.kwargs())
        body = await notification_entities_json(conn, rt, viewer.account, rows)
    # The cursors are the rows', so a page thinned out by vanished posts still links onwards.
    return pagination.paged_json(request, body, [r.id for r in rows])


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:notifications")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        row = await social.get_notification(conn, viewer.account.id, path_id(request))
        body = await notification_entities(conn, rt, viewer.account, [row] if row else [])
    if not body:
        raise NotFound("Record not found")
    return web.json_response(body[0])


async def _dismiss(request: web.Request, viewer: auth.Viewer, notification_id: int | None) -> web.Response:
    await notifications_uc.dismiss(request.app[RUNTIME], viewer.account, notification_id)
    return web.json_response({})


async def dismiss(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:notifications")
    return await _dismiss(request, viewer, path_id(request))


async def dismiss_legacy(request: web.Request) -> web.Response:
    """POST /api/v1/notifications/dismiss with `id` (removed from Mastodon 3.5, still sent by some)."""
    viewer = await auth.require(request, "write:notifications")
    notification_id = (await Params.read(request)).id("id")
    if notification_id is None:
        raise NotFound("Record not found")
    return await _dismiss(request, viewer, notification_id)


async def clear(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:notifications")
    return await _dismiss(request, viewer, None)


ROUTES = [
    web.get("/api/v1/notifications", index),
    web.post("/api/v1/notifications/clear", clear),
    web.post("/api/v1/notifications/dismiss", dismiss_legacy),
    web.get(r"/api/v1/notifications/{id:\d+}", show),
    web.post(r"/api/v1/notifications/{id:\d+}/dismiss", dismiss),
]
