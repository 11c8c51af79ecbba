"""Endpoints for features Backchannel does not have, answered the way Mastodon answers a user who
has none of them (empty lists, default preferences), because clients such as Elk, Phanpy and Tusky
request them while starting and treat a 404 as a broken server."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.entities.accounts import preferences_entity
from backchannel.keys import RUNTIME
from models import profile as profile_store  # source[privacy|sensitive|language] (api.profile)

EMPTY_LISTS = {
    "/api/v1/announcements": "",
}


def _empty_list(scope: str):  # noqa: ANN202
    async def handler(request: web.Request) -> web.Response:
        await auth.require(request, *([scope] if scope else []))
        return web.json_response([])
    return handler


async def preferences(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:accounts")
    async with request.app[RUNTIME].db.read() as conn:
        prefs = await profile_store.settings(conn, viewer.account.id)
    return web.json_response(preferences_entity(prefs))


ROUTES = [web.get(path, _empty_list(scope)) for path, scope in EMPTY_LISTS.items()] + [
    web.get("/api/v1/preferences", preferences),
]
