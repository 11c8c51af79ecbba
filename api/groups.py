"""/api/v1/groups: communities of practice. A group is also an ordinary account (`group: true` in
/api/v1/accounts/:id); these endpoints add what only a group has (join policy, rules, moderators,
threads) and the moderators' actions. Each calls one social.groups function."""
from __future__ import annotations

from aiohttp import web

from api import auth, pagination
from api.admin import require_admin
from api.entities.accounts import account_entities, account_entity
from api.entities.statuses import status_page
from api.params import Params, path_id
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import groups as groups_store
from models.groups import Group
from social import groups

DEFAULT_JOIN = "open"


async def group_entity(rt: Runtime, group: Group) -> dict:
    async with rt.db.read() as conn:
        moderators = await accounts_store.get_many(conn, list(group.moderator_ids))
    return {
        "id": str(group.id),
        "account": account_entity(rt, group.account),
        "name": group.account.username,
        "title": group.account.display_name,
        "description": group.account.note,
        "avatar": group.account.avatar_url,
        "join_policy": group.join_policy,
        "rules": group.rules,
        "moderators": account_entities(rt, moderators.values()),
        "members_count": group.account.followers_count,
        "url": group.account.url,
    }


async def _group_response(rt: Runtime, group: Group, status: int = 200) -> web.Response:
    return web.json_response(await group_entity(rt, group), status=status)


async def index(request: web.Request) -> web.Response:
    await auth.optional(request, "read:accounts")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = [g for a in await groups_store.list_groups(conn) if (g := await groups_store.get(conn, a.id))]
    return web.json_response([await group_entity(rt, g) for g in found])


async def _create(request: web.Request, viewer: auth.Viewer) -> web.Response:
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    group = await groups.create_group(
        rt, viewer.account, params.str("name") or "", title=params.str("title") or "",
        description=params.str("description") or "", join_policy=params.str("join_policy") or DEFAULT_JOIN,
        rules=params.list("rules"), moderators=params.list("moderators"), as_admin=viewer.user.admin,
        avatar_url=params.str("avatar"))
    return await _group_response(rt, group)


async def create(request: web.Request) -> web.Response:
    """A person creates a group: admins always, others when the node allows it (people_create_groups)."""
    return await _create(request, await auth.require(request, "write", "write:accounts"))


async def admin_create(request: web.Request) -> web.Response:
    return await _create(request, await require_admin(request, "admin:write:accounts"))


async def show(request: web.Request) -> web.Response:
    await auth.optional(request, "read:accounts")
    rt = request.app[RUNTIME]
    return await _group_response(rt, await groups.get_group(rt, path_id(request)))


async def threads(request: web.Request) -> web.Response:
    """The group's threads (the posts it relayed that answer nothing it relayed), newest first."""
    viewer = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    group = await groups.get_group(rt, path_id(request))
    page = pagination.page(params)
    async with rt.db.read() as conn:
        ids = await groups_store.thread_ids(conn, group.id, max_id=page.max_id, limit=page.limit)
        body = await status_page(conn, rt, viewer, ids, context="account")
    return pagination.paged_json(request, body, ids, prev=False)


async def join(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write", "write:follows", "follow")
    rt = request.app[RUNTIME]
    await groups.join(rt, viewer.account, path_id(request))
    return await _group_response(rt, await groups.get_group(rt, path_id(request)))


async def leave(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write", "write:follows", "follow")
    rt = request.app[RUNTIME]
    await groups.leave(rt, viewer.account, path_id(request))
    return await _group_response(rt, await groups.get_group(rt, path_id(request)))


async def join_requests(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read", "read:follows", "follow")
    rt = request.app[RUNTIME]
    return web.json_response(account_entities(rt, await groups.join_requests(rt, viewer.account, path_id(request))))


async def _moderate(request: web.Request, fact, key: str) -> web.Response:  # noqa: ANN001
    viewer = await auth.require(request, "write", "write:follows", "follow")
    rt = request.app[RUNTIME]
    await fact(rt, viewer.account, path_id(request), int(request.match_info[key]))
    return web.json_response({})


async def approve(request: web.Request) -> web.Response:
    return await _moderate(request, groups.approve, "account_id")


async def refuse(request: web.Request) -> web.Response:
    return await _moderate(request, groups.refuse, "account_id")


async def remove_member(request: web.Request) -> web.Response:
    return await _moderate(request, groups.remove_member, "account_id")


async def remove_post(request: web.Request) -> web.Response:
    return await _moderate(request, groups.remove_post, "status_id")


ROUTES = [
    web.get("/api/v1/groups", index),
    web.post("/api/v1/groups", create),
    web.post("/api/v1/admin/groups", admin_create),
    web.get(r"/api/v1/groups/{id:\d+}", show),
    web.get(r"/api/v1/groups/{id:\d+}/threads", threads),
    web.post(r"/api/v1/groups/{id:\d+}/join", join),
    web.post(r"/api/v1/groups/{id:\d+}/leave", leave),
    web.get(r"/api/v1/groups/{id:\d+}/join_requests", join_requests),
    web.post(r"/api/v1/groups/{id:\d+}/join_requests/{account_id:\d+}/authorize", approve),
    web.post(r"/api/v1/groups/{id:\d+}/join_requests/{account_id:\d+}/reject", refuse),
    web.post(r"/api/v1/groups/{id:\d+}/members/{account_id:\d+}/remove", remove_member),
    web.post(r"/api/v1/groups/{id:\d+}/statuses/{status_id:\d+}/remove", remove_post),
]
