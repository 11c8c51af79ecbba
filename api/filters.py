"""Filters: /api/v2/filters with keywords and statuses, the read-only /api/v1/filters view, and the
`filtered` field of statuses (https://docs.joinmastodon.org/methods/filters/, entities/Filter,
entities/FilterResult).

Which filter context a request is in (home, notifications, public, thread, account) follows from
its path, set by `context_middleware` for the Presenter: a status matching an active filter of the
viewer in that context gets `filtered: [FilterResult]`, and one matching a `hide` filter is left out.
A request outside those contexts (one status, search) is not filtered. The viewer's own statuses
are never filtered, as on Mastodon.
"""
from __future__ import annotations

import re
import time
from contextvars import ContextVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from api import auth
from api.params import Params, parse_id, path_id
from backchannel.keys import RUNTIME
from federation.content import html_to_text
from models import filters as store
from models.filters import ACTIONS, CONTEXTS, Filter, FilterStatus, Keyword
from social import filters as filters_uc
from models.statuses import Status
from social.errors import Unprocessable

# --- Which context a request reads in -------------------------------------------------------------

FILTER_CONTEXT: ContextVar[str | None] = ContextVar("filter_context", default=None)
_PATH_CONTEXTS = [
    (re.compile(r"^/api/v1/timelines/(home|list/[^/]+)/?$"), "home"),
    (re.compile(r"^/api/v1/timelines/(public|tag/[^/]+)/?$"), "public"),
    (re.compile(r"^/api/v1/trends/statuses/?$"), "public"),
    (re.compile(r"^/api/v[12]/notifications(/[^/]+)?/?$"), "notifications"),
    (re.compile(r"^/api/v1/statuses/[^/]+/context/?$"), "thread"),
    (re.compile(r"^/api/v1/accounts/[^/]+/statuses/?$"), "account"),
]


def context_of(path: str) -> str | None:
    for pattern, context in _PATH_CONTEXTS:
        if pattern.match(path):
            return context
    return None


@web.middleware
async def context_middleware(request: web.Request, handler):  # noqa: ANN001, ANN201
    token = FILTER_CONTEXT.set(context_of(request.path) if request.method == "GET" else None)
    try:
        return await handler(request)
    finally:
        FILTER_CONTEXT.reset(token)


# --- Matching -------------------------------------------------------------------------------------

def _text_of(status: Status) -> str:
    return f"{status.spoiler_text or ''}\n{html_to_text(status.content or '')}"


async def results_for(conn: AsyncConnection, viewer_id: int, statuses: dict[int, Status],
                      context: str | None = None) -> tuple[dict[int, list[dict]], set[int]]:
    """FilterResults per status id (a boost carries its original's) and the ids a `hide` filter
    removes, for the viewer's active filters in `context` (default: the request's)."""
    context = context or FILTER_CONTEXT.get()
    if context is None or not statuses:
        return {}, set()
    active = await store.active_in(conn, viewer_id, context)
    if not active:
        return {}, set()
    compiled = [(f, [(k, k.pattern()) for k in f.keywords], {s.status_id for s in f.statuses}) for f in active]
    results: dict[int, list[dict]] = {}
    hidden: set[int] = set()
    for status in statuses.values():
        if status.reblog_of_id or status.account_id == viewer_id:
            continue
        text = _text_of(status)
        found = []
        for f, keywords, status_ids in compiled:
            words = [k.keyword for k, pattern in keywords if pattern.search(text)]
            by_status = [str(status.id)] if status.id in status_ids else []
            if words or by_status:
                found.append({"filter": filter_entity(f, with_rules=False),
                              "keyword_matches": words or None, "status_matches": by_status or None})
                if f.filter_action == "hide":
                    hidden.add(status.id)
        if found:
            results[status.id] = found
    for status in statuses.values():
        if status.reblog_of_id and status.reblog_of_id in results and status.account_id != viewer_id:
            results[status.id] = results[status.reblog_of_id]
            if status.reblog_of_id in hidden:
                hidden.add(status.id)
    return results, hidden


# --- Entities -------------------------------------------------------------------------------------

def _iso(ts: float | None) -> str | None:
    from api.serializers import iso

    return iso(ts)


def keyword_entity(k: Keyword) -> dict:
    return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}


def status_entity(s: FilterStatus) -> dict:
    return {"id": str(s.id), "status_id": str(s.status_id)}


def filter_entity(f: Filter, *, with_rules: bool = True) -> dict:
    body = {"id": str(f.id), "title": f.title, "context": list(f.context), "expires_at": _iso(f.expires_at),
            "filter_action": f.filter_action}
    if with_rules:
        body["keywords"] = [keyword_entity(k) for k in f.keywords]
        body["statuses"] = [status_entity(s) for s in f.statuses]
    return body


def v1_entity(f: Filter, k: Keyword) -> dict:
    return {"id": str(k.id), "phrase": k.keyword, "context": list(f.context), "whole_word": k.whole_word,
            "expires_at": _iso(f.expires_at), "irreversible": f.filter_action == "hide"}


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
    title = (params.str("title") or "").strip()
    if not title:
        raise Unprocessable("Validation failed: Title can't be blank")
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
        values["title"] = (params.str("title") or "").strip()
        if not values["title"]:
            raise Unprocessable("Validation failed: Title can't be blank")
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
    return web.json_response([status_entity(s) for s in found.statuses])


async def add_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    params = await Params.read(request)
    status_id = params.id("status_id")
    if status_id is None:
        raise Unprocessable("Validation failed: Status can't be blank")
    added = await filters_uc.add_status(request.app[RUNTIME], viewer.account, path_id(request), status_id)
    return web.json_response(status_entity(added))


async def show_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    found = await filters_uc.own_status(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response(status_entity(found))


async def delete_status(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:filters")
    await filters_uc.delete_status(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


# --- v1: one filter per keyword, read-only --------------------------------------------------------

async def v1_index(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    async with request.app[RUNTIME].db.read() as conn:
        found = await store.of_account(conn, viewer.account.id)
    return web.json_response([v1_entity(f, k) for f in found for k in f.keywords])


async def v1_show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:filters")
    keyword = await filters_uc.own_keyword(request.app[RUNTIME], viewer.account, path_id(request))
    found = await filters_uc.own_filter(request.app[RUNTIME], viewer.account, keyword.filter_id)
    return web.json_response(v1_entity(found, keyword))


ROUTES = [
    web.get("/api/v1/filters", v1_index),
    web.get("/api/v1/filters/{id}", v1_show),
    web.get("/api/v2/filters", index),
    web.post("/api/v2/filters", create),
    web.get("/api/v2/filters/keywords/{id}", show_keyword),
    web.put("/api/v2/filters/keywords/{id}", update_keyword),
    web.delete("/api/v2/filters/keywords/{id}", delete_keyword),
    web.get("/api/v2/filters/statuses/{id}", show_status),
    web.delete("/api/v2/filters/statuses/{id}", delete_status),
    web.get("/api/v2/filters/{id}", show),
    web.put("/api/v2/filters/{id}", update),
    web.delete("/api/v2/filters/{id}", delete),
    web.get("/api/v2/filters/{id}/keywords", keywords),
    web.post("/api/v2/filters/{id}/keywords", add_keyword),
    web.get("/api/v2/filters/{id}/statuses", statuses),
    web.post("/api/v2/filters/{id}/statuses", add_status),
]
