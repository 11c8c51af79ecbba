"""Dereferencing: fetching remote actors, keys and objects, checking where they really came from,
and caching actors in the accounts table."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urldefrag

from federation.runtime import Runtime
from federation.as2 import InvalidDocument, actor_values, host_of, object_id
from federation.hosts import canonical_host
from federation.http import FetchError
from models import accounts
from models.accounts import Account

log = logging.getLogger(__name__)

ACTOR_TTL = 24 * 3600.0


class OriginMismatch(FetchError):
    """A fetched document claims an id on another host than the URL it was fetched from."""


def local_origin(rt: Runtime) -> str:
    """This node's own origin in canonical form (federation.hosts)."""
    return str(canonical_host(rt.config.domain, scheme=rt.config.scheme))


def is_local(rt: Runtime, uri: str | None) -> bool:
    """Is `uri` on this node's own origin (in any spelling of it)?"""
    return bool(uri) and host_of(uri) == local_origin(rt)


@dataclass
class FetchBudget:
    """What the fetches made for one piece of work (an inbound activity) share: each URL is asked
    once (its answer or its failure is remembered), and all of them end by one deadline."""
    deadline: float  # event-loop time
    answers: dict[str, tuple[str, dict] | FetchError] = field(default_factory=dict)


# A context variable, not shared state: each asyncio task (each activity being applied) sees its own.
_budget: ContextVar[FetchBudget | None] = ContextVar("fetch_budget", default=None)


@contextlib.contextmanager
def fetch_budget(seconds: float) -> Iterator[FetchBudget]:
    """Within this block, fetch_document asks each URL at most once, and gives up at `seconds`."""
    budget = FetchBudget(asyncio.get_running_loop().time() + seconds)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


async def _get(rt: Runtime, url: str) -> tuple[str, dict]:
    budget = _budget.get()
    if budget is None:
        return await rt.http.get_json(url, signer=rt.instance_signer)
    answer = budget.answers.get(url)
    if isinstance(answer, FetchError):
        raise answer
    if answer is not None:
        return answer
    try:
        answer = await rt.http.get_json(url, signer=rt.instance_signer, deadline=budget.deadline)
    except FetchError as err:
        budget.answers[url] = err
        raise
    budget.answers[url] = budget.answers[answer[0]] = answer
    return answer


async def fetch_document(rt: Runtime, uri: str) -> dict:
    """GET an ActivityPub document, signed by the node's own actor, whose `id` is where it came from.

    Authority comes only from the id: a document served at one URL claiming another id is re-fetched
    from that id (same host) or refused (another host). A URI with no http(s) origin is no document's
    id: refused as invalid (not retried).
    """
    if not host_of(uri):
        raise InvalidDocument(f"{uri!r} is not an http(s) URL")
    final_url, doc = await _get(rt, uri)
    doc_id = object_id(doc)
    if doc_id == final_url:
        return doc
    if doc_id and host_of(doc_id) == host_of(final_url):
        final_url, doc = await _get(rt, doc_id)
        if object_id(doc) == final_url:
            return doc
    raise OriginMismatch(f"{uri} answered a document with id {doc_id!r}")


async def get_actor(rt: Runtime, uri: str, *, refresh: bool = False, fetch: bool = True) -> Account | None:
    """The account for an actor URI, fetched when unknown or stale. None when it cannot be had
    (without `fetch`: when it would have to be fetched)."""
    uri = urldefrag(uri)[0]
    async with rt.db.read() as conn:
        known = await accounts.by_uri(conn, uri)
    if known and (known.local or (not refresh and fresh(known))):
        return known
    if is_local(rt, uri) or not fetch:
        return None
    try:
        doc = await fetch_document(rt, uri)
        values = actor_values(doc)
    except (FetchError, InvalidDocument) as err:
        log.info("cannot fetch actor %s: %s", uri, err)
        return known
    return await store_actor(rt, values)


def fresh(account: Account) -> bool:
    """Is a stored actor recent enough to use without fetching it again?"""
    return account.local or time.time() - (account.fetched_at or 0) < ACTOR_TTL


async def store_actor(rt: Runtime, values: dict) -> Account:
    """Store or refresh a remote actor. Whether it is a Group is settled when it is first stored: a
    group's members see the direct posts addressed to it (models.statuses.visible_to), so a person
    whose server later calls them a Group would open what was said to them alone to their followers."""
    async with rt.db.write() as conn:
        known = await accounts.by_uri(conn, values["uri"])
        if known is not None and (known.actor_type == "Group") != (values.get("actor_type") == "Group"):
            log.info("actor %s stays a %s (it now says %s)", known.uri, known.actor_type, values.get("actor_type"))
            values = {**values, "actor_type": known.actor_type}
        return await accounts.upsert_remote(conn, values)


class KeyLookup:
    """The key retriever for federation.httpsig.verify_request: the cached key first, one refetch.

    It remembers whose key it returned, so the inbox can check the owner without reading it again.
    """

    def __init__(self, rt: Runtime, *, cached: bool = False):
        self.rt = rt
        self.owners: dict[str, Account] = {}
        # The inbox, which only compares the owner's uri with the activity's actor, may take a key
        # read a few minutes ago (federation.keycache); a signed fetch, which decides what its
        # owner may see, reads the account as it is now.
        self.cache = rt.remote_keys if cached else None

    async def __call__(self, key_id: str, refresh: bool) -> str | None:
        account = self.cache.get(key_id) if self.cache is not None and not refresh else None
        if account is None and not refresh:
            async with self.rt.db.read() as conn:
                account = await accounts.by_key_id(conn, key_id)
        if account is None or not account.public_key_pem:
            account = await fetch_key_owner(self.rt, key_id)
        if account is None or account.public_key_id != key_id:
            return None
        self.owners[key_id] = account
        if self.cache is not None and not account.local:
            self.cache.put(key_id, account)
        return account.public_key_pem


def key_lookup(rt: Runtime, *, cached: bool = False) -> KeyLookup:
    return KeyLookup(rt, cached=cached)


async def fetch_key_owner(rt: Runtime, key_id: str) -> Account | None:
    """Fetch the actor that owns `key_id`. The key URL may be the actor itself with a fragment
    (Mastodon) or a separate key document naming its owner (GoToSocial, some others)."""
    if is_local(rt, key_id):
        async with rt.db.read() as conn:
            return await accounts.by_key_id(conn, key_id)
    key_url = urldefrag(key_id)[0]
    try:
        doc = await fetch_document(rt, key_url)
    except (FetchError, InvalidDocument) as err:
        log.info("cannot fetch key %s: %s", key_id, err)
        return None
    if isinstance(doc.get("preferredUsername"), str):
        try:
            return await store_actor(rt, actor_values(doc))
        except InvalidDocument:
            return None
    owner = doc.get("owner") or doc.get("controller")
    if isinstance(owner, str) and host_of(owner) == host_of(key_url):
        return await get_actor(rt, owner, refresh=True)
    return None
