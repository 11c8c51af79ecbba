"""Hashtags: /api/v1/tags/:name (follow, unfollow), /api/v1/followed_tags and featured tags."""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup, pagination
from api.params import Params, path_id
from api.entities.tags import featured_tag_entity, tag_entity
from backchannel.keys import RUNTIME
from models import tags_follow
from models.accounts import Account
from social import tags as tags_uc


async def _tag_response(request: web.Request, viewer: Account | None, name: str) -> web.Response:
    rt = request.app[RUNTIME]
    following = False
    if viewer is not None:
        async with rt.db.read() as conn:
            following = await tags_follow.is_following(conn, viewer.id, name)
    return web.json_response(tag_entity(rt, viewer, name, following))


async def show(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:follows")
    return await _tag_response(request, viewer, tags_uc.normalise(request.match_info["name"]))


async def follow(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:follows")
    name = await tags_uc.follow(request.app[RUNTIME], viewer.account, request.match_info["name"])
    return await _tag_response(request, viewer.account, name)


async def unfollow(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:follows")
    name = await tags_uc.unfollow(request.app[RUNTIME], viewer.account, request.match_info["name"])
    return await _tag_response(request, viewer.account, name)


async def followed_tags(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:follows")
    params = await Params.read(request)
    page = pagination.page(params, default=100, maximum=200)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        pairs = await tags_follow.followed_page(conn, viewer.account.id, **page.kwargs())
    return pagination.paged_json(request, [tag_entity(rt, viewer.account, name, True) for _, name in pairs],
                                 [cursor for cursor, _ in pairs])


# --- Featured tags ------------------------------------------------------------------------------

async def featured_tags(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:accounts")
    async with request.app[RUNTIME].db.read() as conn:
        rows = await tags_follow.featured(conn, viewer.account.id)
    return web.json_response([featured_tag_entity(request.app[RUNTIME], viewer.account, r) for r in rows])


async def feature(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:accounts")
    params = await Params.read(request)
    featured_id = await tags_uc.feature(request.app[RUNTIME], viewer.account, params.str("name") or "")
    async with request.app[RUNTIME].db.read() as conn:
        rows = await tags_follow.featured(conn, viewer.account.id)
    row = next(r for r in rows if r["id"] == featured_id)
    return web.json_response(featured_tag_entity(request.app[RUNTIME], viewer.account, row))


async def unfeature(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:accounts")
    await tags_uc.unfeature(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


async def featured_suggestions(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:accounts")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        names = await tags_follow.most_used(conn, viewer.account.id)
        followed = await tags_follow.following_names(conn, viewer.account.id, names)
    return web.json_response([tag_entity(rt, viewer.account, n, n in followed) for n in names])


async def account_featured_tags(request: web.Request) -> web.Response:
    await auth.optional(request, "read:accounts")
    async with request.app[RUNTIME].db.read() as conn:
        account = await lookup.existing_account(conn, path_id(request))
        rows = await tags_follow.featured(conn, account.id)
    return web.json_response([featured_tag_entity(request.app[RUNTIME], account, r) for r in rows])


ROUTES = [
    web.get("/api/v1/tags/{name}", show),
    web.post("/api/v1/tags/{name}/follow", follow),
    web.post("/api/v1/tags/{name}/unfollow", unfollow),
    web.get("/api/v1/followed_tags", followed_tags),
    web.get("/api/v1/featured_tags", featured_tags),
    web.post("/api/v1/featured_tags", feature),
    web.get("/api/v1/featured_tags/suggestions", featured_suggestions),
    web.delete(r"/api/v1/featured_tags/{id:\d+}", unfeature),
    web.get(r"/api/v1/accounts/{id:\d+}/featured_tags", account_featured_tags),
]
