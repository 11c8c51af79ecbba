"""The signed-in web: sign in and out, the home and local timelines, composing (content warning,
visibility, an image with its description, a poll), replying, boosting, favouriting, bookmarking,
voting, notifications, search, following (a remote account too, through WebFinger) and follow
requests. Every form works without JavaScript; static/web.js posts without a reload and adds new
posts live from the streaming API.

Handlers read through the same queries as the client API and act through the same social/
functions; none writes a table."""
from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from backchannel.keys import RUNTIME
from federation import deref
from federation.runtime import Runtime
from federation.urls import ROUTES
from models import collections, social, status_queries, tag_queries
from models import accounts as accounts_store
from models import profile as profile_store
from models import statuses as statuses_store
from models.accounts import Account
from models.statuses import VISIBILITIES
from pages import cards, session
from pages.templating import path, render
from social import collections as collections_uc
from social import follows, interactions, polls, remote
from social import media as media_uc
from social import profile as profile_uc
from social import quotes as quotes_uc
from social import sign_in as sign_in_uc
from social import statuses as statuses_uc
from social.errors import NotFound, ServiceError, Unprocessable
from social.polls import PollRequest
from webfinger import client as webfinger

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
PAGE_SIZE = 20
NO_STORE = {"Cache-Control": "no-store"}
FETCH_HEADER = "X-Backchannel-Fetch"  # static/web.js asks for the card of what it posted
POLL_DURATIONS = ((300, "5 minutes"), (3600, "1 hour"), (86400, "1 day"), (604800, "7 days"))


def page(request: web.Request, template: str, title: str, status: int = 200, **context: object) -> web.Response:
    person = context.pop("person", None) or request.get(session.PERSON)
    return render(request, template, {"title": title, "person": person,
                                      "csrf": person.csrf if person else "", **context},
                  status=status, headers=NO_STORE)


