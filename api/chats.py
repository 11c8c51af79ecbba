"""/api/v1/chats: weekly hashtag chats (social.chats). Scheduling, cancelling and attending need a
token; reading chats does not (they are announced in public anyway)."""
from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from api import auth, scheduled
from api.entities.chats import chat_entities
from api.params import Params, path_id
from backchannel.keys import RUNTIME
from models import chats as chat_store
from social import chats as chats_uc
from social.chats import ChatRequest, TopicRequest
from social.errors import NotFound, Unprocessable

LIMIT = 40


def parse_time(value: Any, label: str) -> float:
    """ISO 8601 (a time without a zone is UTC) → epoch seconds; 422 naming the field otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(f"Validation failed: {label} can't be blank")
    return scheduled.parse_time(value, label)


def _topics(params: Params) -> tuple[TopicRequest, ...]:
    """A JSON list of strings or of {text, starts_at}; or the form's topics[]=… or topics[0][text]=…"""
    raw = params.raw("topics")
    items: list[Any] = raw if isinstance(raw, list) else (params.indexed("topics") or params.list("topics"))
    if len(items) > chats_uc.MAX_TOPICS:
        raise Unprocessable(f"Validation failed: At most {chats_uc.MAX_TOPICS} topics")
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(TopicRequest(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            at = item.get("starts_at")
            out.append(TopicRequest(item["text"], None if at in (None, "") else parse_time(at, "Topic starts at")))
        else:
            raise Unprocessable("Validation failed: Each topic is a string or an object with text")
    return tuple(out)


def _request(params: Params) -> ChatRequest:
    recurrence = (params.str("recurrence") or "").strip().lower() or None
    return ChatRequest(
        hashtag=params.required_text("hashtag", "Hashtag"), title=params.required_text("title", "Title"),
        starts_at=parse_time(params.str("starts_at"), "Starts at"),
        ends_at=parse_time(params.str("ends_at"), "Ends at"), topics=_topics(params),
        recurrence=recurrence, group=(params.str("group") or "").strip().lstrip("@") or None)


async def _one(request: web.Request, chat_id: int, viewer_id: int | None) -> dict:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        chat = await chat_store.get(conn, chat_id)
        if chat is None:
            raise NotFound("Record not found")
        return (await chat_entities(conn, rt, [chat], viewer_id))[0]


async def create(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    chat = await chats_uc.schedule(request.app[RUNTIME], viewer.account, _request(params))
    return web.json_response(await _one(request, chat.id, viewer.account.id))


async def update(request: web.Request) -> web.Response:
    """PUT: the host gives the occurrence (not yet started) a new title, window and topics, as POST
    takes them; a weekly chat's later weeks follow."""
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    req = ChatRequest(
        hashtag="", title=params.required_text("title", "Title"),
        starts_at=parse_time(params.str("starts_at"), "Starts at"),
        ends_at=parse_time(params.str("ends_at"), "Ends at"), topics=_topics(params))
    chat = await chats_uc.edit(request.app[RUNTIME], viewer.account, path_id(request), req)
    return web.json_response(await _one(request, chat.id, viewer.account.id))


async def patch(request: web.Request) -> web.Response:
    """PATCH: new wording for this occurrence's questions not yet asked: `topics` as a list of
    {position, text}; the weeks after keep the series' questions."""
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    raw = params.raw("topics")
    items: list[Any] = raw if isinstance(raw, list) else params.indexed("topics")
    texts: dict[int, str] = {}
    for item in items or []:
        if not (isinstance(item, dict) and isinstance(item.get("text"), str)
                and str(item.get("position", "")).isdigit()):
            raise Unprocessable("Validation failed: Each topic is an object with position and text")
        texts[int(item["position"])] = item["text"]
    if not texts:
        raise Unprocessable("Validation failed: Topics can't be empty")
    chat = await chats_uc.edit_topics(request.app[RUNTIME], viewer.account, path_id(request), texts)
    return web.json_response(await _one(request, chat.id, viewer.account.id))


async def index(request: web.Request) -> web.Response:
    """Upcoming chats (soonest first) then past ones (latest first); `scope=upcoming|past` for one."""
    account = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    scope = params.str("scope", "all")
    if scope not in ("all", "upcoming", "past"):
        raise Unprocessable("scope must be upcoming, past or all")
    limit = params.int("limit", LIMIT, lo=1, hi=LIMIT) or LIMIT
    rt = request.app[RUNTIME]
    now = time.time()
    async with rt.db.read() as conn:
        found = []
        if scope in ("all", "upcoming"):
            found += await chat_store.listing(conn, upcoming=True, now=now, limit=limit)
        if scope in ("all", "past"):
            found += await chat_store.listing(conn, upcoming=False, now=now, limit=limit)
        body = await chat_entities(conn, rt, found, account.id if account else None)
    return web.json_response(body)


async def show(request: web.Request) -> web.Response:
    account = await auth.optional(request, "read:statuses")
    return web.json_response(await _one(request, path_id(request), account.id if account else None))


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    await chats_uc.cancel(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


async def attend(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    chat_id = path_id(request)
    await chats_uc.attend(request.app[RUNTIME], viewer.account, chat_id, attending=request.method == "POST")
    return web.json_response(await _one(request, chat_id, viewer.account.id))


ROUTES = [
    web.post("/api/v1/chats", create),
    web.get("/api/v1/chats", index),
    web.get(r"/api/v1/chats/{id:\d+}", show),
    web.put(r"/api/v1/chats/{id:\d+}", update),
    web.patch(r"/api/v1/chats/{id:\d+}", patch),
    web.delete(r"/api/v1/chats/{id:\d+}", delete),
    web.post(r"/api/v1/chats/{id:\d+}/rsvp", attend),
    web.delete(r"/api/v1/chats/{id:\d+}/rsvp", attend),
]
