"""/api/v1/trends/*: what is being talked about on this node in the last 7 days (models.trends).
Public, as on Mastodon; `limit` and `offset` page them."""
from __future__ import annotations

import time

from aiohttp import web

from api import auth
from api.params import Params
from api.entities.statuses import status_entities
from api.entities.tags import tag_entity
from backchannel.keys import RUNTIME
from models import statuses as statuses_store
from models import trends


async def _start(request: web.Request, default: int, maximum: int):  # noqa: ANN202
    viewer = await auth.optional(request)
    params = await Params.read(request)
    return (viewer, params.int("limit", default, lo=1, hi=maximum),
            params.int("offset", 0, lo=0))


async def tags(request: web.Request) -> web.Response:
    """Tag entities with a 7-day `history` of {day, uses, accounts}, strings as on Mastodon."""
    viewer, limit, offset = await _start(request, 10, 20)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await trends.tags(conn, time.time(), limit=limit, offset=offset)
    return web.json_response([
        tag_entity(rt, viewer, tag.name, history=[{"day": str(d.day), "uses": str(d.uses), "accounts": str(d.accounts)}
                                                  for d in tag.history])
        for tag in found])


async def statuses(request: web.Request) -> web.Response:
    viewer, limit, offset = await _start(request, 20, 40)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        ids = await trends.status_ids(conn, time.time(), limit=limit, offset=offset)
        found = await statuses_store.get_many(conn, ids)
        body = await status_entities(conn, rt, viewer, [found[i] for i in ids if i in found], context="public")
    return web.json_response(body)


async def links(request: web.Request) -> web.Response:
    # Trending links need link previews (preview cards), which this node does not make: always [].
    await auth.optional(request)
    return web.json_response([])


ROUTES = [
    web.get("/api/v1/trends", tags),  # the pre-3.5 path, tags only
    web.get("/api/v1/trends/tags", tags),
    web.get("/api/v1/trends/statuses", statuses),
    web.get("/api/v1/trends/links", links),
]
