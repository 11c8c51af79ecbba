"""/api/v1/statuses/…: post, read, edit, delete, thread context, likes and boosts."""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup, pagination, scheduled
from api.pagination import MAX_ACCOUNTS_LIMIT
from api.params import Params, parse_id, path_id
from api.entities.accounts import account_entities
from api.entities.statuses import (status_entity, status_entity_json, status_list_parts, status_page, status_page_json,
                                   status_source_entity)
from backchannel.keys import RUNTIME
from models import quotes as quotes_store
from models import status_queries
from models import statuses as statuses_store
from models.accounts import Account
from models.statuses import VISIBILITIES, Status
from social import interactions, threads
from social import quotes as quote_uc
from social import scheduled as scheduled_uc
from social import profile as profile_uc
from social import statuses as status_uc
from social.errors import Forbidden, NotFound, Unprocessable
from social.polls import PollRequest


def _visibility(params: Params, default: str = "public") -> str:
    """Mastodon's visibility, plus `local` (or local_only=true) for posts that never leave the node;
    `default` (the poster's source[privacy]) when none is sent."""
    visibility = params.str("visibility") or default
    if visibility not in VISIBILITIES:
        raise Unprocessable(f"Validation failed: Visibility {visibility!r} is not one of "
                            f"{', '.join(VISIBILITIES)}")
    # Local-only narrows public and unlisted; followers-only and direct are narrower already.
    if params.bool("local_only") and visibility in ("public", "unlisted"):
        visibility = "local"
    return visibility


def _media_ids(params: Params, *, edit: bool = False) -> list[int] | None:
    """media_ids[]; on an edit, None when the client did not send them (the attachments stay)."""
    if edit and "media_ids" not in params:
        return None
    ids = []
    for value in params.list("media_ids"):
        try:
            ids.append(parse_id(value))
        except NotFound:
            raise Unprocessable("Validation failed: Media attachments are invalid") from None
    return ids


def _poll(params: Params) -> PollRequest | None:
    """poll[options][]=…&poll[expires_in]=… (forms) or {"poll": {"options": […], …}} (JSON)."""
    nested = params.raw("poll")
    if isinstance(nested, dict):
        params = Params({k: [v] for k, v in nested.items()})
        prefix = "{}"
    elif "poll[options]" in params:
        prefix = "poll[{}]"
    else:
        return None
    options = params.list(prefix.format("options"))
    expires_in = params.int(prefix.format("expires_in"))
    if expires_in is None:
        raise Unprocessable("Validation failed: Poll duration is missing")
    return PollRequest(options=options, expires_in=expires_in, multiple=params.bool(prefix.format("multiple")),
                       hide_totals=params.bool(prefix.format("hide_totals")))


def _refuse_unsupported(params: Params) -> None:
    if params.str("scheduled_at"):
        raise Unprocessable("Validation failed: scheduled posts are not supported")


def _text(params: Params) -> str:
    return params.str("status") or ""  # the use case refuses blank and over-long text


async def _respond(request: web.Request, viewer: Account | None, status: Status, *,
                   with_text: bool = False) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        # Re-read so counters written by the use case show; a deleted status is answered as it was.
        body = await status_entity(conn, rt, viewer, status, with_text=with_text, fresh=True)
    return web.json_response(body)


