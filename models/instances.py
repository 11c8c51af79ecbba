"""Other servers' health, as seen from deliveries: failing since when, unavailable since when."""
from __future__ import annotations

import time

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import instances


async def record_failure(conn: AsyncConnection, domain: str, *, unavailable_after: float) -> bool:
    """Note a failed delivery; True when the domain has now been failing long enough to be
    unavailable."""
    now = time.time()
    row = (await conn.execute(select(instances).where(instances.c.domain == domain))).first()
    if row is None:
        await conn.execute(insert(instances).values(domain=domain, failing_since=now, last_failure_at=now))
        return unavailable_after <= 0
    failing_since = row.failing_since or now
    unavailable = row.unavailable_since or (now - failing_since >= unavailable_after and now) or None
    await conn.execute(update(instances).where(instances.c.domain == domain).values(
        failing_since=failing_since, last_failure_at=now, unavailable_since=unavailable))
    return unavailable is not None


async def record_success(conn: AsyncConnection, domain: str) -> None:
    """The domain answered: it is healthy again."""
    await conn.execute(update(instances).where(instances.c.domain == domain).values(
        failing_since=None, unavailable_since=None, last_success_at=time.time()))


async def failing_domains(conn: AsyncConnection) -> set[str]:
    return set((await conn.execute(select(instances.c.domain).where(
        instances.c.failing_since.is_not(None)))).scalars())


async def unavailable(conn: AsyncConnection, domains) -> set[str]:  # noqa: ANN001
    domains = list(set(domains))
    if not domains:
        return set()
    return set((await conn.execute(select(instances.c.domain).where(
        instances.c.domain.in_(domains), instances.c.unavailable_since.is_not(None)))).scalars())
