"""/api/v1/accounts/… and /api/v1/follow_requests."""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup, pagination, search
from api.pagination import MAX_ACCOUNTS_LIMIT
from api.params import Params, path_id
from api.entities.accounts import (account_entities, credential_account_entity,
                                   profile_account_entity, relationship_entity)
from api.entities.statuses import status_page_parts
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import social, status_queries
from models import media as media_store
from models import statuses as statuses_store
from social import follows as follow_uc
from social.errors import NotFound


async def verify_credentials(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:accounts", "profile")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts_store.get(conn, viewer.account.id) or viewer.account
        body = await credential_account_entity(conn, rt, account, viewer.user)
    return web.json_response(body)


async def show(request: web.Request) -> web.Response:
    await auth.optional(request, "read:accounts")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await lookup.existing_account(conn, path_id(request))
        body = await profile_account_entity(conn, rt, account)
    return web.json_response(body)


async def show_many(request: web.Request) -> web.Response:
    """GET /api/v1/accounts?id[]=…: several accounts in the order asked, the unknown and suspended
    left out (Mastodon 4.3)."""
    await auth.optional(request, "read:accounts")
    params = await Params.read(request)
    wanted = params.ids("id", MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await accounts_store.get_many(conn, wanted)
    shown = [found[i] for i in dict.fromkeys(wanted) if i in found and found[i].suspended_at is None]
    return web.json_response(account_entities(rt, shown))


async def lookup_acct(request: web.Request) -> web.Response:
    """Find a known account by `acct` (user, user@domain, @user@domain) without WebFinger."""
    await auth.optional(request, "read:accounts")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    username, domain = search.split_acct(params.str("acct") or "", rt)
    if not username:
        raise NotFound("Record not found")
    async with rt.db.read() as conn:
        account = await accounts_store.by_acct(conn, username, domain)
        if account is None or account.suspended_at is not None:
            raise NotFound("Record not found")
        body = await profile_account_entity(conn, rt, account)
    return web.json_response(body)


async def search_accounts(request: web.Request) -> web.Response:
    await auth.require(request, "read:accounts")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    found = await search.accounts(rt, params.str("q") or "", limit=params.int("limit", 40, lo=1, hi=80),
                                  resolve=params.bool("resolve"))
    return web.json_response(account_entities(rt, found))


async def relationships(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:follows")
    params = await Params.read(request)
    ids = params.ids("id", MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        known = await accounts_store.get_many(conn, ids)
        rels = await social.relationships(conn, viewer.account.id, [i for i in ids if i in known])
        body = [relationship_entity(i, rel) for i, rel in rels.items()]
    return web.json_response(body)


async def statuses(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params)
    rt = request.app[RUNTIME]
    account_id = path_id(request)
    async with rt.db.read() as conn:
        viewer_id, viewer_is_local = (viewer.id if viewer else None), viewer is not None and viewer.local
        # Every list below applies the visibility rule, which leaves out the posts of an account
        # blocked either way: a block needs no statement of its own.
        if params.bool("pinned"):
            # Pinned posts are one short list, newest pin first; there is no further page.
            ids = [] if page.max_id or page.min_id or page.since_id else \
                await status_queries.pinned_ids(conn, account_id, viewer)
        elif params.bool("only_media"):
            ids = await media_store.account_media_ids(conn, account_id, viewer_id, viewer_is_local, **page.kwargs())
        else:
            ids = await statuses_store.account_ids(
                conn, account_id, viewer_id, viewer_is_local, exclude_replies=params.bool("exclude_replies"),
                exclude_reblogs=params.bool("exclude_reblogs"), **page.kwargs())
        # The account itself is read with the page's authors (no statement of its own): one that
        # does not exist or is suspended answers 404, whatever was found.
        parts = await status_page_parts(conn, rt, viewer, ids, context="account", hide_muted=False,
                                        people=(account_id,))
    account = parts.people.get(account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound("Record not found")
    return pagination.paged_json(request, [body for _, body in parts.statuses], ids)


async def _follow_list(request: web.Request, *, followers: bool) -> web.Response:
    await auth.optional(request, "read:accounts")
    params = await Params.read(request)
    limit = params.int("limit", 40, lo=1, hi=MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await lookup.existing_account(conn, path_id(request))
        pairs = await social.follow_page(conn, account.id, followers=followers,
                                         max_id=params.id("max_id"), limit=limit)  # type: ignore[arg-type]
    # Only older pages can be asked for (follow_page takes max_id alone), so no `prev` link.
    return pagination.paged_json(request, account_entities(rt, [a for _, a in pairs]),
                                 [cursor for cursor, _ in pairs], prev=False)


async def followers(request: web.Request) -> web.Response:
    return await _follow_list(request, followers=True)


async def following(request: web.Request) -> web.Response:
    return await _follow_list(request, followers=False)


def _relationship_action(scope: str, action):  # noqa: ANN001, ANN202
    """A POST that calls one social.follows use case on the target and answers the Relationship."""
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        target_id = path_id(request)
        await action(request.app[RUNTIME], viewer.account, target_id)  # it checks the target
        return await _relationship_response(request, viewer.account.id, target_id)
    handler.__name__ = action.__name__
    return handler


async def follow(request: web.Request) -> web.Response:
    """POST /api/v1/accounts/:id/follow, with `reblogs` and `notify` (also to change them later)."""
    viewer = await auth.require(request, "write:follows")
    target_id = path_id(request)
    params = await Params.read(request)
    reblogs = params.bool("reblogs") if "reblogs" in params else None
    notify = params.bool("notify") if "notify" in params else None
    await follow_uc.follow(request.app[RUNTIME], viewer.account, target_id, reblogs=reblogs, notify=notify)
    return await _relationship_response(request, viewer.account.id, target_id)


async def _relationship_response(request: web.Request, me: int, other: int) -> web.Response:
    async with request.app[RUNTIME].db.read() as conn:
        rel = await social.relationship(conn, me, other)
    return web.json_response(relationship_entity(other, rel))


# --- Follow requests ----------------------------------------------------------------------------

async def follow_requests(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:follows")
    params = await Params.read(request)
    limit = params.int("limit", 40, lo=1, hi=MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        pairs = await social.follow_page(conn, viewer.account.id, followers=True, state="pending",
                                         max_id=params.id("max_id"), limit=limit)  # type: ignore[arg-type]
    return pagination.paged_json(request, account_entities(rt, [a for _, a in pairs]),
                                 [cursor for cursor, _ in pairs], prev=False)


def _request_action(action):  # noqa: ANN001, ANN202
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, "write:follows")
        requester_id = path_id(request)
        await action(request.app[RUNTIME], viewer.account, requester_id)
        return await _relationship_response(request, viewer.account.id, requester_id)
    handler.__name__ = action.__name__
    return handler


ROUTES = [
    web.get("/api/v1/accounts", show_many),
    web.get("/api/v1/accounts/verify_credentials", verify_credentials),
    web.get("/api/v1/accounts/lookup", lookup_acct),
    web.get("/api/v1/accounts/search", search_accounts),
    web.get("/api/v1/accounts/relationships", relationships),
    web.get(r"/api/v1/accounts/{id:\d+}", show),
    web.get(r"/api/v1/accounts/{id:\d+}/statuses", statuses),
    web.get(r"/api/v1/accounts/{id:\d+}/followers", followers),
    web.get(r"/api/v1/accounts/{id:\d+}/following", following),
    web.post(r"/api/v1/accounts/{id:\d+}/follow", follow),
    web.post(r"/api/v1/accounts/{id:\d+}/unfollow", _relationship_action("write:follows", follow_uc.unfollow)),
    web.post(r"/api/v1/accounts/{id:\d+}/block", _relationship_action("write:blocks", follow_uc.block)),
    web.post(r"/api/v1/accounts/{id:\d+}/unblock", _relationship_action("write:blocks", follow_uc.unblock)),
    web.get("/api/v1/follow_requests", follow_requests),
    web.post(r"/api/v1/follow_requests/{id:\d+}/authorize", _request_action(follow_uc.authorize_follow_request)),
    web.post(r"/api/v1/follow_requests/{id:\d+}/reject", _request_action(follow_uc.reject_follow_request)),
]
