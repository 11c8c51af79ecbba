"""The smaller /api/v1/instance/* endpoints (Mastodon 4.3 shapes): peers, weekly activity, the
extended description, rules, public domain blocks, translation languages."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from aiohttp import web

from api.entities.instance import activity_entity, domain_block_entity, extended_description_entity
from backchannel.keys import RUNTIME
from models import instance_stats

WEEKS = 12


def _under(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


async def peers(request: web.Request) -> web.Response:
    """The distinct domains of remote accounts this node knows (a JSON array of strings), leaving
    out every domain the federation policy refuses and every suspended one, whatever the mode."""
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        domains = await instance_stats.known_domains(conn)
        suspended = await instance_stats.suspended_domains(conn)
    out = []
    for domain in sorted({d.lower() for d in domains}):
        if any(_under(domain, s) for s in suspended):
            continue
        if await rt.policy.allows(domain):
            out.append(domain)
    return web.json_response(out)


def _week_starts(now: float) -> list[datetime]:
    """The Mondays (00:00 UTC) of the last WEEKS weeks, newest first, as Mastodon's weeks begin."""
    today = datetime.fromtimestamp(now, timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(WEEKS)]


def _per_week(stamps: list[float], starts: list[datetime]) -> list[int]:
    edges = [s.timestamp() for s in starts]
    counts = [0] * len(starts)
    for ts in stamps:
        for i, edge in enumerate(edges):
            if ts >= edge:
                counts[i] += 1
                break
    return counts


async def activity(request: web.Request) -> web.Response:
    """12 weeks of local activity, newest first, every figure a string as on Mastodon: statuses
    posted here, sign-ins (access tokens issued to users) and users created."""
    rt = request.app[RUNTIME]
    starts = _week_starts(time.time())
    async with rt.db.read() as conn:
        stamps = await instance_stats.activity_since(conn, starts[-1].timestamp())
    posted, logins, joined = (_per_week(stamps[k], starts) for k in ("statuses", "logins", "registrations"))
    return web.json_response([activity_entity(start, s, lg, r) for start, s, lg, r in zip(starts, posted, logins, joined)])


async def extended_description(request: web.Request) -> web.Response:
    """The node's description as HTML; updated_at is when the node's first user was made (the
    description is a start-up setting, so there is no edit time to give)."""
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        first = await instance_stats.first_user_at(conn)
    return web.json_response(extended_description_entity(rt.config.description,
                                                         first if first is not None else time.time()))


async def rules(request: web.Request) -> web.Response:
    # There is no rules setting yet; Mastodon's shape is [{"id", "text", "hint"}].
    return web.json_response([])


async def public_domain_blocks(request: web.Request) -> web.Response:
    """[{domain, digest, severity, comment}]: the node's silences and suspensions with their public
    comments ("noop" rows limit nothing and are left out)."""
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        rows = await instance_stats.limited_domains(conn)
    return web.json_response([domain_block_entity(r.domain, r.severity, r.public_comment) for r in rows])


async def translation_languages(request: web.Request) -> web.Response:
    return web.json_response({})  # no translation service is configured


ROUTES = [
    web.get("/api/v1/instance/peers", peers),
    web.get("/api/v1/instance/activity", activity),
    web.get("/api/v1/instance/extended_description", extended_description),
    web.get("/api/v1/instance/rules", rules),
    web.get("/api/v1/instance/domain_blocks", public_domain_blocks),
    web.get("/api/v1/instance/translation_languages", translation_languages),
]
