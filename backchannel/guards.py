"""What protects the node as a whole: rate limits, and a database outage answered 503 (the steps
the node's one middleware, backchannel.pipeline, takes around every handler).

Rate limits count requests over a sliding five-minute window, together for every process of the node
(the counts meet in the database): per client address for everything, and per account for the client
API. A refused request gets 429 with
Retry-After. The client address is the peer's, or, when the peer is a trusted reverse proxy (the
`trusted_proxies` setting; by default one on this machine), the nearest address in X-Forwarded-For
that is not itself a trusted proxy. The access log names the same address.
"""
from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import web
from sqlalchemy import exc as sa_exc

from models.db import DatabaseUnavailable

log = logging.getLogger(__name__)
WINDOW = 300.0  # seconds over which a limit is counted, as Mastodon's (N requests per 5 minutes)
FLUSH_EVERY = 0.5  # seconds between sharing this process's counts through the database
KEY_SECONDS = 60.0  # how long a token's rate-limit key is remembered (AccountKeys)


@dataclass
class Counts:
    """Hits per (key, window index): the totals as the database last said, and those not yet sent."""
    totals: dict[tuple[str, int], int] = field(default_factory=dict)
    pending: dict[tuple[str, int], int] = field(default_factory=dict)
    sending: dict[tuple[str, int], int] = field(default_factory=dict)  # being added by a flush

    def get(self, key: str, index: int) -> int:
        k = (key, index)
        return self.totals.get(k, 0) + self.sending.get(k, 0) + self.pending.get(k, 0)


@dataclass
class SharedWindow:
    """Requests per key over a sliding window, counted by every process of the node together.

    Hits are counted in fixed windows of WINDOW seconds in the database (models.rate_limits); the
    limit is checked against the current window's count plus the previous window's weighted by how
    much of it still overlaps the last WINDOW seconds (no burst of twice the limit at a boundary).
    A request is checked against what this process has counted and what the database said at its
    last flush, without a statement of its own; RateLimits.flush (every FLUSH_EVERY seconds) adds
    this process's hits in one statement and reads back the totals of every key asked about since,
    so hits on one process count on every other within about FLUSH_EVERY seconds."""
    limit: int
    counts: Counts = field(default_factory=Counts)
    window: float = WINDOW

    def take(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead (and it is counted); otherwise the seconds until it may."""
        now = time.time() if now is None else now
        index = int(now // self.window)
        overlap = 1 - (now / self.window - index)  # the share of the previous window still counted
        previous, current = self.counts.get(key, index - 1), self.counts.get(key, index)
        allowed = previous * overlap + current + 1 <= self.limit
        # A refused request adds nothing, but the next flush still reads the key's total back.
        self.counts.pending[(key, index)] = self.counts.pending.get((key, index), 0) + allowed
        if allowed:
            return 0.0
        if current + 1 <= self.limit:  # wait until enough of the previous window has slid out
            return max(0.0, (overlap - (self.limit - 1 - current) / previous) * self.window)
        # In the next window this one is the previous: wait until enough of it has slid out.
        return ((index + 1) * self.window - now) + max(0.0, 1 - (self.limit - 1) / current) * self.window


class RateLimits:
    """The node's two limits (per client address, and per account through the API; their keys never
    collide), and the task that shares their counts with the other processes through the database."""

    def __init__(self, per_ip: int, per_account: int):
        self.counts = Counts()
        self.pruned = -1  # the window in which this process last deleted old counts
        self.by_ip = SharedWindow(per_ip, self.counts)
        self.by_account = SharedWindow(per_account, self.counts)

    async def flush(self, db) -> None:  # noqa: ANN001
        from models import rate_limits

        hits = self.counts.sending = self.counts.pending
        self.counts.pending = {}
        now = time.time()
        index = int(now // WINDOW)
        try:
            async with db.write() as conn:
                totals = await rate_limits.add_hits(conn, hits)
                if index != self.pruned:  # a new window began: drop the rows no window counts any more
                    await rate_limits.forget_before(conn, index - 1)
            self.pruned = index
        except BaseException:
            for key, n in hits.items():  # sent again at the next flush: no hit is lost
                self.counts.pending[key] = self.counts.pending.get(key, 0) + n
            raise
        finally:
            self.counts.sending = {}
        kept = {k: v for k, v in self.counts.totals.items() if k[1] >= index - 1}
        kept.update(totals)
        self.counts.totals = kept

    async def run(self, db) -> None:  # noqa: ANN001
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            if not self.counts.pending:
                continue
            try:
                await self.flush(db)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - a busy or absent database: counted here meanwhile
                log.warning("rate-limit counts not shared this time: %s", err)


def _in(address: str, trusted: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_addresses(trusted: tuple) -> Callable[[web.Request], str]:
    """client_address for one set of trusted proxies: each peer's verdict is remembered (the same few
    peers, a proxy and the clients, ask again and again). The node's middleware asks once per request
    and gives the answer to the rate limit and the access log."""
    verdicts: dict[str, bool] = {}

    def is_trusted(address: str) -> bool:
        verdict = verdicts.get(address)
        if verdict is None:
            if len(verdicts) >= 1024:
                verdicts.clear()
            verdict = verdicts[address] = _in(address, trusted)
        return verdict

    def client_address(request: web.Request) -> str:
        return _client_address(request, is_trusted)

    return client_address


def _client_address(request: web.Request, is_trusted: Callable[[str], bool]) -> str:
    """The client's address: X-Forwarded-For is read only when the peer is a trusted proxy, from the
    right, past every hop that is itself trusted (what a client sends leftmost proves nothing)."""
    address = request.remote or ""
    if not is_trusted(address):
        return address
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        hop = hop.strip()
        if not hop:
            continue
        address = hop
        if not is_trusted(hop):
            break
    return address


def too_many(wait: float) -> web.Response:
    return web.json_response({"error": "Too many requests"}, status=429,
                             headers={"Retry-After": str(max(1, math.ceil(wait)))})


class AccountKeys:
    """The rate-limit key of a bearer token: its account's (`account:<id>`, so an account's tokens
    share one limit), or the token's own when it speaks for no account. Remembered for KEY_SECONDS,
    so the limit needs no statement of its own; when it is not known yet, the token is looked up the
    way api.auth looks it up, once for the request, and the handler's check reuses that answer."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, str]] = {}

    def get(self, token: str) -> tuple[str, str | None]:
        """(the token's digest, its key or None when not known now)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        known = self._keys.get(digest)
        return digest, known[1] if known is not None and known[0] > time.monotonic() else None

    def learn(self, digest: str, account_id: int | None) -> str:
        key = f"account:{account_id}" if account_id is not None else f"token:{digest[:16]}"
        if len(self._keys) > 50_000:
            self._keys.clear()
        self._keys[digest] = (time.monotonic() + KEY_SECONDS, key)
        return key


# Errors the database raises about the statement itself rather than about being reachable.
MISTAKES = (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError, sa_exc.NotSupportedError)
# What a database that is locked, gone or out of connections raises (MISTAKES aside).
OUTAGES = (sa_exc.DBAPIError, sa_exc.TimeoutError, DatabaseUnavailable)


def unavailable(request: web.Request, err: Exception) -> web.HTTPServiceUnavailable:
    """A database outage (one of OUTAGES, not a MISTAKE) as a 503, never a 500; the transaction that
    failed was rolled back, so nothing half-written stays behind."""
    log.warning("database unavailable during %s %s: %s", request.method, request.path, err)
    return web.HTTPServiceUnavailable(
        text=json.dumps({"error": "The database is unavailable; try again shortly"}),
        content_type="application/json", headers={"Retry-After": "5"})
