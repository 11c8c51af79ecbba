"""RSS 2.0 and Atom feeds: a person's posts, a hashtag, the local timeline and a shared list.

A feed is read by anyone, so it holds exactly what an anonymous visitor may see (the read queries
of the public pages, which apply models.statuses.visible_to for nobody): never a followers-only,
direct or local-only post. The XML is built with ElementTree, which escapes every text and
attribute; a post's HTML travels as escaped text (RSS `description`, Atom `content type="html"`).
"""
from __future__ import annotations

import datetime
import email.utils
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.content import html_to_text
from federation.runtime import Runtime
from federation.urls import ROUTES
from models import accounts, collections, statuses
from models.accounts import Account
from models.statuses import Status

routes = web.RouteTableDef()
FEED_SIZE = 20
TITLE_CHARS = 80
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    page_url: str  # the HTML page the feed follows
    feed_url: str  # the feed itself
    updated: float
    entries: list[tuple[Status, Account]]


def _when(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def _author_name(author: Account) -> str:
    acct = author.username if author.local else f"{author.username}@{author.domain}"
    return f"{author.display_name} (@{acct})" if author.display_name else f"@{acct}"


def _entry_title(status: Status) -> str:
    """A post has no title: its content warning, or the start of its text."""
    if status.spoiler_text:
        return status.spoiler_text
    text = " ".join(html_to_text(status.content).split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1].rstrip() + "…"


def _link(status: Status) -> str:
    return status.url or status.uri


def rss(feed: Feed) -> bytes:
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:dc": DC_NS})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = feed.title
    ET.SubElement(channel, "link").text = feed.page_url
    ET.SubElement(channel, "description").text = feed.description
    ET.SubElement(channel, "atom:link", {"href": feed.feed_url, "rel": "self", "type": TYPES["rss"]})
    ET.SubElement(channel, "lastBuildDate").text = email.utils.format_datetime(_when(feed.updated), usegmt=True)
    for status, author in feed.entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _entry_title(status)
        ET.SubElement(item, "link").text = _link(status)
        ET.SubElement(item, "guid", {"isPermaLink": "true" if status.url == status.uri else "false"}).text = status.uri
        ET.SubElement(item, "pubDate").text = email.utils.format_datetime(_when(status.created_at), usegmt=True)
        # RSS's own <author> wants an e-mail address; a name alone goes in as Dublin Core's creator.
        ET.SubElement(item, "dc:creator").text = _author_name(author)
        ET.SubElement(item, "description").text = status.content
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(feed: Feed) -> bytes:
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(root, "id").text = feed.feed_url
    ET.SubElement(root, "title").text = feed.title
    ET.SubElement(root, "subtitle").text = feed.description
    ET.SubElement(root, "updated").text = _when(feed.updated).isoformat()
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html", "href": feed.page_url})
    ET.SubElement(root, "link", {"rel": "self", "type": TYPES["atom"], "href": feed.feed_url})
    for status, author in feed.entries:
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = status.uri
        ET.SubElement(entry, "title").text = _entry_title(status)
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": _link(status)})
        ET.SubElement(entry, "published").text = _when(status.created_at).isoformat()
        ET.SubElement(entry, "updated").text = _when(status.edited_at or status.created_at).isoformat()
        who = ET.SubElement(entry, "author")
        ET.SubElement(who, "name").text = _author_name(author)
        ET.SubElement(who, "uri").text = author.url or author.uri
        ET.SubElement(entry, "content", {"type": "html"}).text = status.content
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


async def _entries(conn, ids: list[int]) -> list[tuple[Status, Account]]:  # noqa: ANN001
    """The statuses of `ids` with their authors, in order: two statements whatever the length."""
    found = await statuses.get_many(conn, ids)
    authors = await accounts.get_many(conn, {s.account_id for s in found.values()})
    return [(found[i], authors[found[i].account_id]) for i in ids if i in found and found[i].account_id in authors]


def _respond(feed: Feed, kind: str) -> web.Response:
    body = rss(feed) if kind == "rss" else atom(feed)
    return web.Response(body=body, content_type=TYPES[kind], charset="utf-8",
                        headers={"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"})


def _feed(rt: Runtime, title: str, description: str, page_url: str, feed_url: str,
          entries: list[tuple[Status, Account]]) -> Feed:
    updated = max((s.edited_at or s.created_at for s, _ in entries), default=0.0)
    return Feed(title=f"{title} · {rt.config.title}", description=description, page_url=page_url,
                feed_url=feed_url, updated=updated, entries=entries)


@routes.get(ROUTES.profile_feed.path)
async def profile_feed(request: web.Request) -> web.Response:
    """A person's public and unlisted posts and their replies to themselves, newest first."""
    rt, kind = request.app[RUNTIME], request.match_info["format"]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        if account is None or account.suspended_at is not None:
            raise web.HTTPNotFound()
        ids = await statuses.account_ids(conn, account.id, None, False, exclude_reblogs=True, exclude_replies=True,
                                         limit=FEED_SIZE)
        entries = await _entries(conn, ids)
    name = account.display_name or account.username
    return _respond(_feed(rt, f"{name} (@{account.username}@{rt.config.domain})", f"Public posts from @{account.username}",
                          rt.urls.profile(account.username), rt.urls.profile_feed(account.username, kind), entries), kind)


@routes.get(ROUTES.tag_feed.path)
async def tag_feed(request: web.Request) -> web.Response:
    rt, kind = request.app[RUNTIME], request.match_info["format"]
    name = request.match_info["name"].lstrip("#").lower()
    async with rt.db.read() as conn:
        ids = await statuses.tag_ids(conn, name, viewer_is_local=False, local=None, limit=FEED_SIZE)
        entries = await _entries(conn, ids)
    return _respond(_feed(rt, f"#{name}", f"Public posts tagged #{name}", rt.urls.tag(name),
                          rt.urls.tag_feed(name, kind), entries), kind)


@routes.get(ROUTES.local_feed.path)
async def local_feed(request: web.Request) -> web.Response:
    rt, kind = request.app[RUNTIME], request.match_info["format"]
    async with rt.db.read() as conn:
        ids = await statuses.public_ids(conn, local=True, viewer_is_local=False, limit=FEED_SIZE)
        entries = await _entries(conn, ids)
    return _respond(_feed(rt, f"Public posts on {rt.config.domain}", f"The public posts of {rt.config.domain}'s people",
                          rt.urls.home(), rt.urls.local_feed(kind), entries), kind)


@routes.get(ROUTES.shared_list_feed.path)
async def shared_list_feed(request: web.Request) -> web.Response:
    rt, kind = request.app[RUNTIME], request.match_info["format"]
    list_id = int(request.match_info["list_id"])
    async with rt.db.read() as conn:
        found = await collections.public_list(conn, list_id)
        if found is None:
            raise web.HTTPNotFound()
        ids = await statuses.shared_list_ids(conn, list_id, limit=FEED_SIZE)
        entries = await _entries(conn, ids)
    return _respond(_feed(rt, found.title, f"Public posts from the people on the list {found.title}",
                          rt.urls.shared_list(list_id), rt.urls.shared_list_feed(list_id, kind), entries), kind)