async def create(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    prefs = await profile_uc.posting_defaults(rt, viewer.account.id)  # source[…] of update_credentials
    text, visibility = _text(params), _visibility(params, prefs.privacy)
    fields = dict(text=text, visibility=visibility, spoiler_text=params.str("spoiler_text") or "",
                  sensitive=params.bool("sensitive", prefs.sensitive), in_reply_to_id=params.id("in_reply_to_id"),
                  language=params.str("language") or prefs.language, media_ids=_media_ids(params),
                  poll=_poll(params))
    if params.str("scheduled_at"):  # a ScheduledStatus instead of a post (api.scheduled)
        item = await scheduled_uc.schedule(rt, viewer.account, scheduled.parse_time(params.str("scheduled_at")),
                                           **fields)
        return web.json_response(await scheduled.entity(request, item))
    # The same Idempotency-Key within an hour answers the status it made, instead of posting twice
    # (post_status decides inside its transaction, so concurrent requests post once).
    key = request.headers.get("Idempotency-Key", "").strip()[:255] or None
    # post_status answers 404 for a reply to a post the author cannot see.
    status = await status_uc.post_status(rt, viewer.account, **fields, idempotency_key=key,
                                         quoted_status_id=params.id("quoted_status_id") or params.id("quote_id"),
                                         quote_policy=params.str("quote_approval_policy") or prefs.quote_policy)
    return await _respond(request, viewer.account, status)


async def show(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer)
        body = await status_entity_json(conn, rt, viewer, status, seen=True)
    return pagination.json_bytes(body)


async def show_many(request: web.Request) -> web.Response:
    """GET /api/v1/statuses?id[]=…: the visible ones, in the order asked."""
    viewer = await auth.optional(request, "read:statuses")
    params = await Params.read(request)
    ids = params.ids("id", MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        # Read as a timeline's page is: the statuses, their originals and who may see them at once.
        body = await status_page_json(conn, rt, viewer, list(dict.fromkeys(ids)), context=None)
    return pagination.json_bytes(b"[" + b",".join(body) + b"]")


async def edit(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    _refuse_unsupported(params)
    status = await status_uc.edit_status(
        request.app[RUNTIME], viewer.account, path_id(request), text=_text(params),
        spoiler_text=params.str("spoiler_text") or "", sensitive=params.bool("sensitive"),
        language=params.str("language") or None, media_ids=_media_ids(params, edit=True))
    if policy := params.str("quote_approval_policy"):  # Mastodon 4.5: who may quote it from now on
        status = await quote_uc.set_policy(request.app[RUNTIME], viewer.account, status.id, policy)
    return await _respond(request, viewer.account, status)


async def delete(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    status = await status_uc.delete_status(request.app[RUNTIME], viewer.account, path_id(request))
    # With `text`, so a client can offer "delete and redraft".
    return await _respond(request, viewer.account, status, with_text=True)


async def source(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:statuses")
    async with request.app[RUNTIME].db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer.account)
    return web.json_response(status_source_entity(status))


async def context(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer)
        above = await statuses_store.ancestors(conn, status)
        below = await statuses_store.descendants(conn, status)
        # Both lists in one page's statements, the visibility rule applied to each post.
        shown = (await status_list_parts(conn, rt, viewer, above + below, context="thread")).statuses
    up = {s.id for s in above}
    body = b"".join((b'{"ancestors":[', b",".join(j for i, j in shown if i in up), b'],"descendants":[',
                     b",".join(j for i, j in shown if i not in up), b"]}"))
    # Replies the origins know and this node does not: fetched in the background, as on Mastodon,
    # so this answer is immediate and a reload a moment later shows them.
    seen = {i for i, _ in shown}
    await threads.request_replies(rt, [*(s for s in above if s.id in seen), status,
                                       *(s for s in below if s.id in seen)])
    return pagination.json_bytes(body)


async def quotes(request: web.Request) -> web.Response:
    """GET …/quotes: the accepted quotes of the viewer's own post that the viewer may see."""
    viewer = await auth.require(request, "read:statuses")
    params = await Params.read(request)
    page = pagination.page(params, default=20, maximum=40)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer.account)
        if status.account_id != viewer.account.id:
            raise Forbidden("This action is not allowed")
        ids = await quotes_store.quote_ids(conn, status.id, **page.kwargs())
        body = await status_page(conn, rt, viewer.account, ids, context="thread")
    return pagination.paged_json(request, body, ids)


async def revoke_quote(request: web.Request) -> web.Response:
    """POST …/quotes/:quoting_status_id/revoke: the author of the quoted post withdraws a quote."""
    viewer = await auth.require(request, "write:statuses")
    status = await quote_uc.revoke(request.app[RUNTIME], viewer.account, path_id(request),
                                   parse_id(request.match_info["quoting_id"]))
    return await _respond(request, viewer.account, status)


async def interaction_policy(request: web.Request) -> web.Response:
    """PUT …/interaction_policy: quote_approval_policy of one's own post."""
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    status = await quote_uc.set_policy(request.app[RUNTIME], viewer.account, path_id(request),
                                       params.str("quote_approval_policy") or "")
    return await _respond(request, viewer.account, status)


def _interaction(scope: str, action):  # noqa: ANN001, ANN202
    """POST …/favourite and friends: one social.interactions use case (which applies the visibility
    rules: 404 for a post the viewer cannot see), answered with the status."""
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        status = await action(request.app[RUNTIME], viewer.account, path_id(request))
        return await _respond(request, viewer.account, status)
    handler.__name__ = action.__name__
    return handler


async def reblog(request: web.Request) -> web.Response:
    """POST …/reblog, with Mastodon's `visibility` for the boost (public, unlisted or private)."""
    viewer = await auth.require(request, "write:statuses")
    visibility = (await Params.read(request)).str("visibility") or "public"
    if visibility not in interactions.BOOST_VISIBILITIES:
        raise Unprocessable(f"Validation failed: Visibility {visibility!r} is not one of "
                            f"{', '.join(interactions.BOOST_VISIBILITIES)}")
    boost = await interactions.reblog(request.app[RUNTIME], viewer.account, path_id(request), visibility)
    return await _respond(request, viewer.account, boost)


def _who(query):  # noqa: ANN001, ANN202
    """GET …/favourited_by and …/reblogged_by: accounts, newest first, with Link headers."""
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.optional(request, "read:accounts")
        params = await Params.read(request)
        page = pagination.page(params, default=40, maximum=MAX_ACCOUNTS_LIMIT)
        rt = request.app[RUNTIME]
        async with rt.db.read() as conn:
            status = await lookup.visible_status(conn, path_id(request), viewer)
            pairs = await query(conn, status.id, **page.kwargs())
        return pagination.paged_json(request, account_entities(rt, [a for _, a in pairs]),
                                     [cursor for cursor, _ in pairs])
    handler.__name__ = query.__name__
    return handler


ROUTES = [
    web.post("/api/v1/statuses", create),
    web.get("/api/v1/statuses", show_many),
    web.get(r"/api/v1/statuses/{id:\d+}", show),
    web.put(r"/api/v1/statuses/{id:\d+}", edit),
    web.delete(r"/api/v1/statuses/{id:\d+}", delete),
    web.get(r"/api/v1/statuses/{id:\d+}/source", source),
    web.get(r"/api/v1/statuses/{id:\d+}/context", context),
    web.post(r"/api/v1/statuses/{id:\d+}/favourite", _interaction("write:favourites", interactions.favourite)),
    web.post(r"/api/v1/statuses/{id:\d+}/unfavourite", _interaction("write:favourites", interactions.unfavourite)),
    web.post(r"/api/v1/statuses/{id:\d+}/reblog", reblog),
    web.post(r"/api/v1/statuses/{id:\d+}/unreblog", _interaction("write:statuses", interactions.unreblog)),
    web.get(r"/api/v1/statuses/{id:\d+}/favourited_by", _who(status_queries.favourited_by)),
    web.get(r"/api/v1/statuses/{id:\d+}/reblogged_by", _who(status_queries.reblogged_by)),
    web.get(r"/api/v1/statuses/{id:\d+}/quotes", quotes),
    web.post(r"/api/v1/statuses/{id:\d+}/quotes/{quoting_id:\d+}/revoke", revoke_quote),
    web.put(r"/api/v1/statuses/{id:\d+}/interaction_policy", interaction_policy),
]
