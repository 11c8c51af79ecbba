"""Figures and lists the node publishes about itself (/api/v1/instance and its sub-paths): counts,
known peer domains, weekly activity, the public list of limited domains."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import accounts, domain_blocks, oauth_tokens, statuses, users
from models.statuses import LIVE


async def instance_stats(conn: AsyncConnection) -> dict[str, int]:
    """Counts for /api/v1/instance: local users, local posts, other domains known."""
    user_count = (await conn.execute(select(func.count()).select_from(users)
                                     .where(users.c.disabled.is_(False)))).scalar_one()
    status_count = (await conn.execute(select(func.count()).select_from(statuses).where(
        statuses.c.local.is_(True), LIVE, statuses.c.reblog_of_id.is_(None)))).scalar_one()
    domain_count = (await conn.execute(select(func.count(func.distinct(accounts.c.domain)))
                                       .where(accounts.c.domain.is_not(None)))).scalar_one()
    return {"user_count": user_count, "status_count": status_count, "domain_count": domain_count}


async def known_domains(conn: AsyncConnection) -> list[str]:
    """The distinct domains of remote accounts this node knows."""
    return list((await conn.execute(select(accounts.c.domain).distinct()
                                    .where(accounts.c.domain.is_not(None)))).scalars())


async def suspended_domains(conn: AsyncConnection) -> list[str]:
    return list((await conn.execute(select(domain_blocks.c.domain)
                                    .where(domain_blocks.c.severity == "suspend"))).scalars())


async def activity_since(conn: AsyncConnection, oldest: float) -> dict[str, list[float]]:
    """When local posts were made, tokens issued to users (sign-ins) and users created, since `oldest`."""
    async def stamps(column, *where) -> list[float]:  # noqa: ANN001
        return list((await conn.execute(select(column).where(column >= oldest, *where))).scalars())
    return {
        "statuses": await stamps(statuses.c.created_at, statuses.c.local.is_(True), statuses.c.deleted_at.is_(None)),
        "logins": await stamps(oauth_tokens.c.created_at, oauth_tokens.c.user_id.is_not(None)),
        "registrations": await stamps(users.c.created_at),
    }


async def first_user_at(conn: AsyncConnection) -> float | None:
    return (await conn.execute(select(func.min(users.c.created_at)))).scalar_one()


async def limited_domains(conn: AsyncConnection) -> list:
    """Rows of the node's silences and suspensions, by domain ("noop" rows limit nothing)."""
    return list((await conn.execute(select(domain_blocks).where(domain_blocks.c.severity.in_(("silence", "suspend")))
                                    .order_by(domain_blocks.c.domain))).all())
