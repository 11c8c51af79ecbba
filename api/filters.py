"""Filters: /api/v2/filters with keywords and statuses, and the /api/v1/filters view (a keyword each)
(https://docs.joinmastodon.org/methods/filters/). Changes are social.filters; which statuses a
filter matches, in the context each endpoint names, is api.entities.filters.
"""
from __future__ import annotations

import time

from aiohttp import web

from api import auth
from api.entities.filters import filter_entity, filter_status_entity, keyword_entity, v1_filter_entity
from api.params import Params, parse_id, path_id
from backchannel.keys import RUNTIME
from models import filters as store
from models.filters import ACTIONS, CONTEXTS
from social import filters as filters_uc
from social.errors import Unprocessable


# --- Parameters -----------------------------------------------------------------------------------

def _contexts(params: Params) -> list[str]:
    context = list(dict.fromkeys(params.list("context")))
    if not context:
        raise Unprocessable("Validation failed: Context can't be blank")
    wrong = [c for c in context if c not in CONTEXTS]
    if wrong:
        raise Unprocessable(f"Validation failed: Context contains invalid values: {', '.join(wrong)}")
    return context


def _action(params: Params) -> str:
    action = params.str("filter_action") or "warn"
    if action not in ACTIONS:
        raise Unprocessable(f"Validation failed: Filter action {action!r} is not one of warn, hide")
    return action


def _expires_at(params: Params) -> float | None:
    seconds = params.int("expires_in")
    return None if seconds is None or seconds <= 0 else time.time() + seconds


def _keyword_attributes(params: Params) -> list[dict]:
    """keywords_attributes as JSON (a list of objects, or an object keyed by index) or as a form
    (keywords_attributes[][keyword]=…, or keywords_attributes[0][keyword]=…)."""
    raw = params.raw("keywords_attributes")
    if isinstance(raw, list):
        return [k for k in raw if isinstance(k, dict)]
    if isinstance(raw, dict):
        return [k for k in raw.values() if isinstance(k, dict)]
    out: list[dict] = []
    fields = ("id", "keyword", "whole_word", "_destroy")
    columns = {f: params.list(f"keywords_attributes[][{f}]") for f in fields}
    for i in range(max(len(v) for v in columns.values())):
        out.append({f: v[i] for f, v in columns.items() if i < len(v)})
    i = 0
    while any(f"keywords_attributes[{i}][{f}]" in params for f in fields):
        out.append({f: params.str(f"keywords_attributes[{i}][{f}]") for f in fields
                    if f"keywords_attributes[{i}][{f}]" in params})
        i += 1
    return out


def _flag(value, default: bool) -> bool:  # noqa: ANN001
    if value is None:
        return default
    return Params({"v": [value]}).bool("v", default)


def _keyword_text(value) -> str:  # noqa: ANN001
    text = str(value or "").strip()
    if not text:
        raise Unprocessable("Validation failed: Keywords keyword can't be blank")
    return text


# --- Handlers: filters ----------------------------------------------------------------------------

