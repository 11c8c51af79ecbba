"""A hashtag chat's public pages: the live page (posts so far, then new ones as they arrive through
the streaming API's hashtag stream, by pages/static/chat.js), its calendar files, its transcript as
HTML, Markdown and JSON, and the RSS feed of a series' transcripts. The live page and the HTML
transcript are read as the signed-in person (their web session), so they show what
models.statuses.visible_to lets that person see; the Markdown and JSON files, the feed and the
posts streamed to the live page are what anyone may see: public and unlisted posts."""
from __future__ import annotations

import json
import time

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.chat_events import event_object
from federation.urls import ROUTES
from models import accounts, chats
from models.chats import Chat
from outbox.routes import ap_response, wants_activitypub
from models.accounts import Account
from pages import chat_formats, session
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


async def _reader(request: web.Request) -> Account | None:
    """Who reads a chat's page: the signed-in person (web session), who also sees the posts only they
    may see (followers-only posts of people they follow: models.statuses.visible_to), or nobody."""
    person = await session.current(request)
    return person.account if person else None


def _signed_in(request: web.Request) -> dict:
    person = request.get(session.PERSON)
    return {"person": person, "csrf": person.csrf if person else ""}


@routes.get(ROUTES.chat.path)
async def live(request: web.Request) -> web.Response:
    """The live page; asked for ActivityPub, the chat's Event (federation.chat_events), whose id this is."""
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    if wants_activitypub(request):
        async with rt.db.read() as conn:
            host = await accounts.get(conn, chat.account_id)
        if host is None:
            raise web.HTTPNotFound()
        return ap_response(event_object(chat, host, rt.urls))
    now = time.time()
    transcript = await chat_transcript.load(rt, chat, await _reader(request), until=now)
    current = None
    for section in transcript.sections:
        if section.topic is not None and section.topic.starts_at <= now:
            current = section.topic.id
    return render(request, "chat.html", {"chat": chat, "t": transcript, "state": chat.state(now),
                                         "current": current, "live": True, **_signed_in(request)})


@routes.get(ROUTES.chat_transcript.path)
async def transcript(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    chat = await _chat(request)
    ext = request.match_info["ext"]
    # The files are for anyone (and get copied around): what an anonymous reader may see. The page is
    # read as the signed-in person, if any.
    t = await chat_transcript.load(rt, chat, await _reader(request) if ext == "" else None)
    if ext == ".md":
        return web.Response(text=chat_formats.markdown(rt, t), content_type="text/markdown", charset="utf-8")
    if ext == ".json":
        return web.Response(text=json.dumps(chat_formats.as_json(rt, t)), content_type="application/json")
    return render(request, "chat.html", {"chat": chat, "t": t, "state": chat.state(time.time()),
                                         "current": None, "live": False, **_signed_in(request)})


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
    transcripts = await chat_transcript.load_many(rt, ended[:FEED_ITEMS])
    return web.Response(body=chat_formats.series_feed(rt, chat, transcripts),
                        headers={"Content-Type": "application/rss+xml; charset=utf-8"})
