"""Grouped notifications (/api/v2/notifications, Mastodon 4.3), unread counts, and the notification
policy and requests, which this node answers with Mastodon's documented defaults.

Grouping is worked out when read, not stored: favourites and boosts of one status, and follows,
that fall on the same UTC day form one group, keyed `favourite-<status id>-<day>`,
`reblog-<status id>-<day>` and `follow-<day>` (Mastodon buckets by time the same way, with a
different bucket); every other notification is its own group, `ungrouped-<notification id>`.
"""
from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from api import auth, pagination
from api.params import Params
from api.entities.accounts import account_entities
from api.entities.notifications import NotificationGroup, grouped_notifications_json
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import notification_groups, social
from models.notification_groups import GROUPABLE, group_key
from social import notifications as notifications_uc
from social.errors import NotFound

BATCH_FACTOR = 5  # raw notifications read per requested group, at most MAX_BATCH
MAX_BATCH = 400


def _grouped_types(params: Params) -> tuple[str, ...]:
    asked = params.list("grouped_types")
    return tuple(t for t in asked if t in GROUPABLE) if "grouped_types" in params else GROUPABLE


# --- Handlers -------------------------------------------------------------------------------

async def index(request: web.Request) -> web.Response:
    """A page of groups, newest first. One batch of raw notifications (BATCH_FACTOR per group asked
    for) is read and grouped, so a group may continue on the next page, as on Mastodon; the Link
    header's cursors are notification ids (page_min_id / page_max_id)."""
    viewer = await auth.require(request, "read:notifications")
    params = await Params.read(request)
    page = pagination.page(params, default=40, maximum=80)
    grouped_types = _grouped_types(params)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        rows = await social.notification_page(
            conn, viewer.account.id, types=params.list("types"), exclude_types=params.list("exclude_types"),
            max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
            limit=min(page.limit * BATCH_FACTOR, MAX_BATCH))
        groups: dict[str, NotificationGroup] = {}
        for row in rows:
            key = group_key(row, grouped_types)
            groups.setdefault(key, NotificationGroup(key)).rows.append(row)
        chosen = list(groups.values())
        # min_id pages forwards: keep the groups just after the cursor, the oldest of the batch.
        chosen = chosen[-page.limit:] if page.min_id is not None else chosen[:page.limit]
        body = await grouped_notifications_json(conn, rt, viewer.account, chosen)
    cursors = [r.id for g in chosen for r in g.rows]
    response = pagination.json_bytes(body)
    link = pagination.link_header(request, [max(cursors), min(cursors)] if cursors else [])
    if link:
        response.headers["Link"] = link
    return response


async def _group(conn: AsyncConnection, viewer: auth.Viewer, key: str) -> NotificationGroup:
    rows = await notification_groups.rows_of(conn, viewer.account.id, key)
    if not rows:
        raise NotFound("Record not found")
    return NotificationGroup(key, rows)


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:notifications")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        body = await grouped_notifications_json(conn, rt, viewer.account,
                                                [await _group(conn, viewer, request.match_info["group_key"])])
    if body.endswith(b'"notification_groups":[]}'):
        raise NotFound("Record not found")
    return pagination.json_bytes(body)


async def group_accounts(request: web.Request) -> web.Response:
    """Every account of a group, newest notification first (each account once)."""
    viewer = await auth.require(request, "read:notifications")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        group = await _group(conn, viewer, request.match_info["group_key"])
        ids = list(dict.fromkeys(r.from_account_id for r in group.rows))
        found = await accounts_store.get_many(conn, ids)
    return web.json_response(account_entities(rt, [found[i] for i in ids if i in found]))


