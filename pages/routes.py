"""Public pages: the front page, profiles, single posts with their threads, hashtags and the
remote-follow step, and the node's files (media, the stylesheet and script, default images). A
stranger sees what an anonymous visitor may see; a signed-in person what they may see, with the
actions of the signed-in web, through the same read queries as the client API. Everything shown is escaped by the templates, or is HTML this
node rendered or sanitised."""
from __future__ import annotations

import logging
import struct
import zlib

from aiohttp import web

from yarl import URL

from backchannel.keys import RUNTIME
from federation.urls import MEDIA_TYPES, ROUTES
from models import accounts, collections, groups, statuses
from models.accounts import Account
from models.media_storage import RangeNotSatisfiable, StorageUnavailable
from pages import cards, session
from pages.people import max_id, thread
from pages.templating import STATIC_DIR, path, render
from social import media_cache
from social.errors import ServiceError

NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
PAGE_SIZE = 20


@routes.get(ROUTES.home.path)
async def front(request: web.Request) -> web.Response:
    if await session.current(request):
        raise web.HTTPSeeOther(path("web_home"))
    return render(request, "front.html", {})


async def _viewer(request: web.Request) -> Account | None:
    person = await session.current(request)
    return person.account if person else None


def _context(request: web.Request, **context: object) -> dict:
    person = request.get(session.PERSON)
    return {"person": person, "csrf": person.csrf if person else "", "next": request.path_qs, **context}


@routes.get(ROUTES.profile.path)
@routes.get(ROUTES.profile_tagged.path)
async def profile(request: web.Request) -> web.Response:
    """A person's posts, newest first (those the visitor may see: public ones for a stranger),
    pinned ones first on the first page; under /tagged/{name} only those with that hashtag."""
    rt = request.app[RUNTIME]
    viewer = await _viewer(request)
    tagged = request.match_info.get("name", "").lstrip("#").lower() or None
    before = max_id(request)
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        if account is None or account.suspended_at is not None:
            raise web.HTTPNotFound()
        if account.actor_type == "Group" and not tagged:
            return await _group_page(request, conn, account)
        ids = await statuses.account_ids(conn, account.id, viewer.id if viewer else None, viewer is not None,
                                         exclude_reblogs=True, tagged=tagged, max_id=before, limit=PAGE_SIZE)
        pinned_ids = [] if before or tagged else await collections.pinned_of(conn, account.id)
        shown = await cards.cards_of_ids(conn, rt, viewer, pinned_ids + [i for i in ids if i not in pinned_ids])
    pinned = [c for c in shown if c.status.id in pinned_ids]
    posts = [c for c in shown if c.status.id not in pinned_ids]
    return render(request, "profile.html", _context(
        request, account=account, posts=posts, pinned=pinned, ids=ids, limit=PAGE_SIZE, tagged=tagged,
        fields=account.field_list(), profile_url=rt.urls.profile(account.username)))


async def _group_page(request: web.Request, conn, account) -> web.Response:  # noqa: ANN001
    """A group's page: what it is about, its rules and join policy, and its threads (the public posts
    it relayed that answer nothing it relayed), newest first."""
    group = await groups.get(conn, account.id)
    ids = await groups.thread_ids(conn, account.id, max_id=max_id(request), limit=PAGE_SIZE)
    shown = await statuses.visible_ids(conn, ids, None, False)
    found = await statuses.get_many(conn, [i for i in ids if i in shown])
    authors = await accounts.get_many(conn, {s.account_id for s in found.values()})
    posts = [found[i] for i in ids if i in found and found[i].account_id in authors]
    return render(request, "group.html", {"account": account, "group": group, "posts": posts,
                                          "authors": authors, "ids": ids, "limit": PAGE_SIZE})


@routes.get(ROUTES.status_page.path)
async def status_page(request: web.Request) -> web.Response:
    """A post with its whole thread, as far as the visitor may see it."""
    rt = request.app[RUNTIME]
    viewer = await _viewer(request)
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        status = await statuses.get(conn, int(request.match_info["status_id"]))
        if account is None or account.suspended_at is not None or status is None or status.account_id != account.id:
            raise web.HTTPNotFound()
        before, main, after = await thread(conn, rt, viewer, status.id)
    return render(request, "status.html", _context(
        request, account=account, main=main, before=before, after=after,
        status_url=rt.urls.status_page(account.username, status.id)))


@routes.get(ROUTES.tag.path)
async def tag_page(request: web.Request) -> web.Response:
    """Posts with one hashtag, newest first, as the hashtag timeline shows them to this visitor."""
    rt = request.app[RUNTIME]
    viewer = await _viewer(request)
    name = request.match_info["name"].lstrip("#").lower()
    before = max_id(request)
    async with rt.db.read() as conn:
        ids = await statuses.tag_ids(conn, name, viewer_is_local=viewer is not None, local=None, max_id=before,
                                     limit=PAGE_SIZE)
        posts = await cards.cards_of_ids(conn, rt, viewer, ids)
    return render(request, "tag.html", _context(request, name=name, posts=posts, ids=ids, limit=PAGE_SIZE,
                                                 before=before))


