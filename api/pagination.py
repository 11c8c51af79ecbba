"""Mastodon pagination: max_id / since_id / min_id / limit in, a `Link` header out.

Links are absolute on the node's public base URL (rt.urls.base), not on whatever host and scheme the
request arrived with behind a proxy, and keep the request's other parameters (types[], local, …).
"""
from __future__ import annotations

from dataclasses import dataclass

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
    base = URL(request.app[RUNTIME].urls.base).with_path(request.path)
    kept = [(k, v) for k, v in request.query.items() if k not in CURSORS and k != "access_token"]
    links = [f'<{base.with_query(kept + [("max_id", str(cursor_ids[-1]))])}>; rel="next"']
    if prev:
        links.append(f'<{base.with_query(kept + [("min_id", str(cursor_ids[0]))])}>; rel="prev"')
    return ", ".join(links)


def json_bytes(body: bytes) -> web.Response:
    """A response of JSON already encoded, as web.json_response would send it."""
    return web.Response(body=body, headers={"Content-Type": "application/json; charset=utf-8"})


def paged_json(request: web.Request, body: list, cursor_ids: list[int], *, prev: bool = True,
               ) -> web.Response:
    """`body`: entities, or entities already as JSON (api.entities.statuses.status_page_json)."""
    if body and isinstance(body[0], bytes):
        response = json_bytes(b"[" + b",".join(body) + b"]")
    else:
        response = web.json_response(body)
    link = link_header(request, cursor_ids, prev=prev)
    if link:
        response.headers["Link"] = link
    return response