async def index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    async with request.app[RUNTIME].db.read() as conn:
        found = await store.of_account(conn, viewer.account.id)
    return web.json_response([filter_entity(f) for f in found])


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_filter(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response(filter_entity(found))


async def create(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    title = params.required_text("title", "Title")
    context, action, expires_at = _contexts(params), _action(params), _expires_at(params)
    keywords = [(_keyword_text(k.get("keyword")), _flag(k.get("whole_word"), True))
                for k in _keyword_attributes(params) if not _flag(k.get("_destroy"), False)]
    found = await filters_uc.create_filter(request.app[RUNTIME], viewer.account, title=title, context=context,
                                           action=action, expires_at=expires_at, keywords=keywords)
    return web.json_response(filter_entity(found))


def _keyword_change(attrs: dict) -> filters_uc.KeywordChange:
    keyword_id = attrs.get("id")
    destroy = _flag(attrs.get("_destroy"), False)
    if keyword_id in (None, ""):
        return filters_uc.KeywordChange(
            keyword=None if destroy else _keyword_text(attrs.get("keyword")),
            whole_word=_flag(attrs.get("whole_word"), True), destroy=destroy)
    return filters_uc.KeywordChange(
        id=parse_id(keyword_id), destroy=destroy,
        keyword=None if destroy or attrs.get("keyword") is None else _keyword_text(attrs["keyword"]),
        whole_word=None if attrs.get("whole_word") is None else _flag(attrs["whole_word"], True))


async def update(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    values: dict = {}
    if "title" in params:
        values["title"] = params.required_text("title", "Title")
    if "context" in params:
        values["context"] = _contexts(params)
    if "filter_action" in params:
        values["filter_action"] = _action(params)
    if "expires_in" in params:
        values["expires_at"] = _expires_at(params)
    changes = [_keyword_change(attrs) for attrs in _keyword_attributes(params)]
    found = await filters_uc.update_filter(request.app[RUNTIME], viewer.account, path_id(request), values, changes)
    return web.json_response(filter_entity(found))


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    await filters_uc.delete_filter(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


# --- Handlers: keywords ---------------------------------------------------------------------------

async def keywords(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_filter(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response([keyword_entity(k) for k in found.keywords])


async def add_keyword(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    keyword = _keyword_text(params.str("keyword"))
    added = await filters_uc.add_keyword(request.app[RUNTIME], viewer.account, path_id(request), keyword,
                                         params.bool("whole_word", True))
    return web.json_response(keyword_entity(added))


async def show_keyword(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_keyword(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response(keyword_entity(found))


async def update_keyword(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    keyword = _keyword_text(params.str("keyword")) if "keyword" in params else None
    whole_word = params.bool("whole_word", True) if "whole_word" in params else None
    found = await filters_uc.update_keyword(request.app[RUNTIME], viewer.account, path_id(request),
                                            keyword=keyword, whole_word=whole_word)
    return web.json_response(keyword_entity(found))


async def delete_keyword(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    await filters_uc.delete_keyword(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


# --- Handlers: statuses ---------------------------------------------------------------------------

async def statuses(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_filter(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response([filter_status_entity(s) for s in found.statuses])


async def add_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    status_id = params.id("status_id")
    if status_id is None:
        raise Unprocessable("Validation failed: Status can't be blank")
    added = await filters_uc.add_status(request.app[RUNTIME], viewer.account, path_id(request), status_id)
    return web.json_response(filter_status_entity(added))


async def show_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_status(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response(filter_status_entity(found))


async def delete_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    await filters_uc.delete_status(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


# --- v1: one filter per keyword --------------------------------------------------------

async def v1_index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    async with request.app[RUNTIME].db.read() as conn:
        found = await store.of_account(conn, viewer.account.id)
    return web.json_response([v1_filter_entity(f, k) for f in found for k in f.keywords])


async def v1_show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    keyword = await filters_uc.own_keyword(request.app[RUNTIME], viewer.account, path_id(request))
    found = await filters_uc.own_filter(request.app[RUNTIME], viewer.account, keyword.filter_id)
    return web.json_response(v1_filter_entity(found, keyword))


async def v1_create(request: web.Request) -> web.Response:
    """POST /api/v1/filters: phrase, context[], irreversible, whole_word, expires_in."""
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    found, keyword = await filters_uc.create_v1(
        request.app[RUNTIME], viewer.account, phrase=_keyword_text(params.str("phrase")),
        context=_contexts(params), whole_word=params.bool("whole_word", True),
        irreversible=params.bool("irreversible", False), expires_at=_expires_at(params))
    return web.json_response(v1_filter_entity(found, keyword))


async def v1_update(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    values: dict = {}
    if "context" in params:
        values["context"] = _contexts(params)
    if "irreversible" in params:
        values["filter_action"] = "hide" if params.bool("irreversible", False) else "warn"
    if "expires_in" in params:
        values["expires_at"] = _expires_at(params)
    phrase = _keyword_text(params.str("phrase")) if "phrase" in params else None
    whole_word = params.bool("whole_word", True) if "whole_word" in params else None
    found, keyword = await filters_uc.update_v1(request.app[RUNTIME], viewer.account, path_id(request),
                                                phrase=phrase, whole_word=whole_word, values=values)
    return web.json_response(v1_filter_entity(found, keyword))


async def v1_delete(request: web.Request) -> web.Response:
    """Removes the keyword (the v1 filter); the v2 filter around it stays, as on Mastodon."""
    viewer = await auth.require(request, "write:filters")
    await filters_uc.delete_keyword(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/filters", v1_index),
    web.post("/api/v1/filters", v1_create),
    web.put(r"/api/v1/filters/{id:\d+}", v1_update),
    web.delete(r"/api/v1/filters/{id:\d+}", v1_delete),
    web.get(r"/api/v1/filters/{id:\d+}", v1_show),
    web.get("/api/v2/filters", index),
    web.post("/api/v2/filters", create),
    web.get(r"/api/v2/filters/keywords/{id:\d+}", show_keyword),
    web.put(r"/api/v2/filters/keywords/{id:\d+}", update_keyword),
    web.delete(r"/api/v2/filters/keywords/{id:\d+}", delete_keyword),
    web.get(r"/api/v2/filters/statuses/{id:\d+}", show_status),
    web.delete(r"/api/v2/filters/statuses/{id:\d+}", delete_status),
    web.get(r"/api/v2/filters/{id:\d+}", show),
    web.put(r"/api/v2/filters/{id:\d+}", update),
    web.delete(r"/api/v2/filters/{id:\d+}", delete),
    web.get(r"/api/v2/filters/{id:\d+}/keywords", keywords),
    web.post(r"/api/v2/filters/{id:\d+}/keywords", add_keyword),
    web.get(r"/api/v2/filters/{id:\d+}/statuses", statuses),
    web.post(r"/api/v2/filters/{id:\d+}/statuses", add_status),
]
