"""Endpoints for features Backchannel does not have, answered the way Mastodon answers a user who
has none of them (empty lists, default preferences), because clients such as Elk, Phanpy and Tusky
request them while starting and treat a 404 as a broken server."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.entities.accounts import preferences_entity
from backchannel.keys import RUNTIME
from social.errors import NotFound
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


async def annual_reports(request: web.Request) -> web.Response:
    """Mastodon 4.3's yearly review ("Wrapstodon"): none is ever generated here."""
    await auth.require(request, "read:accounts")
    return web.json_response({"annual_reports": [], "accounts": [], "statuses": []})


async def no_annual_report(request: web.Request) -> web.Response:
    await auth.require(request, "write:accounts" if request.method == "POST" else "read:accounts")
    raise NotFound("Record not found")


ROUTES = [web.get(path, _empty_list(scope)) for path, scope in EMPTY_LISTS.items()] + [
    web.get("/api/v1/preferences", preferences),
    web.get("/api/v1/annual_reports", annual_reports),
    web.get(r"/api/v1/annual_reports/{year:\d+}", no_annual_report),
    web.post(r"/api/v1/annual_reports/{year:\d+}/read", no_annual_report),
]
