"""Search: /api/v2/search, and the account search shared with /api/v1/accounts/search.

Local lookups first; with resolve=true (signed-in callers only) an unknown user@host is found
through WebFinger and an unknown URL is fetched. Network calls happen outside database connections.
Anything else is a full-text search (models.search): statuses for signed-in people, with Mastodon's
operators; accounts ranked by name and by how they talk about the words (models.experts).
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from api import auth
from api.params import Params
from api.entities.accounts import account_entities
from api.entities.statuses import status_entities
from api.entities.tags import tag_entity
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation import deref
from federation.deref import local_origin
from federation.hosts import HostError, canonical_host
from models import account_queries, experts as experts_store, search as search_store, status_queries, tag_queries
from models import accounts as accounts_store
from models import statuses as statuses_store
from models.accounts import Account
from models.search_index import words
from models.search_query import QueryError, parse
from models.statuses import Status
from social import remote
from social.errors import ServiceError, Unprocessable
from webfinger import client as webfinger

log = logging.getLogger(__name__)

TYPES = ("accounts", "statuses", "hashtags")


def split_acct(text: str, rt: Runtime) -> tuple[str, str | None]:
    """`alice`, `@alice@acme.test`, `guru@globex.test` → (username, domain or None for this node)."""
    username, _, domain = text.strip().lstrip("@").partition("@")
    domain = domain.strip().lower() or None
    # Any spelling of this node (`ACME.test.`, `acme.test:443`) is this node, as federation.hosts says.
    if domain and (domain == rt.config.host.lower() or _origin(domain, rt.config.scheme) == local_origin(rt)):
        domain = None
    return username.strip(), domain


def _origin(domain: str, scheme: str) -> str:
    try:
        return str(canonical_host(domain, scheme=scheme))
    except HostError:
        return ""


def is_url(text: str) -> bool:
    return text.startswith(("https://", "http://")) and " " not in text


async def accounts(rt: Runtime, q: str, *, limit: int, resolve: bool, offset: int = 0,
                   viewer: Account | None = None, topic: bool = False) -> list[Account]:
    """Accounts for `q`: by URL or user@host, then by name; with `topic`, also everyone who talks
    about the words (bio, posts), ranked by models.experts, after exact name matches."""
    q = q.strip()
    if not q:
        return []
    if is_url(q):
        found = await _account_by_url(rt, q, resolve=resolve)
        return [found] if found and offset == 0 else []
    exact = None
    username, domain = split_acct(q, rt)
    if domain and resolve and offset == 0:
        async with rt.db.read() as conn:
            exact = await accounts_store.by_acct(conn, username, domain)
        if exact is None:
            exact = await _quietly(webfinger.resolve_account(rt, f"{username}@{domain}"))
    topic_words = words(q) if topic and not domain else []
    async with rt.db.read(slow=bool(topic_words)) as conn:
        # `alice@<this node>` is looked up as `alice`: local accounts have no domain to match.
        matches = await accounts_store.search(conn, q if domain else username, limit + offset)
        experts = await experts_store.rank(conn, topic_words, viewer.id if viewer else None, limit=limit + offset)
        talkers = await accounts_store.get_many(conn, [e.account_id for e in experts])
    named = [a for a in matches if a.username.lower() == username.lower()]
    ordered = ([exact] if exact else []) + named + [talkers[e.account_id] for e in experts if e.account_id in talkers]
    ordered += matches
    ordered = list({a.id: a for a in reversed(ordered)}.values())[::-1]  # each once, at its first place
    # The node's own actor is an account too, but nobody to follow or mention.
    ordered = [a for a in ordered if a.suspended_at is None and a.uri != rt.urls.actor_instance()]
    return ordered[offset:offset + limit]


async def _account_by_url(rt: Runtime, url: str, *, resolve: bool) -> Account | None:
    async with rt.db.read() as conn:
        found = await account_queries.account_by_url(conn, url)
    if found is None and resolve:
        found = await _quietly(deref.get_actor(rt, url))
    return found if found and found.suspended_at is None else None


async def statuses(rt: Runtime, q: str, viewer: Account | None, *, resolve: bool, limit: int = 20,
                   offset: int = 0, **narrow) -> list[Status]:
    """A post by its URL (fetched with `resolve`), or the posts a signed-in person finds by words
    and operators (models.search), best first."""
    q = q.strip()
    if not is_url(q):
        return await _full_text(rt, q, viewer, limit=limit, offset=offset, **narrow)
    if offset:
        return []
    async with rt.db.read() as conn:
        found = await status_queries.status_by_url(conn, q)
    if found is None and resolve:
        found = await _quietly(remote.fetch_status(rt, q))
    if found is None:
        return []
    async with rt.db.read() as conn:
        return [found] if found.id in await status_queries.visible_ids(conn, [found.id], viewer) else []


async def _full_text(rt: Runtime, q: str, viewer: Account | None, *, limit: int, offset: int,
                     **narrow) -> list[Status]:
    if viewer is None:  # as Mastodon: full-text search of posts is for signed-in people
        return []
    try:
        query = parse(q)
    except QueryError as err:
        raise Unprocessable(f"Validation failed: {err}") from None
    query.authors = [_local_or_remote(a, rt) for a in query.authors]
    query.not_authors = [_local_or_remote(a, rt) for a in query.not_authors]
    async with rt.db.read(slow=True) as conn:
        ids = await search_store.search_statuses(conn, query, viewer.id, limit=limit, offset=offset, **narrow)
        found = await statuses_store.get_many(conn, ids)
    return [found[i] for i in ids if i in found]


def _local_or_remote(acct: str, rt: Runtime) -> str:
    """A from: value as models.search wants it: `me`, `alice` here, `bob@globex.test` elsewhere."""
    if acct == "me":
        return acct
    username, domain = split_acct(acct, rt)
    return f"{username}@{domain}".lower() if domain else username.lower()


async def _quietly(pending):  # noqa: ANN001, ANN202
    """A remote lookup that fails is a search without that result, not an error."""
    try:
        return await pending
    except (ServiceError, aiohttp.ClientError, asyncio.TimeoutError) as err:
        log.info("search lookup failed: %s", err)
        return None


async def search_v2(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:search")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    q = params.str("q") or ""
    kind = params.str("type")
    limit = params.int("limit", 20, lo=1, hi=40)
    offset = params.int("offset", 0, lo=0) if viewer else 0
    resolve = params.bool("resolve") and viewer is not None  # fetching for strangers invites abuse
    body: dict[str, list] = {name: [] for name in TYPES}
    if kind is not None and kind not in TYPES:
        raise Unprocessable("Validation failed: type must be accounts, statuses or hashtags")
    if kind in (None, "accounts"):
        found = await accounts(rt, q, limit=limit, resolve=resolve, offset=offset,  # type: ignore[arg-type]
                               viewer=viewer, topic=True)
        body["accounts"] = account_entities(rt, found)
    if kind in (None, "statuses"):
        found_statuses = await statuses(rt, q, viewer, resolve=resolve, limit=limit, offset=offset,  # type: ignore[arg-type]
                                        account_id=params.int("account_id", None, lo=0),
                                        max_id=params.int("max_id", None, lo=0),
                                        min_id=params.int("min_id", None, lo=0))
        async with rt.db.read() as conn:
            body["statuses"] = await status_entities(conn, rt, viewer, found_statuses, context=None)
    if kind in (None, "hashtags") and not is_url(q.strip()):
        async with rt.db.read() as conn:
            names = await tag_queries.search_tags(conn, q, limit + offset)  # type: ignore[operator]
        body["hashtags"] = [tag_entity(rt, viewer, n) for n in names[offset:]]
    return web.json_response(body)


ROUTES = [web.get("/api/v2/search", search_v2)]
