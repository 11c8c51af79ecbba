"""ActivityPub GET routes: actors, outboxes, collections and objects, with content negotiation.

Unsigned fetches get public and unlisted posts only. A followers-only or direct post is served to a
signed fetch from an actor who may see it (authorised fetch); a local-only post never leaves the
node. With authorized_fetch (secure mode) everything but actor documents needs a signature, and a
signed fetch from a domain the node does not federate with is refused.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace

from aiohttp import web
from sqlalchemy import func, select

from backchannel.keys import RUNTIME
from federation import as2, integrity
from federation.authenticate import is_signed, signer_of
from federation.httpsig import SignatureError
from federation.context import AS_CONTEXT
from federation.urls import ROUTES
from models import accounts, collections, groups, quotes, social, statuses
from models.accounts import Account
from models.schema import statuses as statuses_table
from federation.notes import decorate_notes

routes = web.RouteTableDef()
AP_JSON = "application/activity+json"
PAGE_SIZE = 20


def wants_activitypub(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/activity+json" in accept or "application/ld+json" in accept


def ap_response(doc: dict) -> web.Response:
    return web.json_response(doc, content_type=AP_JSON, dumps=as2.dumps,
                             headers={"Vary": "Accept"})


def not_found() -> web.Response:
    return web.json_response({"error": "Record not found"}, status=404)


def _json_error(cls, message: str) -> web.HTTPException:  # noqa: ANN001
    return cls(text=json.dumps({"error": message}), content_type="application/json")


async def fetcher(request: web.Request, *, required: bool) -> Account | None:
    """The remote actor behind a signed GET, None for an unsigned one (401 when one is required)."""
    rt = request.app[RUNTIME]
    if not is_signed(request.headers):
        if required or rt.config.authorized_fetch:
            raise _json_error(web.HTTPUnauthorized, "this node requires signed fetches")
        return None
    try:
        signer = await signer_of(rt, "GET", request.path_qs, request.headers, None)
    except SignatureError as err:
        raise _json_error(web.HTTPUnauthorized, f"signature refused: {err}") from None
    if not await rt.policy.allows(signer.domain):
        raise _json_error(web.HTTPForbidden, "this node does not federate with your server")
    return signer


async def _local_account(request: web.Request):  # noqa: ANN202
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
    if account is None or account.suspended_at is not None:
        raise web.HTTPNotFound(text='{"error": "Record not found"}', content_type="application/json")
    return account


@routes.get(ROUTES.actor.path)
async def actor(request: web.Request) -> web.StreamResponse:
    account = await _local_account(request)
    if is_signed(request.headers):
        await fetcher(request, required=False)  # refuses blocked servers; keys stay discoverable unsigned
    if not wants_activitypub(request):
        raise web.HTTPFound(account.url or "/")
    rt = request.app[RUNTIME]
    return ap_response(as2.actor_document(account, rt.urls,
                                          assertion_key=integrity.multikey(rt.session_secret, account.uri)))


async def _instance_account(request: web.Request) -> Account:
    """The node's own actor, with the collections every actor serves (its row has none stored)."""
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.get(conn, rt.instance_account_id or 0)
    if account is None:
        raise _json_error(web.HTTPNotFound, "Record not found")
    return replace(account, **rt.urls.instance_collections())


@routes.get(ROUTES.instance_actor.path)
async def instance_actor(request: web.Request) -> web.Response:
    account = await _instance_account(request)
    return ap_response(as2.actor_document(account, request.app[RUNTIME].urls))


def _collection(collection_id: str, total: int, ordered: bool = True) -> dict:
    kind = "OrderedCollection" if ordered else "Collection"
    doc = {"@context": AS_CONTEXT, "id": collection_id, "type": kind, "totalItems": total}
    if total:
        doc["first"] = f"{collection_id}?page=1"
    return doc


def _page(collection_id: str, page: int, items: list, has_next: bool) -> dict:
    doc = {"@context": AS_CONTEXT, "id": f"{collection_id}?page={page}", "type": "OrderedCollectionPage",
           "partOf": collection_id, "orderedItems": items}
    if has_next:
        doc["next"] = f"{collection_id}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{collection_id}?page={page - 1}"
    return doc


def _page_number(request: web.Request) -> int | None:
    raw = request.query.get("page")
    if raw is None:
        return None
    try:
        return max(1, min(int(raw), 10_000))
    except ValueError:
        return 1


async def _owner(request: web.Request) -> Account:
    """Whose collection this is: a person's (`/users/{username}/…`) or the instance actor's (`/actor/…`)."""
    return await (_local_account(request) if "username" in request.match_info else _instance_account(request))


