"""Jinja2 for every page, through aiohttp-jinja2: one environment, autoescaped, whose templates and
the one stylesheet live beside this module. Links come from the URL registry (`path('tag', name=…)`),
so a template cannot link to a path nobody serves."""
from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Mapping

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from backchannel.config import Config
from federation.urls import ROUTES

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def path(route: str, **params: Any) -> str:
    """The site-relative path of one of ROUTES, so pages work under whatever host serves them."""
    return getattr(ROUTES, route).fill(**params)


def stored_html(value: str | None) -> Markup:
    """A status's content or a bio: HTML this node rendered itself or sanitised on arrival, kept as is."""
    return Markup(value or "")


def _when(ts: float | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def date(ts: float | None) -> str:
    when = _when(ts)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


def iso(ts: float | None) -> str:
    when = _when(ts)
    return when.isoformat(timespec="seconds") if when else ""


def setup(app: web.Application, config: Config) -> None:
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, default_helpers=False,
        filters={"stored_html": stored_html, "date": date, "iso": iso})
    env.globals.update(path=path, site=config)


def render(request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, dict(context), status=status)
    response.headers.update(headers or {})
    return response
