"""Server-rendered pages. Everything shown is escaped, or is HTML this node rendered or sanitised."""
from __future__ import annotations

import struct
import zlib
from html import escape

from aiohttp import web

from backchannel.keys import RUNTIME
from models import accounts, statuses

routes = web.RouteTableDef()
CSP = ("default-src 'none'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@web.middleware
async def security_headers(request: web.Request, handler):  # noqa: ANN001, ANN201
    response = await handler(request)
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _page(title: str, body: str) -> web.Response:
    html = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{escape(title)}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;"
            f"margin:2em auto;padding:0 1em}}article{{border-top:1px solid #ddd;padding:.5em 0}}"
            f".invisible{{display:none}}</style></head><body>{body}</body></html>")
    return web.Response(text=html, content_type="text/html")


@routes.get("/")
async def front(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    return _page(rt.config.title, f"<h1>{escape(rt.config.title)}</h1><p>{escape(rt.config.description)}</p>"
                 f"<p>A Backchannel node at {escape(rt.config.domain)}. Sign in with any Mastodon app.</p>")


def _status_html(status: statuses.Status, author: accounts.Account) -> str:
    cw = f"<p><strong>{escape(status.spoiler_text)}</strong></p>" if status.spoiler_text else ""
    return (f"<article>{cw}<div>{status.content}</div><p><a href='{escape(status.url or '')}'>"
            f"<time>{escape(_date(status.created_at))}</time></a> · {escape(author.display_name or author.username)}"
            f"</p></article>")


def _date(ts: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@routes.get("/@{username}")
async def profile(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        if account is None or account.suspended_at is not None:
            raise web.HTTPNotFound()
        ids = await statuses.account_ids(conn, account.id, None, False, exclude_reblogs=True, limit=20)
        found = await statuses.get_many(conn, ids)
    posts = "".join(_status_html(found[i], account) for i in ids if i in found)
    header = (f"<h1>{escape(account.display_name or account.username)}</h1>"
              f"<p>@{escape(account.username)}@{escape(rt.config.domain)}</p><div>{account.note}</div>")
    return _page(f"{account.display_name or account.username} (@{account.username})", header + posts)


@routes.get("/@{username}/{status_id:\\d+}")
async def status_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
        status = await statuses.get(conn, int(request.match_info["status_id"]))
    if (account is None or status is None or status.account_id != account.id
            or status.visibility not in statuses.PUBLIC_VISIBILITIES or status.reblog_of_id):
        raise web.HTTPNotFound()
    return _page(f"{account.display_name or account.username}: post", _status_html(status, account))


def _grey_png(size: int = 64) -> bytes:
    """The default avatar and header: a plain grey square, made here rather than shipped."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xaa" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


DEFAULT_IMAGE = _grey_png()


@routes.get("/static/{name:(avatar|header)\\.png}")
async def default_image(request: web.Request) -> web.Response:
    return web.Response(body=DEFAULT_IMAGE, content_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})


# Uploaded media. Names are the random ones social.media made up; the pattern admits nothing else
# (no dots but the extension's, no slashes), and the type comes from the extension this node chose.
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
MEDIA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


@routes.get("/media/{name:[A-Za-z0-9_-]{16,64}\\.(jpg|png|gif|webp)}")
async def media_file(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME]
    name = request.match_info["name"]
    path = rt.config.media_dir / name
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={
        "Content-Type": MEDIA_TYPES[name.rsplit(".", 1)[1]],
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Content-Disposition": "inline",
        "Cache-Control": "public, max-age=31536000, immutable",
        "Cross-Origin-Resource-Policy": "cross-origin",
    })
