"""/api/v1/lists: lists of followed accounts, their members and their timelines."""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup, pagination
from api.pagination import MAX_ACCOUNTS_LIMIT
from api.params import Params, parse_id, path_id
from api.entities.accounts import account_entities
from api.entities.lists import list_entity
from api.entities.statuses import status_page_json
from backchannel.keys import RUNTIME
from models import collections
from api.media import read_upload
from social import list_import
from social import lists as lists_uc
from social.errors import NotFound, Unprocessable


def _optional_bool(params: Params, key: str) -> bool | None:
    return params.bool(key) if key in params else None


async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:lists")
    async with request.app[RUNTIME].db.read() as conn:
        found = await collections.lists_of(conn, viewer.account.id)
    return web.json_response([list_entity(f, request.app[RUNTIME].urls) for f in found])


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:lists")
    return web.json_response(list_entity(await lists_uc.own_list(request.app[RUNTIME], viewer.account, path_id(request)),
                                         request.app[RUNTIME].urls))


async def create(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:lists")
    params = await Params.read(request)
    found = await lists_uc.create(request.app[RUNTIME], viewer.account, title=params.str("title"),
                                  replies_policy=params.str("replies_policy"),
                                  exclusive=params.bool("exclusive"), public=params.bool("public"))
    return web.json_response(list_entity(found, request.app[RUNTIME].urls))


async def update(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:lists")
    params = await Params.read(request)
    found = await lists_uc.update(request.app[RUNTIME], viewer.account, path_id(request),
                                  title=params.str("title"), replies_policy=params.str("replies_policy"),
                                  exclusive=_optional_bool(params, "exclusive"), public=_optional_bool(params, "public"))
    return web.json_response(list_entity(found, request.app[RUNTIME].urls))


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:lists")
    await lists_uc.delete(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


def _account_ids(params: Params) -> list[int]:
    ids = []
    for value in params.list("account_ids"):
        try:
            ids.append(parse_id(value))
        except NotFound:
            continue
    return ids


async def members(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:lists")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    found = await lists_uc.own_list(rt, viewer.account, path_id(request))
    limit = params.int("limit", 40, lo=0, hi=MAX_ACCOUNTS_LIMIT) or 10_000  # limit=0: everyone
    async with rt.db.read() as conn:
        people = await collections.list_members(conn, found.id, limit=limit, max_id=params.id("max_id"))
    return pagination.paged_json(request, account_entities(rt, people), [a.id for a in people],
                                 prev=False)


async def add_members(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:lists")
    params = await Params.read(request)
    await lists_uc.add_accounts(request.app[RUNTIME], viewer.account, path_id(request), _account_ids(params))
    return web.json_response({})


async def remove_members(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:lists")
    params = await Params.read(request)
    await lists_uc.remove_accounts(request.app[RUNTIME], viewer.account, path_id(request), _account_ids(params))
    return web.json_response({})


async def timeline(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:lists")
    params = await Params.read(request)
    page = pagination.page(params)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:  # the list and its page in one read
        found = await collections.get_list(conn, viewer.account.id, path_id(request, "list_id"))
        if found is None:
            raise NotFound("Record not found")
        ids = await collections.list_timeline_ids(conn, found, viewer.account.id, **page.kwargs())
        body = await status_page_json(conn, rt, viewer.account, ids, context="home")
    return pagination.paged_json(request, body, ids)


async def import_list(request: web.Request) -> web.Response:
    """POST /api/v1/lists/import: a shared list made one's own in one step, from `url` (a public
    list's page or collection on any Backchannel node) or `file` (a CSV in Mastodon's list-export
    format, multipart). Optional `title` renames it. Members are followed and added."""
    viewer = await auth.require(request, "write:lists")
    rt = request.app[RUNTIME]
    if request.content_type == "multipart/form-data":
        raw, fields = await read_upload(request, list_import.MAX_CSV_BYTES, fields=("url", "title"))
        params = Params({k: [v] for k, v in fields.items()})
    else:
        raw, params = None, await Params.read(request)
    url, title = params.str("url"), params.str("title")
    if raw is not None:
        try:
            sources = list_import.parse_csv(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise Unprocessable("Validation failed: the file is not UTF-8 text") from None
    elif url:
        name, members = await list_import.read_url(rt, url.strip())
        sources = {name: members}
    else:
        raise Unprocessable("Validation failed: send a list's url or a CSV file")
    done = await list_import.import_lists(rt, viewer.account, sources, title=title)
    return web.json_response({"lists": [list_entity(f, rt.urls) for f in done.lists], "accounts_added": done.added,
                              "not_found": done.not_found})


async def lists_with_account(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:lists")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await lookup.existing_account(conn, path_id(request))
        found = await collections.lists_of(conn, viewer.account.id, containing=account.id)
    return web.json_response([list_entity(f, request.app[RUNTIME].urls) for f in found])


ROUTES = [
    web.get("/api/v1/lists", index),
    web.post("/api/v1/lists", create),
    web.post("/api/v1/lists/import", import_list),
    web.get(r"/api/v1/lists/{id:\d+}", show),
    web.put(r"/api/v1/lists/{id:\d+}", update),
    web.delete(r"/api/v1/lists/{id:\d+}", delete),
    web.get(r"/api/v1/lists/{id:\d+}/accounts", members),
    web.post(r"/api/v1/lists/{id:\d+}/accounts", add_members),
    web.delete(r"/api/v1/lists/{id:\d+}/accounts", remove_members),
    web.get(r"/api/v1/timelines/list/{list_id:\d+}", timeline),
    web.get(r"/api/v1/accounts/{id:\d+}/lists", lists_with_account),
]
