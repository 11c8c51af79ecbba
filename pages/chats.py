"""A hashtag chat's public pages: the live page (posts so far, then new ones as they arrive through
the streaming API's hashtag stream, by pages/static/chat.js), its calendar files, its transcript as
HTML, Markdown and JSON, and the RSS feed of a series' transcripts. Readers are anonymous here, so
what they see is what models.statuses.visible_to shows to anyone: public and unlisted posts."""
from __future__ import annotations

import json
import time

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from models import chats
from models.chats import Chat
from pages import chat_formats
from pages.templating import render
from social import chat_transcript

routes = web.RouteTableDef()
FEED_ITEMS = 20


async def _chat(request: web.Request) -> Chat:
    raw = request.match_info["id"]
    if len(raw) > 19:
        raise web.HTTPNotFound()
    async with request.app[RUNTIME].db.read() as conn:
        chat = await chats.get(conn, int(raw))
    if chat is None:
        raise web.HTTPNotFound()
    return chat


@routes.get(ROUTES.chat.path)
async def live(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    now = time.time()
    transcript = await chat_transcript.load(rt, chat, None, until=now)
    current = None
    for section in transcript.sections:
        if section.topic is not None and section.topic.starts_at <= now:
            current = section.topic.id
    return render(request, "chat.html", {"chat": chat, "t": transcript, "state": chat.state(now),
                                         "current": current, "live": True})


@routes.get(ROUTES.chat_transcript.path)
async def transcript(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    t = await chat_transcript.load(rt, chat, None)
    ext = request.match_info["ext"]
    if ext == ".md":
        return web.Response(text=chat_formats.markdown(rt, t), content_type="text/markdown", charset="utf-8")
    if ext == ".json":
        return web.Response(text=json.dumps(chat_formats.as_json(rt, t)), content_type="application/json")
    return render(request, "chat.html", {"chat": chat, "t": t, "state": chat.state(time.time()),
                                         "current": None, "live": False})


@routes.get(ROUTES.chat_calendar.path)
async def calendar(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    return _ics(chat_formats.calendar(rt, chat), f"chat-{chat.id}.ics")


@routes.get(ROUTES.chat_series_calendar.path)
async def series_calendar(request: web.Request) -> web.Response:
    """The whole series as one repeating event, from its first occurrence."""
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    async with rt.db.read() as conn:
        occurrences = await chats.series(conn, chat.series_id)
    first = min(occurrences, key=lambda c: c.starts_at, default=chat)
    return _ics(chat_formats.calendar(rt, chat, first=first), f"chat-series-{chat.series_id}.ics")


def _ics(body: str, name: str) -> web.Response:
    return web.Response(body=body.encode(), headers={
        "Content-Type": "text/calendar; charset=utf-8", "Content-Disposition": f'inline; filename="{name}"'})


@routes.get(ROUTES.chat_series_feed.path)
async def series_feed(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    now = time.time()
    async with rt.db.read() as conn:
        ended = [c for c in await chats.series(conn, chat.series_id, limit=FEED_ITEMS * 2) if c.ends_at <= now]
    transcripts = [await chat_transcript.load(rt, c, None) for c in ended[:FEED_ITEMS]]
    return web.Response(body=chat_formats.series_feed(rt, chat, transcripts),
                        headers={"Content-Type": "application/rss+xml; charset=utf-8"})
