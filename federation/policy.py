"""Which domains this node federates with: federation mode, domain blocks and domain allows.

Every path that crosses the node's border asks here: inbound activities and signed fetches,
outbound deliveries and every outgoing request. All three live in the database (the mode in the
node's identity row), and answers are cached for a second, so a mode, block or allow changed by the
CLI, the admin API or another process is followed by every process within a second, without a restart.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from federation.hosts import Host, HostError, canonical_host
from backchannel.config import FEDERATION_MODES
from models import node
from models.db import Database
from models.schema import domain_allows, domain_blocks

CACHE_SECONDS = 1.0
CACHE_MAX = 10_000  # verdicts kept: a second each, so clearing them all costs a read per host


class DomainError(HostError):
    """Not a domain name that can be blocked or allowed."""


def normalize_domain(domain: str) -> str:
    """The name a domain rule is kept under: the canonical host (federation.hosts), port dropped,
    since a rule names an organisation and covers all its ports and subdomains (CVE-2023-42451:
    case, a trailing dot, Unicode or a port never dodge a block)."""
    try:
        return canonical_host(domain).name
    except HostError as err:
        raise DomainError(f"{domain!r} is not a domain name") from err


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    silenced: bool = False
    reject_media: bool = False
    reason: str = ""


ALLOWED = Verdict(True)


class FederationPolicy:
    def __init__(self, db: Database, *, local_domain: str, scheme: str = "https"):
        self.db = db
        self.local_host = canonical_host(local_domain, scheme=scheme)
        self._cache: dict[Host, tuple[float, Verdict]] = {}
        self._mode: tuple[float, str] | None = None

    def invalidate(self) -> None:
        self._cache.clear()
        self._mode = None

    async def mode(self) -> str:
        """The federation mode now: open, blocklist or allowlist."""
        if self._mode and time.monotonic() - self._mode[0] < CACHE_SECONDS:
            return self._mode[1]
        async with self.db.read() as conn:
            mode = await node.federation_mode(conn) or "blocklist"
        self._mode = (time.monotonic(), mode)
        return mode

    async def set_mode(self, mode: str) -> None:
        if mode not in FEDERATION_MODES:
            raise ValueError(f"the federation mode is one of {', '.join(FEDERATION_MODES)}, not {mode!r}")
        async with self.db.write() as conn:
            await node.set_federation_mode(conn, mode)
        self.invalidate()

    async def check(self, where: "str | Host | None") -> Verdict:
        """The verdict on a host, given as a Host, a URL, a bare host (any port) or `user@host`."""
        if not where:
            return Verdict(False, reason="no domain")
        try:
            host = where if isinstance(where, Host) else canonical_host(where)
        except HostError as err:
            return Verdict(False, reason=str(err))
        if host == self.local_host:
            return ALLOWED
        cached = self._cache.get(host)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        started = time.monotonic()
        verdict = await self._decide(host)
        if len(self._cache) >= CACHE_MAX:  # hosts an attacker makes up by the thousand must not pile up
            self._cache.clear()
        self._cache[host] = (started, verdict)
        return verdict

    async def allows(self, where: "str | Host | None") -> bool:
        return (await self.check(where)).allowed

    async def _decide(self, host: Host) -> Verdict:
        domain, names = str(host), host.covering()
        async with self.db.read() as conn:
            # The mode is read with the rules, so a cached verdict is never older than a second.
            mode = await node.federation_mode(conn) or "blocklist"
            block = (await conn.execute(select(domain_blocks).where(domain_blocks.c.domain.in_(names))
                                        .order_by(domain_blocks.c.severity.desc()))).first()
            allowed = True
            if mode == "allowlist":
                allowed = (await conn.execute(select(domain_allows.c.id).where(
                    domain_allows.c.domain.in_(names)))).first() is not None
        if not allowed:
            return Verdict(False, reason=f"{domain} is not on this node's allowlist")
        if block is not None and mode != "open" and block.severity == "suspend":
            return Verdict(False, reason=f"{domain} is suspended on this node")
        if block is not None and mode != "open":
            return Verdict(True, silenced=block.severity == "silence", reject_media=block.reject_media)
        return ALLOWED
