"""Per-peer state, in one place: health, circuit breaker, unavailable-since, the HTTP signature
scheme the peer's inbox accepts, and the software it runs (from NodeInfo).

It is stored in the `instances` table (models.instances), so it survives a restart and every
process (`serve`, `serve --no-workers`, `worker`) sees the same: a breaker opened by one worker
holds in all of them. Hot paths (every delivery asks whether the breaker is open, every inbox POST
reports a live peer) read through a one-second cache, and a success is written only when it
changes something or the last one is a minute old.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from federation.breaker import Breaker
from federation.hosts import HostError, canonical_host
from models import instances
from models.db import Database
from models.instances import Instance

if TYPE_CHECKING:
    from federation.http import FederationClient

log = logging.getLogger(__name__)

CACHE_SECONDS = 1.0
CACHE_MAX = 10_000
SUCCESS_EVERY = 60.0  # a healthy peer's last_success_at is refreshed at most this often
SOFTWARE_EVERY = 24 * 3600.0  # NodeInfo is read at most daily per peer
SCHEMES = ("cavage", "rfc9421")
NODEINFO_SCHEMAS = ("http://nodeinfo.diaspora.software/ns/schema/2.1",
                    "http://nodeinfo.diaspora.software/ns/schema/2.0")


def peer_domain(where: str) -> str:
    """The key a peer is stored under, from a URL or a host: its canonical origin (federation.hosts),
    as deliveries and the inbox name it."""
    try:
        return str(canonical_host(where))
    except HostError:
        return where.strip().lower()


class Peers:
    def __init__(self, db: Database, *, breaker: Breaker, unavailable_after: float):
        self.db = db
        self.breaker = breaker
        self.unavailable_after = unavailable_after
        self._cache: dict[str, tuple[float, Instance]] = {}
        # Host or URL as asked -> its domain: a delivery asks about its peer four times.
        self._domains: dict[str, str] = {}

    def _remember(self, state: Instance) -> Instance:
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[state.domain] = (time.monotonic(), state)
        return state

    async def state(self, host: str) -> Instance:
        """What is known of a peer, at most a second old."""
        domain = self._domains.get(host)
        if domain is None:
            if len(self._domains) >= CACHE_MAX:
                self._domains.clear()
            domain = self._domains[host] = peer_domain(host)
        cached = self._cache.get(domain)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with self.db.read() as conn:
            return self._remember(await instances.get(conn, domain))

    async def all(self) -> list[Instance]:
        """Every peer this node has dealt with, by domain (for admins)."""
        async with self.db.read() as conn:
            return await instances.listing(conn)

    async def wait_for(self, host: str, now: float | None = None) -> float:
        """0 when a delivery to the peer may be tried now, else the seconds until its breaker closes."""
        open_until = (await self.state(host)).open_until
        now = time.time() if now is None else now
        return 0.0 if open_until is None or open_until <= now else open_until - now

    async def record_success(self, host: str) -> None:
        """The peer answered (a delivery was accepted, or it sent us a verified activity): it is
        healthy, its breaker closes and deliveries to it resume."""
        state = await self.state(host)
        now = time.time()
        if not state.failing and state.last_success_at and now - state.last_success_at < SUCCESS_EVERY:
            return
        async with self.db.write() as conn:
            state = await instances.change(conn, state.domain, failing_since=None, unavailable_since=None,
                                           consecutive_failures=0, open_until=None, last_success_at=now)
        self._remember(state)

    async def record_failure(self, host: str) -> Instance:
        """The peer did not answer, or answered with a server error: count it, open the breaker after
        enough failures in a row, and mark the peer unavailable once it has failed for
        `unavailable_after` seconds. Returns the new state."""
        now = time.time()
        async with self.db.write() as conn:
            state = await instances.count_failure(conn, peer_domain(host), now=now)
            unavailable = state.unavailable_since or (
                now if now - (state.failing_since or now) >= self.unavailable_after else None)
            state = await instances.change(
                conn, state.domain, open_until=self.breaker.open_until(state.consecutive_failures, now),
                unavailable_since=unavailable)
        return self._remember(state)

    async def scheme(self, host: str) -> str:
        """The signature scheme to try first on the peer's inbox: the one it last accepted."""
        return (await self.state(host)).signature_scheme or "cavage"

    async def remember_scheme(self, host: str, scheme: str) -> None:
        """The peer's inbox accepted `scheme`: try it first from now on, in every process."""
        state = await self.state(host)
        if scheme not in SCHEMES or state.signature_scheme == scheme:
            return
        async with self.db.write() as conn:
            self._remember(await instances.change(conn, state.domain, signature_scheme=scheme))

    async def refresh_software(self, http: "FederationClient", *, limit: int = 5) -> int:
        """Read the NodeInfo of a few peers that answered in the last day and were not read for a day.
        Run by a periodic job, never on a hot path. Returns how many were tried."""
        now = time.time()
        async with self.db.read() as conn:
            due = await instances.software_due(conn, checked_before=now - SOFTWARE_EVERY,
                                               active_since=now - SOFTWARE_EVERY, limit=limit)
        for domain in due:
            name, version = await _nodeinfo_software(http, domain)
            async with self.db.write() as conn:
                self._remember(await instances.change(conn, domain, software_name=name, software_version=version,
                                                      software_checked_at=time.time()))
        return len(due)


async def _nodeinfo_software(http: "FederationClient", domain: str) -> tuple[str | None, str | None]:
    """(software name, version) from the peer's NodeInfo, or (None, None) when it has none."""
    from federation.http import FetchError

    scheme = "http" if http.insecure_http else "https"
    try:
        _url, index = await http.get_json(f"{scheme}://{domain}/.well-known/nodeinfo", activitypub=False,
                                          accept="application/json")
        links = index.get("links") if isinstance(index.get("links"), list) else []
        href = next((link.get("href") for schema in NODEINFO_SCHEMAS for link in links
                     if isinstance(link, dict) and link.get("rel") == schema and isinstance(link.get("href"), str)),
                    None)
        if href is None:
            return None, None
        _url, info = await http.get_json(href, activitypub=False, accept="application/json")
    except FetchError as err:
        log.info("no NodeInfo from %s: %s", domain, err)
        return None, None
    software = info.get("software") if isinstance(info.get("software"), dict) else {}
    name, version = software.get("name"), software.get("version")
    return (name[:100] if isinstance(name, str) else None, version[:100] if isinstance(version, str) else None)
