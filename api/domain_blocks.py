"""/api/v1/domain_blocks: a person's own blocked domains."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.params import Params
from backchannel.keys import RUNTIME
from models import account_domain_blocks
from social import domain_blocks as use_cases
from social.errors import Unprocessable


async def list_blocks(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:blocks")
    page = pagination.page(await Params.read(request), default=100, maximum=200)
    async with request.app[RUNTIME].db.read() as conn:
        rows = await account_domain_blocks.page(conn, viewer.account.id, max_id=page.max_id, limit=page.limit)
    return pagination.paged_json(request, [domain for _, domain in rows], [i for i, _ in rows], prev=False)


async def _domain_param(request: web.Request) -> str:
    params = await Params.read(request)
    domain = params.str("domain")
    if not domain:
        raise Unprocessable("domain is required")
    return domain


async def block(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:blocks")
    await use_cases.block_domain(request.app[RUNTIME], viewer.account, await _domain_param(request))
    return web.json_response({})


async def unblock(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:blocks")
    await use_cases.unblock_domain(request.app[RUNTIME], viewer.account, await _domain_param(request))
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/domain_blocks", list_blocks),
    web.post("/api/v1/domain_blocks", block),
    web.delete("/api/v1/domain_blocks", unblock),
]
