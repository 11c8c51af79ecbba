"""/api/v1/conversations: direct messages, grouped by thread, for the people taking part."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from api import auth, pagination
from api.params import Params, path_id
from api.entities.conversations import conversation_entities, conversation_entities_json
from backchannel.keys import RUNTIME
from models import collections
from models import statuses as statuses_store
from models.accounts import Account
from social import collections as collection_uc
from social.errors import NotFound


async def _conversations(conn: AsyncConnection, viewer: Account) -> list[dict]:
    """[{id, last (its id and author), participants (ids), unread}], newest activity first, hidden ones
    left out. A fixed number of statements, however many direct statuses and threads there are."""
    found = await collections.direct_statuses(conn, viewer.id)
    ids = [s.id for s in found]
    mentions = await statuses_store.mentions_of(conn, ids)
    roots = await statuses_store.thread_roots(conn, ids)
    groups: dict[int, dict] = {}
    for status in found:  # newest first: the first status seen in a group is its last one
        root = roots.get(status.id, status.id)
        group = groups.setdefault(root, {"id": root, "last": status, "participants": []})
        for person in [status.account_id, *mentions.get(status.id, [])]:
            if person != viewer.id and person not in group["participants"]:
                group["participants"].append(person)
    marks = await collections.conversation_marks_of(conn, viewer.id, groups)
    out = []
    for group in groups.values():
        mark = marks.get(group["id"])
        last = group["last"]
        if mark is not None and last.id <= mark.hidden_up_to:
            continue
        group["unread"] = last.account_id != viewer.id and (mark is None or last.id > mark.read_up_to)
        out.append(group)
    return out


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        groups = await _conversations(conn, viewer.account)
        if page.max_id is not None:
            groups = [g for g in groups if g["last"].id < page.max_id]
        if page.since_id is not None or page.min_id is not None:
            floor = page.min_id if page.min_id is not None else page.since_id
            groups = [g for g in groups if g["last"].id > floor]
            if page.min_id is not None:
                groups = groups[-page.limit:]
        groups = groups[:page.limit]
        body = await conversation_entities_json(conn, rt, viewer.account, groups)
    return pagination.paged_json(request, body, [g["last"].id for g in groups])


async def _one(conn: AsyncConnection, viewer: Account, conversation_id: int) -> dict:
    for group in await _conversations(conn, viewer):
        if group["id"] == conversation_id:
            return group
    raise NotFound("Record not found")


async def read(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:conversations")
    rt = request.app[RUNTIME]
    conversation_id = path_id(request)
    async with rt.db.read() as conn:
        group = await _one(conn, viewer.account, conversation_id)
    await collection_uc.mark_conversation_read(rt, viewer.account, conversation_id, group["last"].id)
    group["unread"] = False
    async with rt.db.read() as conn:
        body = await conversation_entities(conn, rt, viewer.account, [group])
    return web.json_response(body[0] if body else {})


async def remove(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:conversations")
    rt = request.app[RUNTIME]
    conversation_id = path_id(request)
    async with rt.db.read() as conn:
        group = await _one(conn, viewer.account, conversation_id)
    await collection_uc.hide_conversation(rt, viewer.account, conversation_id, group["last"].id)
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/conversations", index),
    web.post(r"/api/v1/conversations/{id:\d+}/read", read),
    web.delete(r"/api/v1/conversations/{id:\d+}", remove),
]
