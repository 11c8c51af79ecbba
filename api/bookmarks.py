"""Bookmarks, the favourites list, pinned posts and muted conversations."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.params import Params, path_id
from api.entities.statuses import status_entity, status_page_json
from backchannel.keys import RUNTIME
from models import collections
from social import collections as collection_uc


def _status_action(scope: str, action):  # noqa: ANN001, ANN202
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        rt = request.app[RUNTIME]
        status = await action(rt, viewer.account, path_id(request))
        async with rt.db.read() as conn:
            body = await status_entity(conn, rt, viewer.account, status, fresh=True)
        return web.json_response(body)
    handler.__name__ = action.__name__
    return handler


def _status_list(scope: str, query):  # noqa: ANN001, ANN202
    """A list of statuses paged by the ids of the rows that hold them (bookmark or favourite ids)."""
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        params = await Params.read(request)
        page = pagination.page(params)
        rt = request.app[RUNTIME]
        async with rt.db.read() as conn:
            pairs = await query(conn, viewer.account.id, **page.kwargs())
            body = await status_page_json(conn, rt, viewer.account, [status_id for _, status_id in pairs],
                                          context=None, hide_muted=False)
        return pagination.paged_json(request, body, [cursor for cursor, _ in pairs])
    handler.__name__ = query.__name__
    return handler


ROUTES = [
    web.post(r"/api/v1/statuses/{id:\d+}/bookmark", _status_action("write:bookmarks", collection_uc.bookmark)),
    web.post(r"/api/v1/statuses/{id:\d+}/mute", _status_action("write:mutes", collection_uc.mute_conversation)),
    web.post(r"/api/v1/statuses/{id:\d+}/unmute", _status_action("write:mutes", collection_uc.unmute_conversation)),
    web.post(r"/api/v1/statuses/{id:\d+}/unbookmark", _status_action("write:bookmarks", collection_uc.unbookmark)),
    web.post(r"/api/v1/statuses/{id:\d+}/pin", _status_action("write:accounts", collection_uc.pin)),
    web.post(r"/api/v1/statuses/{id:\d+}/unpin", _status_action("write:accounts", collection_uc.unpin)),
    web.get("/api/v1/bookmarks", _status_list("read:bookmarks", collections.bookmark_page)),
    web.get("/api/v1/favourites", _status_list("read:favourites", collections.favourite_page)),
]