def max_id(request: web.Request) -> int | None:
    raw = request.query.get("max_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise web.HTTPBadRequest(text="max_id must be a status id")
    return int(raw)


def back(form, default: str) -> str:  # noqa: ANN001
    """Where a form sends the browser afterwards: a path on this node, never another site."""
    target = str(form.get("next") or "")
    parts = urlsplit(target)
    return target if target.startswith("/") and not target.startswith("//") and not parts.netloc else default


def problem(request: web.Request, err: ServiceError) -> web.Response:
    if request.headers.get(FETCH_HEADER):
        return web.Response(text=err.message, status=err.status)
    return page(request, "page.html", "Something went wrong", err.status, error=err.message)


# --- Sign in and out ----------------------------------------------------------------------------

@routes.get(ROUTES.web_sign_in.path)
async def sign_in_form(request: web.Request) -> web.Response:
    if await session.current(request):
        raise web.HTTPSeeOther(path("web_home"))
    return page(request, "web/sign_in.html", "Sign in", next=back(request.query, ""), hide_sign_in=True)


@routes.post(ROUTES.web_sign_in.path)
async def sign_in(request: web.Request) -> web.Response:
    # No CSRF token: there is no session to protect yet, and SameSite=Lax keeps other sites' posts
    # from carrying one.
    rt = request.app[RUNTIME]
    form = await request.post()
    login = str(form.get("login") or "")
    if rt.config.sso_only:
        return page(request, "web/sign_in.html", "Sign in", 403, hide_sign_in=True,
                    error=f"Password sign-in is turned off: sign in with {rt.config.oidc_name}.")
    signed = await sign_in_uc.check(rt, login, str(form.get("password") or ""), str(form.get("otp") or ""))
    if signed.user is None:
        return page(request, "web/sign_in.html", "Sign in", 401, error=signed.problem, hide_sign_in=True,
                    code_needed=signed.code_needed, login=login, next=back(form, ""))
    response = web.HTTPSeeOther(back(form, path("web_home")), headers=NO_STORE)
    await session.start(rt, response, signed.user.id)
    raise response


@routes.post(ROUTES.web_sign_out.path)
async def sign_out(request: web.Request) -> web.Response:
    person = await session.require(request)
    await session.form(request, person)
    response = web.HTTPSeeOther(path("home"), headers=NO_STORE)
    await session.end(request, response)
    raise response


# --- Timelines ----------------------------------------------------------------------------------

async def _timeline(request: web.Request, person: session.Person, title: str, read_ids, *,  # noqa: ANN001
                    stream: str) -> web.Response:
    """A timeline's page: `read_ids(conn)` gives its ids and the accounts whose posts are left out,
    read with the cards and the posting defaults in one transaction."""
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        ids, skip = await read_ids(conn)
        found = await cards.cards_of_ids(conn, rt, person.account, ids)
        prefs = profile_uc.settled_defaults(await profile_store.settings(conn, person.account.id))
    found = [c for c in found if (c.booster or c.author).id not in skip]
    return page(request, "web/timeline.html", title, person=person, cards=found, ids=ids, limit=PAGE_SIZE,
                stream=stream, compose=True, durations=POLL_DURATIONS, prefs=prefs)


@routes.get(ROUTES.web_home.path)
async def home(request: web.Request) -> web.Response:
    person = await session.require(request)

    async def read_ids(conn):  # noqa: ANN001, ANN202
        ids = await statuses_store.home_ids(conn, person.account.id, max_id=max_id(request), limit=PAGE_SIZE)
        # Members of exclusive lists are read in those lists only, as on the API's home timeline.
        return ids, await collections.exclusive_member_ids(conn, person.account.id)
    return await _timeline(request, person, "Home", read_ids, stream="user")


@routes.get(ROUTES.web_local.path)
async def local(request: web.Request) -> web.Response:
    person = await session.require(request)

    async def read_ids(conn):  # noqa: ANN001, ANN202
        return await statuses_store.public_ids(conn, local=True, viewer_is_local=True, max_id=max_id(request),
                                               limit=PAGE_SIZE), frozenset()
    return await _timeline(request, person, "This node", read_ids, stream="public:local")


# --- Composing and acting on posts --------------------------------------------------------------

def _poll(form) -> PollRequest | None:  # noqa: ANN001
    options = [str(o).strip() for o in form.getall("poll_option", []) if str(o).strip()]
    if not options:
        return None
    try:
        expires_in = int(str(form.get("poll_expires_in") or "86400"))
    except ValueError:
        raise Unprocessable("Choose how long the poll runs.") from None
    return PollRequest(options=options, expires_in=expires_in, multiple=form.get("poll_multiple") == "1")


async def _upload(rt: Runtime, account: Account, form) -> list[int]:  # noqa: ANN001
    upload = form.get("media")
    if not isinstance(upload, web.FileField):
        return []
    raw = upload.file.read(rt.config.max_media_bytes + 1)
    if not raw:
        return []
    media = await media_uc.upload(rt, account, raw, description=str(form.get("description") or "") or None)
    return [media.id]


@routes.post(ROUTES.web_compose.path)
async def compose(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    visibility = str(form.get("visibility") or "public")
    reply_to = str(form.get("in_reply_to_id") or "")
    quoted = str(form.get("quoted_status_id") or "")
    try:
        if visibility not in VISIBILITIES:
            raise Unprocessable("Choose who may see the post.")
        poll = _poll(form)
        media_ids = await _upload(rt, person.account, form)
        prefs = await profile_uc.posting_defaults(rt, person.account.id)  # the language, as the API's
        status = await statuses_uc.post_status(
            rt, person.account, text=str(form.get("status") or ""), visibility=visibility,
            spoiler_text=str(form.get("spoiler_text") or "").strip(), media_ids=media_ids, poll=poll,
            in_reply_to_id=int(reply_to) if reply_to.isdigit() else None,
            quoted_status_id=int(quoted) if quoted.isdigit() else None,
            sensitive=form.get("sensitive") == "1", language=prefs.language)
    except ServiceError as err:
        return problem(request, err)
    if status.quote_of_id is not None and not request.headers.get(FETCH_HEADER):
        raise web.HTTPSeeOther(path("web_status", status_id=status.id))  # the quote, with what it quotes
    return await _after(request, person, form, status.id)


async def _after(request: web.Request, person: session.Person, form, status_id: int) -> web.Response:  # noqa: ANN001
    """static/web.js gets the post's new card; a browser without it goes back where it was."""
    if request.headers.get(FETCH_HEADER):
        return await _card_response(request, person, status_id)
    raise web.HTTPSeeOther(back(form, path("web_home")))


ACTIONS = {
    "favourite": interactions.favourite, "unfavourite": interactions.unfavourite,
    "reblog": interactions.reblog, "unreblog": interactions.unreblog,
    "bookmark": collections_uc.bookmark, "unbookmark": collections_uc.unbookmark,
    "delete": statuses_uc.delete_status,
}


@routes.post(ROUTES.web_status_action.path)
async def status_action(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    status_id = int(request.match_info["status_id"])
    action = request.match_info["action"]
    try:
        await ACTIONS[action](request.app[RUNTIME], person.account, status_id)
    except ServiceError as err:
        return problem(request, err)
    if action == "delete":
        raise web.HTTPSeeOther(path("web_home"))
    return await _after(request, person, form, status_id)


@routes.post(ROUTES.web_vote.path)
async def vote(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    try:
        poll = await polls.vote(request.app[RUNTIME], person.account, int(request.match_info["poll_id"]),
                                [str(c) for c in form.getall("choice", [])])
    except ServiceError as err:
        return problem(request, err)
    return await _after(request, person, form, poll.status_id)


async def _card_response(request: web.Request, person: session.Person | None, status_id: int) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await cards.cards_of_ids(conn, rt, person.account if person else None, [status_id])
    if not found:
        raise web.HTTPNotFound()
    return page(request, "web/card.html", "Post", card=found[0], next=path("web_home"))


@routes.get(ROUTES.web_card.path)
async def card(request: web.Request) -> web.Response:
    """One post's card, as static/web.js adds it to a timeline when the stream announces it."""
    person = await session.require(request)
    return await _card_response(request, person, int(request.match_info["status_id"]))


async def thread(conn, rt: Runtime, viewer: Account | None, status_id: int):  # noqa: ANN001, ANN201
    """A status the viewer may see with the whole thread around it: (ancestors, the card, replies)."""
    status = await statuses_store.get(conn, status_id)
    if status is None or status.reblog_of_id or not await statuses_store.can_see(
            conn, status, viewer.id if viewer else None, bool(viewer and viewer.local)):
        raise web.HTTPNotFound()
    before = await statuses_store.ancestors(conn, status)
    after = await statuses_store.descendants(conn, status)
    shown = await cards.cards_of(conn, rt, viewer, before + [status] + after)
    main = next((c for c in shown if c.status.id == status.id), None)
    if main is None:
        raise web.HTTPNotFound()
    return ([c for c in shown if c.status.id in {s.id for s in before}], main,
            [c for c in shown if c.status.id in {s.id for s in after}])


@routes.get(ROUTES.web_status.path)
async def status_page(request: web.Request) -> web.Response:
    """A post with its thread, and a reply form, for the signed-in person (any post they may see,
    from any node)."""
    person = await session.require(request)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        before, main, after = await thread(conn, rt, person.account, int(request.match_info["status_id"]))
        may_quote = main.quotable and await quotes_uc.approval(conn, person.account, main.status) != "denied"
    return page(request, "web/thread.html", "Post", person=person, before=before, main=main, after=after,
                durations=POLL_DURATIONS, may_quote=may_quote)


# --- Notifications ------------------------------------------------------------------------------

@routes.get(ROUTES.web_notifications.path)
async def notifications_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        rows = await social.notification_page(conn, person.account.id, max_id=max_id(request), limit=PAGE_SIZE)
        people = await accounts_store.get_many(conn, {r.from_account_id for r in rows})
        status_ids = list(dict.fromkeys(r.status_id for r in rows if r.status_id))
        by_status = {c.status.id: c for c in await cards.cards_of_ids(conn, rt, person.account, status_ids)}
    items = [{"row": r, "who": people[r.from_account_id], "card": by_status.get(r.status_id)}
             for r in rows if r.from_account_id in people and (r.status_id is None or r.status_id in by_status)]
    return page(request, "web/notifications.html", "Notifications", person=person, items=items,
                ids=[r.id for r in rows], limit=PAGE_SIZE)


# --- Search and following -----------------------------------------------------------------------

async def _quietly(pending):  # noqa: ANN001, ANN202
    """A remote lookup that fails is a search without that result, not an error."""
    try:
        return await pending
    except (ServiceError, aiohttp.ClientError, asyncio.TimeoutError) as err:
        log.info("web lookup failed: %s", err)
        return None


async def find_account(rt: Runtime, text: str) -> Account | None:
    """`bob`, `@bob@globex.example` or a profile URL: known here, or looked up through WebFinger
    (or fetched, for a URL) before anything is written."""
    text = text.strip()
    if text.startswith(("https://", "http://")):
        async with rt.db.read() as conn:
            found = await accounts_store.by_uri(conn, text)
        return found or await _quietly(deref.get_actor(rt, text))
    username, _, domain = text.lstrip("@").partition("@")
    domain = domain.lower() or None
    if domain in (rt.config.domain.lower(), rt.config.host.lower()):
        domain = None
    if not username:
        return None
    async with rt.db.read() as conn:
        found = await accounts_store.by_acct(conn, username, domain)
    if found is None and domain:
        found = await _quietly(webfinger.resolve_account(rt, f"{username}@{domain}"))
    return found if found and found.suspended_at is None else None


@routes.get(ROUTES.web_search.path)
async def search(request: web.Request) -> web.Response:
    person = await session.require(request)
    rt = request.app[RUNTIME]
    q = request.query.get("q", "").strip()[:200]
    people: list[Account] = []
    tags: list[str] = []
    if q:
        exact = await find_account(rt, q) if "@" in q.lstrip("@") or q.startswith("http") else None
        async with rt.db.read() as conn:
            matches = await accounts_store.search(conn, q, 20)
            tags = await tag_queries.search_tags(conn, q.lstrip("#"), 10)
        people = ([exact] if exact else []) + [a for a in matches if not exact or a.id != exact.id]
        people = [a for a in people if a.suspended_at is None and a.uri != rt.urls.actor_instance()]
    return page(request, "web/search.html", "Search", person=person, q=q, people=people[:20], tags=tags)


@routes.post(ROUTES.web_follow.path)
async def follow_by_acct(request: web.Request) -> web.Response:
    """Follow someone by their address (`bob@globex.example`), here or on another node."""
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    target = await find_account(rt, str(form.get("acct") or ""))
    if target is None:
        return problem(request, NotFound("Nobody by that address could be found."))
    try:
        await follows.follow(rt, person.account, target.id)
    except ServiceError as err:
        return problem(request, err)
    async with rt.db.read() as conn:
        relation = await social.relationship(conn, person.account.id, target.id)
    done = "Follow request sent to" if relation.get("requested") else "You now follow"
    return page(request, "page.html", "Following", message=f"{done} @{target.full_acct(rt.config.domain)}.",
                back=back(form, path("web_home")))


ACCOUNT_ACTIONS = {"follow": follows.follow, "unfollow": follows.unfollow,
                   "authorize": follows.authorize_follow_request, "reject": follows.reject_follow_request}


@routes.post(ROUTES.web_account_action.path)
async def account_action(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    try:
        await ACCOUNT_ACTIONS[request.match_info["action"]](request.app[RUNTIME], person.account,
                                                            int(request.match_info["id"]))
    except ServiceError as err:
        return problem(request, err)
    raise web.HTTPSeeOther(back(form, path("web_home")))


@routes.get(ROUTES.web_follow_requests.path)
async def follow_requests(request: web.Request) -> web.Response:
    person = await session.require(request)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        pairs = await social.follow_page(conn, person.account.id, followers=True, state="pending", limit=80)
    return page(request, "web/follow_requests.html", "Follow requests", person=person,
                people=[a for _, a in pairs])


# --- Remote interaction -------------------------------------------------------------------------

@routes.get(ROUTES.authorize_interaction.path)
async def authorize_interaction(request: web.Request) -> web.Response:
    """Where another node's remote-follow button sends its visitor (`?uri=` an actor or a post), and
    what our WebFinger answer names as the subscribe template: sign in, then follow or reply."""
    person = await session.require(request)
    rt = request.app[RUNTIME]
    uri = request.query.get("uri", "").strip().removeprefix("acct:")
    if not uri:
        return problem(request, Unprocessable("Nothing to interact with: the link has no uri."))
    target = await find_account(rt, uri)
    if target is not None:
        async with rt.db.read() as conn:
            relation = await social.relationship(conn, person.account.id, target.id)
        return page(request, "web/interact.html", "Follow", person=person, target=target, relation=relation,
                    acct=target.full_acct(rt.config.domain))
    status = None
    if uri.startswith(("https://", "http://")):
        async with rt.db.read() as conn:
            status = await status_queries.status_by_url(conn, uri) or await statuses_store.by_uri(conn, uri)
        status = status or await _quietly(remote.fetch_status(rt, uri))
    if status is None:
        return problem(request, NotFound("Nothing could be found at that address."))
    raise web.HTTPSeeOther(path("web_status", status_id=status.id))