async def dismiss(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:notifications")
    await notifications_uc.dismiss_group(request.app[RUNTIME], viewer.account, request.match_info["group_key"])
    return web.json_response({})


async def _unread_rows(request: web.Request, viewer: auth.Viewer, params: Params, limit: int):  # noqa: ANN202
    async with request.app[RUNTIME].db.read() as conn:
        return await notification_groups.unread_rows(conn, viewer.account.id, types=params.list("types"),
                                                     exclude_types=params.list("exclude_types"), limit=limit)


async def unread_count_v1(request: web.Request) -> web.Response:
    """{"count": n}: unread notifications, counted up to `limit` (default 100, at most 1000)."""
    viewer = await auth.require(request, "read:notifications")
    params = await Params.read(request)
    rows = await _unread_rows(request, viewer, params, params.int("limit", 100, lo=1, hi=1000))
    return web.json_response({"count": len(rows)})


async def unread_count_v2(request: web.Request) -> web.Response:
    """{"count": n}: unread notification groups, counted up to `limit` (default 100, at most 1000)."""
    viewer = await auth.require(request, "read:notifications")
    params = await Params.read(request)
    limit = params.int("limit", 100, lo=1, hi=1000)
    grouped_types = _grouped_types(params)
    rows = await _unread_rows(request, viewer, params, limit * BATCH_FACTOR)
    return web.json_response({"count": min(limit, len({group_key(r, grouped_types) for r in rows}))})


# Notification filtering (policy and requests) is not implemented: nothing is ever filtered, so the
# policy is Mastodon's default (accept everything except limited accounts' notifications, which are
# filtered there and simply not produced here), a PATCH changes nothing and answers that same
# policy, and there are never pending requests.
DEFAULT_POLICY = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "accept",
    "for_limited_accounts": "filter",
    "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
}


async def policy(request: web.Request) -> web.Response:
    await auth.require(request, "read:notifications")
    return web.json_response(DEFAULT_POLICY)


async def update_policy(request: web.Request) -> web.Response:
    await auth.require(request, "write:notifications")
    await Params.read(request)  # a malformed body is still a 400
    return web.json_response(DEFAULT_POLICY)


async def requests(request: web.Request) -> web.Response:
    await auth.require(request, "read:notifications")
    return web.json_response([])  # nothing is filtered, so no requests are ever pending


async def no_such_request(request: web.Request) -> web.Response:
    """GET /api/v1/notifications/requests/:id and its accept/dismiss: no request ever exists."""
    await auth.require(request, "write:notifications" if request.method == "POST" else "read:notifications")
    raise NotFound("Record not found")


async def requests_in_bulk(request: web.Request) -> web.Response:
    """POST /api/v1/notifications/requests/accept|dismiss with id[]: nothing pending, so nothing to do."""
    await auth.require(request, "write:notifications")
    await Params.read(request)
    return web.json_response({})


async def requests_merged(request: web.Request) -> web.Response:
    """Whether accepted requests have been merged into the notifications: always, there are none."""
    await auth.require(request, "read:notifications")
    return web.json_response({"merged": True})


# A group key is a kind and numbers (models.notification_groups), so no fixed path can match it.
GROUP = r"/api/v2/notifications/{group_key:[a-z]+-[0-9-]+}"
ROUTES = [
    web.get("/api/v1/notifications/unread_count", unread_count_v1),
    web.get("/api/v1/notifications/requests", requests),
    web.get("/api/v1/notifications/requests/merged", requests_merged),
    web.post("/api/v1/notifications/requests/accept", requests_in_bulk),
    web.post("/api/v1/notifications/requests/dismiss", requests_in_bulk),
    web.get(r"/api/v1/notifications/requests/{id:\d+}", no_such_request),
    web.post(r"/api/v1/notifications/requests/{id:\d+}/accept", no_such_request),
    web.post(r"/api/v1/notifications/requests/{id:\d+}/dismiss", no_such_request),
    web.get("/api/v2/notifications", index),
    web.get("/api/v2/notifications/unread_count", unread_count_v2),
    web.get("/api/v2/notifications/policy", policy),
    web.patch("/api/v2/notifications/policy", update_policy),
    web.get(GROUP, show),
    web.get(GROUP + "/accounts", group_accounts),
    web.post(GROUP + "/dismiss", dismiss),
]
