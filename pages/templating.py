"""Jinja2 for every page, through aiohttp-jinja2: one environment, autoescaped, whose templates and
the one stylesheet live beside this module. Links come from the URL registry (`path('tag', name=…)`),
so a template cannot link to a path nobody serves."""
from __future__ import annotations

import datetime
import functools
from pathlib import Path
from typing import Any, Mapping

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from backchannel.config import Config
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation.urls import ROUTES
from models.accounts import Account
from social.media_cache import proxy_url

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def path(route: str, **params: Any) -> str:
    """The site-relative path of one of ROUTES, so pages work under whatever host serves them."""
    try:
        return _path(route, tuple(params.items()))
    except TypeError:  # a value that cannot be a key (never one of ours): filled each time
        return getattr(ROUTES, route).fill(**params)


@functools.lru_cache(maxsize=8192)  # a page links to the same people, posts and tags again and again
def _path(route: str, params: tuple) -> str:
    return getattr(ROUTES, route).fill(**dict(params))


def stored_html(value: str | None) -> Markup:
    """A status's content or a bio: HTML this node rendered itself or sanitised on arrival, kept as is."""
    return Markup(value or "")


def _when(ts: float | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


@functools.lru_cache(maxsize=4096)  # the times of the posts a page shows, shown again on the next
def date(ts: float | None) -> str:
    when = _when(ts)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


@functools.lru_cache(maxsize=4096)
def iso(ts: float | None) -> str:
    when = _when(ts)
    return when.isoformat(timespec="seconds") if when else ""


def shown_url(base: str, url: str | None) -> str | None:
    """A URL a page may load under its CSP: this node's own (made site-relative, so it works
    whichever host name the browser used) or an https one; anything else is not shown."""
    if not url:
        return None
    if url.startswith(base + "/"):
        return url[len(base):]
    return url if url.startswith("https://") else None


def shown_media(rt: Runtime, url: str | None, *, remote: bool) -> str | None:
    """A file a page shows (avatar, header, attachment). Another server's file is given as this
    node's cached copy (social.media_cache), so a reader's browser never asks another organisation's
    server and never reveals its address there, as in the API's entities."""
    return shown_url(rt.urls.base, proxy_url(rt, url) if remote else url)


def link(base: str, url: str | None) -> str:
    """A link to a page of this node made site-relative; any other http(s) link kept."""
    if not url:
        return ""
    if url.startswith(base + "/"):
        return url[len(base):]
    return url if url.startswith(("https://", "http://")) else ""


def setup(app: web.Application, config: Config) -> None:
    base = config.base_url

    def avatar(a: Account) -> str:  # the runtime is there once the app runs, before any page is drawn
        return shown_media(app[RUNTIME], a.avatar_url, remote=a.domain is not None) or path("static", name="avatar.png")

    def header(a: Account) -> str:
        return shown_media(app[RUNTIME], a.header_url, remote=a.domain is not None) or path("static", name="header.png")

    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, default_helpers=False,
        filters={"stored_html": stored_html, "date": date, "iso": iso, "avatar": avatar, "header": header,
                 "link": lambda url: link(base, url)})
    env.globals.update(path=path, site=config)


def render(request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, dict(context), status=status)
    response.headers.update(headers or {})
    return response
