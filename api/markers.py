"""/api/v1/markers: where a person stopped reading home and notifications, shared by their clients
(https://docs.joinmastodon.org/methods/markers/)."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.params import Params
from api.entities.markers import marker_entity
from backchannel.keys import RUNTIME
from models import markers as markers_store
from social import markers as markers_uc
from social.errors import Unprocessable

TIMELINES = ("home", "notifications")


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    wanted = [t for t in params.list("timeline") if t in TIMELINES]
    async with request.app[RUNTIME].db.read() as conn:
        found = await markers_store.get(conn, viewer.account.id, wanted)
    return web.json_response({m.timeline: marker_entity(m) for m in found})


def _last_read(params: Params, timeline: str) -> str | None:
    """home[last_read_id]=… (forms) or {"home": {"last_read_id": …}} (JSON)."""
    nested = params.raw(timeline)
    if isinstance(nested, dict):
        value = nested.get("last_read_id")
        return None if value is None else str(value)
    return params.str(f"{timeline}[last_read_id]")


async def save(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    updates: dict[str, int] = {}
    for timeline in TIMELINES:
        value = _last_read(params, timeline)
        if value is None:
            continue
        if not value.isascii() or not value.isdigit() or int(value) > 2 ** 63 - 1:
            raise Unprocessable("Validation failed: Last read id is invalid")
        updates[timeline] = int(value)
    saved = await markers_uc.save_positions(request.app[RUNTIME], viewer.account, updates)
    return web.json_response({m.timeline: marker_entity(m) for m in saved})


ROUTES = [web.get("/api/v1/markers", index), web.post("/api/v1/markers", save)]
