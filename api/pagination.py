"""Mastodon pagination: max_id / since_id / min_id / limit in, a `Link` header out.

Links are absolute on the node's public base URL (rt.urls.base), not on whatever host and scheme the
request arrived with behind a proxy, and keep the request's other parameters (types[], local, …).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import orjson
from aiohttp import web
from yarl import URL

from api.params import Params
from backchannel.keys import RUNTIME

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
MAX_ACCOUNTS_LIMIT = 80
CURSORS = ("max_id", "since_id", "min_id")


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    def kwargs(self) -> dict:
        return {"max_id": self.max_id, "since_id": self.since_id, "min_id": self.min_id,
                "limit": self.limit}


def page(params: Params, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Page:
    return Page(max_id=params.id("max_id"), since_id=params.id("since_id"),
                min_id=params.id("min_id"),
                limit=params.int("limit", default, lo=1, hi=maximum))  # type: ignore[arg-type]


def link_header(request: web.Request, cursor_ids: list[int], *, prev: bool = True) -> str | None:
    """`next` pages older than the last item, `prev` newer than the first; None for an empty page.

    `cursor_ids` are the ids the list is paginated by (status ids, notification ids, follow ids…),
    newest first. Lists that can only page backwards pass prev=False.
    """
    if not cursor_ids:
        return None
    kept = tuple((k, v) for k, v in request.query.items() if k not in CURSORS and k != "access_token")
    after, before = _cursor_links(request.app[RUNTIME].urls.base, request.path, kept)
    if prev:
        return f'<{after}{cursor_ids[-1]}>; rel="next", <{before}{cursor_ids[0]}>; rel="prev"'
    return f'<{after}{cursor_ids[-1]}>; rel="next"'


@functools.lru_cache(maxsize=256)  # a client pages the same lists with the same parameters again and again
def _cursor_links(base: str, path: str, kept: tuple) -> tuple[str, str]:
    """The links to a list's next and previous pages, up to the cursor's digits (which need no escaping)."""
    url = URL(base).with_path(path)
    return (str(url.with_query([*kept, ("max_id", "")])), str(url.with_query([*kept, ("min_id", "")])))


def json_bytes(body: bytes) -> web.Response:
    """A response of JSON already encoded, as web.json_response would send it."""
    return web.Response(body=body, headers={"Content-Type": "application/json; charset=utf-8"})


def paged_json(request: web.Request, body: list, cursor_ids: list[int], *, prev: bool = True,
               ) -> web.Response:
    """`body`: entities, or entities already as JSON (api.entities.statuses.status_page_json)."""
    if not body:
        response = json_bytes(b"[]")
    elif isinstance(body[0], bytes):  # the brackets joined with the first and last entities: one copy of the page
        response = json_bytes(b",".join([b"[" + body[0], *body[1:-1], body[-1] + b"]"]) if len(body) > 1 else
                              b"[" + body[0] + b"]")
    else:
        response = json_bytes(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS))
    link = link_header(request, cursor_ids, prev=prev)
    if link:
        response.headers["Link"] = link
    return response
