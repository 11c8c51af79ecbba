"""Muting accounts, and the lists of muted and blocked accounts."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.pagination import MAX_ACCOUNTS_LIMIT
from api.params import Params, path_id
from api.entities.accounts import account_entity, relationship_entity
from api.entities.formats import iso
from backchannel.keys import RUNTIME
from models import collections, social
from social import collections as collection_uc


async def _relationship(request: web.Request, me: int, other: int) -> web.Response:
    async with request.app[RUNTIME].db.read() as conn:
        rel = await social.relationship(conn, me, other)
    return web.json_response(relationship_entity(other, rel))


async def mute(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:mutes")
    params = await Params.read(request)
    target_id = path_id(request)
    await collection_uc.mute(request.app[RUNTIME], viewer.account, target_id,
                             notifications=params.bool("notifications", True),
                             duration=params.int("duration", 0) or 0)
    return await _relationship(request, viewer.account.id, target_id)


async def unmute(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:mutes")
    target_id = path_id(request)
    await collection_uc.unmute(request.app[RUNTIME], viewer.account, target_id)
    return await _relationship(request, viewer.account.id, target_id)


def _account_list(scope: str, query, *, with_expiry: bool = False):  # noqa: ANN001, ANN202
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        params = await Params.read(request)
        page = pagination.page(params, default=40, maximum=MAX_ACCOUNTS_LIMIT)
        rt = request.app[RUNTIME]
        async with rt.db.read() as conn:
            rows = await query(conn, viewer.account.id, **page.kwargs())
        body = []
        for _, account, row in rows:
            item = account_entity(rt, account)
            if with_expiry:
                item["mute_expires_at"] = iso(row.mute_expires_at)
            body.append(item)
        return pagination.paged_json(request, body, [cursor for cursor, _, _ in rows])
    handler.__name__ = query.__name__
    return handler


ROUTES = [
    web.post(r"/api/v1/accounts/{id:\d+}/mute", mute),
    web.post(r"/api/v1/accounts/{id:\d+}/unmute", unmute),
    web.get("/api/v1/mutes", _account_list("read:mutes", collections.mute_page, with_expiry=True)),
    web.get("/api/v1/blocks", _account_list("read:blocks", collections.block_page)),
]
