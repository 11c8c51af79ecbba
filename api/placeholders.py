"""Endpoints for features Backchannel does not have, answered the way Mastodon answers a user who
has none of them (empty lists, default preferences), because clients such as Elk, Phanpy and Tusky
request them while starting and treat a 404 as a broken server."""
from __future__ import annotations

from aiohttp import web

from api import auth

EMPTY_LISTS = {
    "/api/v1/filters": "read:filters",
    "/api/v2/filters": "read:filters",
    "/api/v1/followed_tags": "read:follows",
    "/api/v1/featured_tags": "read:accounts",
    "/api/v1/announcements": "",
    "/api/v1/scheduled_statuses": "read:statuses",
}


def _empty_list(scope: str):  # noqa: ANN202
    async def handler(request: web.Request) -> web.Response:
        await auth.require(request, *([scope] if scope else []))
        return web.json_response([])
    return handler


async def markers(request: web.Request) -> web.Response:
    await auth.require(request, "read:statuses")
    return web.json_response({})  # no read positions are stored


async def preferences(request: web.Request) -> web.Response:
    await auth.require(request, "read:accounts")
    return web.json_response({
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    })


async def trends(request: web.Request) -> web.Response:
    return web.json_response([])  # no trends are computed


ROUTES = [web.get(path, _empty_list(scope)) for path, scope in EMPTY_LISTS.items()] + [
    web.get("/api/v1/markers", markers),
    web.get("/api/v1/preferences", preferences),
    web.get("/api/v1/trends", trends),
    web.get("/api/v1/trends/tags", trends),
    web.get("/api/v1/trends/statuses", trends),
    web.get("/api/v1/trends/links", trends),
]
