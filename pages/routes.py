"""Public pages: the front page, profiles, single posts and hashtags, and the node's files (media,
the stylesheet, default images). Only what an anonymous visitor may see appears here, through the
same read queries as the client API. Everything shown is escaped by the templates, or is HTML this
node rendered or sanitised."""
from __future__ import annotations

import logging
import struct
import zlib

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from models import accounts, groups, statuses
from models.media_storage import RangeNotSatisfiable, StorageUnavailable
from pages.templating import STATIC_DIR, render
from social import media_cache
from social.errors import ServiceError

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
PAGE_SIZE = 20


def _max_id(request: web.Request) -> int | None:
    raw = request.query.get("max_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise web.HTTPBadRequest(text="max_id must be a status id")
    return int(raw)


@routes.get(ROUTES.home.path)
async def front(request: web.Request) -> web.Response:
    return render(request, "front.html", {})


@routes.get(ROUTES.profile.path)
@routes.get(ROUTES.profile_tagged.path)
async def profile(request: web.Request) -> web.Response:
    """A person's public posts, newest first; under /tagged/{name} only those with that hashtag."""
    rt = request.app[RUNTIME]
    tagged = request.match_info.get("name", "").lstrip("#").lower() or None
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        if account is None or account.suspended_at is not None:
            raise web.HTTPNotFound()
        if account.actor_type == "Group" and not tagged:
            return await _group_page(request, conn, account)
        ids = await statuses.account_ids(conn, account.id, None, False, exclude_reblogs=True, tagged=tagged,
                                         max_id=_max_id(request), limit=PAGE_SIZE)
        found = await statuses.get_many(conn, ids)
    return render(request, "profile.html", {"account": account, "posts": [found[i] for i in ids if i in found],
                                            "ids": ids, "limit": PAGE_SIZE, "tagged": tagged})


async def _group_page(request: web.Request, conn, account) -> web.Response:  # noqa: ANN001
    """A group's page: what it is about, its rules and join policy, and its threads (the public posts
    it relayed that answer nothing it relayed), newest first."""
    group = await groups.get(conn, account.id)
    ids = await groups.thread_ids(conn, account.id, max_id=_max_id(request), limit=PAGE_SIZE)
    shown = await statuses.visible_ids(conn, ids, None, False)
    found = await statuses.get_many(conn, [i for i in ids if i in shown])
    authors = await accounts.get_many(conn, {s.account_id for s in found.values()})
    posts = [found[i] for i in ids if i in found and found[i].account_id in authors]
    return render(request, "group.html", {"account": account, "group": group, "posts": posts,
                                          "authors": authors, "ids": ids, "limit": PAGE_SIZE})


@routes.get(ROUTES.status_page.path)
async def status_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        status = await statuses.get(conn, int(request.match_info["status_id"]))
        if (account is None or account.suspended_at is not None or status is None
                or status.account_id != account.id or not await statuses.can_see(conn, status, None, False)
                or status.reblog_of_id):
            raise web.HTTPNotFound()
    return render(request, "status.html", {"account": account, "status": status})


@routes.get(ROUTES.tag.path)
async def tag_page(request: web.Request) -> web.Response:
    """Public posts with one hashtag, newest first, as the anonymous hashtag timeline shows them."""
    rt = request.app[RUNTIME]
    name = request.match_info["name"].lstrip("#").lower()
    before = _max_id(request)
    async with rt.db.read() as conn:
        ids = await statuses.tag_ids(conn, name, viewer_is_local=False, local=None, max_id=before,
                                     limit=PAGE_SIZE)
        found = await statuses.get_many(conn, ids)
        authors = await accounts.get_many(conn, {s.account_id for s in found.values()})
    posts = [found[i] for i in ids if i in found and found[i].account_id in authors]
    return render(request, "tag.html", {"name": name, "posts": posts, "authors": authors, "ids": ids,
                                        "limit": PAGE_SIZE, "before": before})


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


# Uploaded media. Names are the random ones social.media made up; the pattern admits nothing else
# (no dots but the extension's, no slashes), and the type comes from the extension this node chose.
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
               "mp4": "video/mp4", "mp3": "audio/mpeg"}
MEDIA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


@routes.get(ROUTES.media_proxy.path)
async def media_proxy(request: web.Request) -> web.StreamResponse:
    """A remote file, from this node's cached copy (fetched on first use: social.media_cache)."""
    rt = request.app[RUNTIME]
    try:
        name, content_type = await media_cache.cached(rt, request.match_info["signature"], request.match_info["url"])
    except ServiceError as err:
        raise web.HTTPNotFound() if err.status == 404 else web.HTTPBadGateway(text=err.message) from None
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
