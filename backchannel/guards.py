"""Middlewares that protect the node as a whole: rate limits, and a database outage answered 503.

Rate limits are token buckets kept in the process (each `serve` process limits on its own): per
client address for everything, and per account for the client API. A refused request gets 429 with
Retry-After. The client address is the peer's, or, when the peer is a trusted reverse proxy (the
`trusted_proxies` setting; by default one on this machine), the nearest address in X-Forwarded-For
that is not itself a trusted proxy. The access log names the same address.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import time
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import exc as sa_exc

from backchannel.keys import RUNTIME
from models.db import DatabaseUnavailable, start_counting

log = logging.getLogger(__name__)
WINDOW = 300.0  # seconds over which a limit is counted, as Mastodon's (N requests per 5 minutes)


@dataclass
class Buckets:
    limit: int
    window: float = WINDOW
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead; otherwise the seconds until it may."""
        now = time.monotonic() if now is None else now
        rate = self.limit / self.window
        tokens, last = self._state.get(key, (float(self.limit), now))
        tokens = min(float(self.limit), tokens + (now - last) * rate)
        if tokens < 1:
            self._state[key] = (tokens, now)
            return (1 - tokens) / rate
        self._state[key] = (tokens - 1, now)
        if len(self._state) > 50_000:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        """Forget keys whose bucket has refilled: they are indistinguishable from new ones."""
        rate = self.limit / self.window
        full = [k for k, (tokens, last) in self._state.items() if tokens + (now - last) * rate >= self.limit]
        for key in full:
            del self._state[key]


def _trusted(address: str, trusted: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: web.Request, trusted: tuple) -> str:
    """The client's address: X-Forwarded-For is read only when the peer is a trusted proxy, from the
    right, past every hop that is itself trusted (what a client sends leftmost proves nothing)."""
    address = request.remote or ""
    if not _trusted(address, trusted):
        return address
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        hop = hop.strip()
        if not hop:
            continue
        address = hop
        if not _trusted(hop, trusted):
            break
    return address


def _too_many(wait: float) -> web.Response:
    return web.json_response({"error": "Too many requests"}, status=429,
                             headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query.get("access_token")


def rate_limits(per_ip: int, per_account: int, trusted: tuple):  # noqa: ANN201
    by_ip = Buckets(per_ip)
    by_account = Buckets(per_account)
    accounts_by_token: dict[str, tuple[float, str]] = {}

    async def account_key(request: web.Request, token: str) -> str:
        from models import oauth

        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = accounts_by_token.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with request.app[RUNTIME].db.read() as conn:
            info = await oauth.token_info(conn, token)
        key = f"account:{info.account.id}" if info and info.account else f"token:{digest[:16]}"
        if len(accounts_by_token) > 50_000:
            accounts_by_token.clear()
        accounts_by_token[digest] = (time.monotonic() + 60, key)
        return key

    @web.middleware
    async def middleware(request: web.Request, handler):  # noqa: ANN001, ANN202
        if request.method == "OPTIONS":
            return await handler(request)
        wait = by_ip.take(client_address(request, trusted))
        if wait:
            return _too_many(wait)
        token = _bearer(request) if request.path.startswith("/api/") else None
        if token:
            wait = by_account.take(await account_key(request, token))
            if wait:
                return _too_many(wait)
        return await handler(request)

    return middleware


# Errors the database raises about the statement itself rather than about being reachable.
MISTAKES = (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError, sa_exc.NotSupportedError)


@web.middleware
async def database_outage(request: web.Request, handler):  # noqa: ANN001, ANN201
    """A database that is locked, gone or out of connections is a 503, never a 500; the transaction
    that failed was rolled back, so nothing half-written stays behind."""
    try:
        return await handler(request)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError, DatabaseUnavailable) as err:
        if isinstance(err, MISTAKES):
            raise  # a bug in a query, not an outage: it stays a 500 and is logged as one
        log.warning("database unavailable during %s %s: %s", request.method, request.path, err)
        raise web.HTTPServiceUnavailable(
            text=json.dumps({"error": "The database is unavailable; try again shortly"}),
            content_type="application/json", headers={"Retry-After": "5"}) from None


@web.middleware
async def statement_count(request: web.Request, handler):  # noqa: ANN001, ANN201
    """Tests and benchmarks (`count_statements`): the SQL statements a request cost, in a header."""
    counter = start_counting()
    response = await handler(request)
    if not response.prepared:
        response.headers["X-Statement-Count"] = str(counter[0])
    return response