@routes.get(ROUTES.outbox.path)
@routes.get(ROUTES.instance_outbox.path)
async def outbox(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    account = await _owner(request)
    await fetcher(request, required=False)
    page = _page_number(request)
    public = (statuses_table.c.account_id == account.id, statuses.LIVE,
              statuses_table.c.visibility.in_(statuses.PUBLIC_VISIBILITIES))
    async with rt.db.read() as conn:
        if page is None:
            total = (await conn.execute(select(func.count()).select_from(statuses_table).where(*public))).scalar_one()
            return ap_response(_collection(account.outbox_url or "", total))
        rows = (await conn.execute(select(statuses_table).where(*public).order_by(statuses_table.c.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))).all()
        items = await _activities_of(conn, rt, [statuses.Status.from_row(row) for row in rows[:PAGE_SIZE]],
                                     account)
    return ap_response(_page(account.outbox_url or "", page, items, len(rows) > PAGE_SIZE))


async def _activities_of(conn, rt, items: list[statuses.Status], author: Account) -> list[dict]:  # noqa: ANN001
    """The activities of a page of one author's statuses (a Create per post, an Announce per
    boost), in a fixed number of statements whatever the page's length."""
    originals = await statuses.get_many(conn, [s.reblog_of_id for s in items if s.reblog_of_id])
    original_authors = await accounts.get_many(conn, [o.account_id for o in originals.values()])
    notes = await _notes_of(conn, rt, [s for s in items if not s.reblog_of_id], author)
    out = []
    for status in items:
        if status.reblog_of_id:
            original = originals.get(status.reblog_of_id)
            original_author = original_authors.get(original.account_id) if original else None
            out.append(as2.strip_context(as2.announce(status, author, original.uri if original else None,
                                                      original_author.uri if original_author else None)))
        else:
            out.append(as2.strip_context(as2.wrap_note(
                "Create", notes[status.id], rt.urls.status_activity(author.username, status.id))))
    return out


async def _notes_of(conn, rt, items: list[statuses.Status], author: Account) -> dict[int, dict]:  # noqa: ANN001
    """The Notes (or Questions) of one author's statuses, by status id, in a fixed number of statements."""
    ids = [s.id for s in items]
    mentions = await statuses.mentions_of(conn, ids)
    mentioned = await accounts.get_many(conn, [a for found in mentions.values() for a in found])
    tags = await statuses.tags_of(conn, ids)
    notes = {s.id: as2.note_object(s, author, rt.urls, tags=tags.get(s.id, []), in_reply_to_uri=s.in_reply_to_uri,
                                   mentioned=[mentioned[a] for a in mentions.get(s.id, []) if a in mentioned])
             for s in items}
    return await decorate_notes(conn, rt, notes)  # attachments, and a poll as a Question


@routes.get(ROUTES.followers.path)
@routes.get(ROUTES.instance_followers.path)
async def followers(request: web.Request) -> web.Response:
    return await _follow_collection(request, await _owner(request), followers=True)


@routes.get(ROUTES.following.path)
@routes.get(ROUTES.instance_following.path)
async def following(request: web.Request) -> web.Response:
    return await _follow_collection(request, await _owner(request), followers=False)


async def _follow_collection(request: web.Request, account: Account, *, followers: bool) -> web.Response:
    rt = request.app[RUNTIME]
    await fetcher(request, required=False)
    collection_id = account.followers_url if followers else account.following_url
    page = _page_number(request)
    async with rt.db.read() as conn:
        total = await social.count_follows(conn, account.id, followers=followers)
        if page is None:
            return ap_response(_collection(collection_id or "", total))
        pairs = await social.follow_page(conn, account.id, followers=followers, limit=PAGE_SIZE * page)
        items = [a.uri for _, a in pairs[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    has_next = page < math.ceil(total / PAGE_SIZE)
    return ap_response(_page(collection_id or "", page, items, has_next))


@routes.get(ROUTES.featured.path)
@routes.get(ROUTES.instance_featured.path)
async def featured(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    account = await _owner(request)
    await fetcher(request, required=False)
    async with rt.db.read() as conn:
        pinned = await collections.pinned_of(conn, account.id)
        found = await statuses.get_many(conn, pinned)
        shown = [found[i] for i in pinned if i in found and found[i].visibility in statuses.PUBLIC_VISIBILITIES]
        notes = await _notes_of(conn, rt, shown, account)
    items = [notes[s.id] for s in shown]
    return ap_response({"@context": AS_CONTEXT, "id": account.featured_url, "type": "OrderedCollection",
                        "totalItems": len(items), "orderedItems": items})


@routes.get(ROUTES.moderators.path)
async def moderators(request: web.Request) -> web.Response:
    """A group's moderators (FEP-1b12: its `attributedTo`), as Lemmy reads them."""
    rt = request.app[RUNTIME]
    account = await _local_account(request)
    await fetcher(request, required=False)
    async with rt.db.read() as conn:
        group = await groups.get(conn, account.id)
        found = await accounts.get_many(conn, list(group.moderator_ids)) if group else {}
    if group is None:
        raise _json_error(web.HTTPNotFound, "Record not found")
    items = [found[i].uri for i in group.moderator_ids if i in found]
    return ap_response({"@context": AS_CONTEXT, "id": rt.urls.moderators(account.username),
                        "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items})


async def _public_status(request: web.Request):  # noqa: ANN202
    """The status at this URL if the requester may see it. What it may not see is 404, exactly as
    if it did not exist, so a fetch cannot even learn that a private post is there."""
    rt = request.app[RUNTIME]
    account = await _local_account(request)
    viewer = await fetcher(request, required=False)
    try:
        status_id = int(request.match_info["status_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    async with rt.db.read() as conn:
        status = await statuses.get(conn, status_id)
        visible = status is not None and status.account_id == account.id and (
            status.visibility in statuses.PUBLIC_VISIBILITIES
            or (viewer is not None and await statuses.can_see(conn, status, viewer.id, False)))
    if not visible:
        raise _json_error(web.HTTPNotFound, "Record not found")
    return rt, account, status


@routes.get(ROUTES.status.path)
async def status_object(request: web.Request) -> web.StreamResponse:
    rt, account, status = await _public_status(request)
    if not wants_activitypub(request):
        raise web.HTTPFound(status.url or "/")
    async with rt.db.read() as conn:
        if status.reblog_of_id:
            [boost] = await _activities_of(conn, rt, [status], account)
            return ap_response(as2.with_context(boost))
        notes = await _notes_of(conn, rt, [status], account)
        return ap_response(as2.with_context(notes[status.id]))


@routes.get(ROUTES.status_activity.path)
async def status_activity(request: web.Request) -> web.Response:
    rt, account, status = await _public_status(request)
    async with rt.db.read() as conn:
        [activity] = await _activities_of(conn, rt, [status], account)
    return ap_response(as2.with_context(activity))


@routes.get(ROUTES.quote_authorization.path)
async def quote_authorization(request: web.Request) -> web.Response:
    """A QuoteAuthorization the quoted author issued (FEP-044f), served to whoever may see the quoted
    post (only public and unlisted posts are quoted by others); a revoked one is gone."""
    rt = request.app[RUNTIME]
    account = await _local_account(request)
    async with rt.db.read() as conn:
        issued = await quotes.authorization(conn, int(request.match_info["id"]))
        quoted = await statuses.get(conn, issued.status_id) if issued else None
    if (issued is None or issued.revoked_at is not None or issued.account_id != account.id or quoted is None
            or quoted.visibility not in statuses.PUBLIC_VISIBILITIES):
        raise _json_error(web.HTTPNotFound, "Record not found")
    return ap_response(as2.quote_authorization(rt.urls.quote_authorization(account.username, issued.id),
                                               account.uri, issued.quoting_uri, quoted.uri))


REPLIES_PAGE = 60  # as Mastodon


@routes.get(ROUTES.status_replies.path)
async def status_replies(request: web.Request) -> web.Response:
    """A status's replies, for servers walking the thread (GoToSocial, Mastodon): the collection,
    whose `first` page lists reply ids oldest first, each page linking the `next` by the last id.
    Unlike Mastodon, which lists the author's own replies first and then others' on further pages,
    one sequence holds every public or unlisted reply by any account that is not suspended: the
    same replies, in one walk, whatever the order of the visit."""
    rt, account, status = await _public_status(request)
    if "min_id" in request.query and "page" not in request.query:
        raise _json_error(web.HTTPBadRequest, "min_id pages the replies: ask for page=true")
    after = request.query.get("min_id")
    if after is not None and not (after.isdigit() and len(after) <= 19):
        raise _json_error(web.HTTPBadRequest, "min_id must be a status id")
    async with rt.db.read() as conn:
        found = await statuses.public_replies(conn, status.id, after_id=int(after) if after else None,
                                              limit=REPLIES_PAGE + 1)
    replies_id = rt.urls.status_replies(account.username, status.id)
    shown = found[:REPLIES_PAGE]
    page = {"id": rt.urls.status_replies_page(account.username, status.id, int(after) if after else None),
            "type": "CollectionPage", "partOf": replies_id, "items": [uri for _, uri in shown]}
    if len(found) > REPLIES_PAGE:
        page["next"] = rt.urls.status_replies_page(account.username, status.id, shown[-1][0])
    if "page" in request.query:
        return ap_response({"@context": AS_CONTEXT, **page})
    return ap_response({"@context": AS_CONTEXT, "id": replies_id, "type": "Collection", "first": page})
