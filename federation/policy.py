"""Which domains this node federates with: federation mode, domain blocks and domain allows.

Every path that crosses the node's border asks here: inbound activities and signed fetches,
outbound deliveries and every outgoing request. Answers are cached for a second, so a block or an
allow changed by the CLI, the admin API or another process takes effect at once, without a restart.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from models.db import Database
from models.schema import domain_allows, domain_blocks

CACHE_SECONDS = 1.0


class DomainError(ValueError):
    """Not a domain name that can be blocked or allowed."""


def normalize_domain(domain: str) -> str:
    """One spelling per domain, so a block cannot be dodged with case, a trailing dot or Unicode
    (CVE-2023-42451): lower-case, no trailing dot, IDNA-encoded, port kept."""
    text = domain.strip().lower()
    for prefix in ("https://", "http://", "acct:"):
        text = text.removeprefix(prefix)
    text = text.split("/", 1)[0].rsplit("@", 1)[-1].rstrip(".")
    host, colon, port = text.partition(":") if text.count(":") == 1 else (text, "", "")
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        raise DomainError(f"{domain!r} is not a domain name") from None
    if not host or any(c in host for c in " \t\r\n,;\\") or (port and not port.isdigit()):
        raise DomainError(f"{domain!r} is not a domain name")
    return host + (f":{port}" if colon else "")


def _parents(domain: str) -> list[str]:
    """globex.example → [globex.example, example]: a rule on a domain covers its subdomains."""
    host, colon, port = domain.partition(":") if domain.count(":") == 1 else (domain, "", "")
    parts = host.split(".")
    names = [".".join(parts[i:]) for i in range(len(parts))]
    return ([domain] + names[1:]) if colon else names


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    silenced: bool = False
    reject_media: bool = False
    reason: str = ""


ALLOWED = Verdict(True)


class FederationPolicy:
    def __init__(self, db: Database, *, mode: str, local_domain: str):
        self.db = db
        self.mode = mode
        self.local_domain = normalize_domain(local_domain)
        self._cache: dict[str, tuple[float, Verdict]] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    async def check(self, domain: str | None) -> Verdict:
        if not domain:
            return Verdict(False, reason="no domain")
        try:
            domain = normalize_domain(domain)
        except DomainError as err:
            return Verdict(False, reason=str(err))
        if domain == self.local_domain:
            return ALLOWED
        cached = self._cache.get(domain)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        verdict = await self._decide(domain)
        self._cache[domain] = (time.monotonic(), verdict)
        return verdict

    async def allows(self, domain: str | None) -> bool:
        return (await self.check(domain)).allowed

    async def _decide(self, domain: str) -> Verdict:
        names = _parents(domain)
        async with self.db.read() as conn:
            block = (await conn.execute(select(domain_blocks).where(domain_blocks.c.domain.in_(names))
                                        .order_by(domain_blocks.c.severity.desc()))).first()
            allowed = True
            if self.mode == "allowlist":
                allowed = (await conn.execute(select(domain_allows.c.id).where(
                    domain_allows.c.domain.in_(names)))).first() is not None
        if not allowed:
            return Verdict(False, reason=f"{domain} is not on this node's allowlist")
        if block is not None and self.mode != "open" and block.severity == "suspend":
            return Verdict(False, reason=f"{domain} is suspended on this node")
        if block is not None and self.mode != "open":
            return Verdict(True, silenced=block.severity == "silence", reject_media=block.reject_media)
        return ALLOWED
