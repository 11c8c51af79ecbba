"""What a client asks first: which server is this, which limits apply (Mastodon 4.3 shapes)."""
from __future__ import annotations

import json

from aiohttp import web

from api.entities.instance import instance_v1_entity, instance_v2_entity
from backchannel.keys import RUNTIME
from models import instance_stats

# The counts are the same for every caller and need not be exact to the second.
STATS_SECONDS = 30.0


async def instance_v1(request: web.Request) -> web.Response:
    return await _answer(request, instance_v1_entity)


async def instance_v2(request: web.Request) -> web.Response:
    return await _answer(request, instance_v2_entity)


# entity function → (runtime, stats, JSON): the entity changes only with the counts (a new dict every
# STATS_SECONDS) or the runtime (the config is frozen), so it is built and encoded once per counts.
_bodies: dict = {}


async def _answer(request: web.Request, entity) -> web.Response:  # noqa: ANN001
    rt = request.app[RUNTIME]
    stats = await rt.db.cached("instance_stats", STATS_SECONDS, instance_stats.instance_stats)
    kept = _bodies.get(entity)
    if kept is None or kept[0] is not rt or kept[1] is not stats:
        kept = _bodies[entity] = (rt, stats, json.dumps(entity(rt, stats)))
    return web.json_response(text=kept[2])


async def empty_list(request: web.Request) -> web.Response:
    """/api/v1/instance/rules and similar: nothing configured."""
    return web.json_response([])


ROUTES = [
    web.get("/api/v1/instance", instance_v1),
    web.get("/api/v2/instance", instance_v2),
    # peers, activity, rules and the rest: api/instance_extra.py
    web.get("/api/v1/custom_emojis", empty_list),
]