@routes.get(ROUTES.remote_follow.path)
async def remote_follow_form(request: web.Request) -> web.Response:
    """Following someone from another server, as Mastodon's button does: ask for the visitor's
    server, then send them to its authorize_interaction page with this account's id."""
    account = await _local_account(request)
    return render(request, "remote_follow.html", _context(request, account=account, title="Follow"),
                  headers=NO_STORE)


@routes.post(ROUTES.remote_follow.path)
async def remote_follow(request: web.Request) -> web.Response:
    account = await _local_account(request)
    form = await request.post()
    server = _server(str(form.get("server") or ""))
    if server is None:
        return render(request, "remote_follow.html", _context(
            request, account=account, title="Follow", error="Enter your server's name, like example.org."),
            status=422, headers=NO_STORE)
    target = URL.build(scheme="https", host=server[0], port=server[1], path=ROUTES.authorize_interaction.path,
                       query={"uri": account.uri})
    raise web.HTTPSeeOther(str(target))


def _server(text: str) -> tuple[str, int | None] | None:
    """`example.org`, `@me@example.org` or `https://example.org/…` → (host, port); None if not a name."""
    text = text.strip().lstrip("@")
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].strip().lower()
    try:
        url = URL("https://" + text)
    except ValueError:
        return None
    if not url.host or "." not in url.host.strip(".") and url.host != "localhost":
        return None
    return url.host, url.explicit_port


async def _local_account(request: web.Request) -> Account:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
    if account is None or account.suspended_at is not None:
        raise web.HTTPNotFound()
    await session.current(request)
    return account


def _grey_png(size: int = 64) -> bytes:
    """The default avatar and header: a plain grey square, made here rather than shipped."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xaa" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


DEFAULT_IMAGE = _grey_png()


GENERATED = ("avatar.png", "header.png", "thumbnail.png")


@routes.get(ROUTES.static.path)
async def static_file(request: web.Request) -> web.StreamResponse:
    """The stylesheet, and the default avatar, header and node thumbnail. The route's pattern admits
    no slashes and no dots but the extension's."""
    name = request.match_info["name"]
    if name in GENERATED:
        return web.Response(body=DEFAULT_IMAGE, content_type="image/png",
                            headers={"Cache-Control": "public, max-age=86400"})
    path = STATIC_DIR / name
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600",
                                           "X-Content-Type-Options": "nosniff"})


@routes.get(ROUTES.favicon.path)
async def favicon(request: web.Request) -> web.StreamResponse:
    """The site's icon (a PNG: browsers read it at /favicon.ico too), instead of a 404 each visit."""
    return web.FileResponse(STATIC_DIR / "favicon.png", headers={
        "Content-Type": "image/png", "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


# Uploaded media. Names are the random ones social.media made up; the pattern admits nothing else
# (no dots but the extension's, no slashes), and the type comes from the extension this node chose.
MEDIA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


@routes.get(ROUTES.media_proxy.path)
async def media_proxy(request: web.Request) -> web.StreamResponse:
    """A remote file, from this node's cached copy (fetched on first use: social.media_cache)."""
    rt = request.app[RUNTIME]
    try:
        name, content_type = await media_cache.cached(rt, request.match_info["signature"], request.match_info["url"])
    except ServiceError as err:
        raise web.HTTPNotFound() if err.status == 404 else web.HTTPBadGateway(text=err.message) from None
    public = rt.urls.public_media(name)
    if public:  # kept where readers fetch media from (media_public_url): they go there for the bytes
        raise web.HTTPFound(public, headers={"Cache-Control": "public, max-age=3600"})
    return await _serve_media(request, name, content_type)


@routes.get(ROUTES.media.path)
async def media_file(request: web.Request) -> web.StreamResponse:
    """From the data folder, or read from object storage (social.media put it there): every
    process serves every upload, whichever process took it."""
    name = request.match_info["name"]
    return await _serve_media(request, name, MEDIA_TYPES[name.rsplit(".", 1)[1]])


async def _serve_media(request: web.Request, name: str, content_type: str) -> web.StreamResponse:
    """A stored file with the type this node decided, never sniffed, in a sandbox (the request's
    Range asks for part of it)."""
    rt = request.app[RUNTIME]
    headers = {
        "Content-Type": content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Content-Disposition": "inline",
        "Cache-Control": "public, max-age=31536000, immutable",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    path = rt.media.local_file(name)
    if path is not None:
        return web.FileResponse(path, headers=headers)
    try:  # players of video and audio ask for parts of the file
        piece = await rt.media.read(name, request.headers.get("Range"))
    except RangeNotSatisfiable:
        raise web.HTTPRequestRangeNotSatisfiable() from None
    except StorageUnavailable as err:
        log.warning("cannot read media %s: %s", name, err.detail)
        raise web.HTTPServiceUnavailable(headers={"Retry-After": "5"}) from None
    if piece is None:
        raise web.HTTPNotFound()
    headers["Accept-Ranges"] = "bytes"
    if piece.content_range:
        headers["Content-Range"] = piece.content_range
        return web.Response(body=piece.data, status=206, headers=headers)
    return web.Response(body=piece.data, headers=headers)
