"""/api/v1/timelines/home, /public and /tag/:hashtag."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.params import Params
from api.entities.statuses import status_page_json
from backchannel.keys import RUNTIME
from models import statuses as statuses_store
from models.accounts import Account


async def _page(request: web.Request, viewer: Account | None, ids: list[int], conn, *,  # noqa: ANN001
                context: str) -> web.Response:
    body = await status_page_json(conn, request.app[RUNTIME], viewer, ids, context=context)
    return pagination.paged_json(request, body, ids)


def _origin(params: Params) -> bool | None:
    """local=true: this node only; remote=true: other nodes only; neither: both."""
    if params.bool("local"):
        return True
    if params.bool("remote"):
        return False
    return None


async def home(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    async with request.app[RUNTIME].db.read() as conn:
        ids = await statuses_store.home_ids(conn, viewer.account.id, **page.kwargs())
        # Members of the viewer's exclusive lists are read in those lists only (the page may come
        # out shorter; its Link cursors still follow the unfiltered ids).
        body = await status_page_json(conn, request.app[RUNTIME], viewer.account, ids, context="home",
                                      exclusive_lists=True)
        return pagination.paged_json(request, body, ids)


async def public(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    async with request.app[RUNTIME].db.read() as conn:
        ids = await statuses_store.public_ids(conn, local=_origin(params),
                                              viewer_is_local=viewer is not None and viewer.local,
                                              only_media=params.bool("only_media"), **page.kwargs())
        return await _page(request, viewer, ids, conn, context="public")


async def tag(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    name = request.match_info["hashtag"].lstrip("#")
    async with request.app[RUNTIME].db.read() as conn:
        ids = await statuses_store.tag_ids(conn, name, viewer_is_local=viewer is not None and viewer.local,
                                    local=_origin(params), any_of=params.list("any")[:10],
                                    all_of=params.list("all")[:10], none_of=params.list("none")[:10],
                                    only_media=params.bool("only_media"), **page.kwargs())
        return await _page(request, viewer, ids, conn, context="public")


ROUTES = [
    web.get("/api/v1/timelines/home", home),
    web.get("/api/v1/timelines/public", public),
    web.get("/api/v1/timelines/tag/{hashtag}", tag),
]
