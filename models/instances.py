"""Other servers as this node sees them, one row per domain: health, circuit breaker, the signature
scheme their inbox accepts and their software. federation.peers decides; this module stores."""
from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import instances


@dataclass(frozen=True)
class Instance:
    domain: str
    failing_since: float | None = None
    last_failure_at: float | None = None
    last_success_at: float | None = None
    unavailable_since: float | None = None
    consecutive_failures: int = 0
    open_until: float | None = None
    signature_scheme: str | None = None
    software_name: str | None = None
    software_version: str | None = None
    software_checked_at: float | None = None

    @property
    def failing(self) -> bool:
        return bool(self.failing_since or self.consecutive_failures or self.open_until or self.unavailable_since)


_COLUMNS = [f.name for f in fields(Instance)]


def _instance(row) -> Instance:  # noqa: ANN001
    return Instance(**{name: getattr(row, name) for name in _COLUMNS})


async def get(conn: AsyncConnection, domain: str) -> Instance:
    """The stored state, or a fresh one for a domain never seen."""
    row = (await conn.execute(select(instances).where(instances.c.domain == domain))).first()
    return Instance(domain) if row is None else _instance(row)


async def change(conn: AsyncConnection, domain: str, **values) -> Instance:
    """Write some columns of a domain's row (created when missing); returns the new state."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(dialect_insert(instances).values(domain=domain).on_conflict_do_nothing(
        index_elements=["domain"]))
    row = (await conn.execute(update(instances).where(instances.c.domain == domain).values(**values)
                              .returning(*instances.c))).first()
    return _instance(row)


async def count_failure(conn: AsyncConnection, domain: str, *, now: float) -> Instance:
    """One more failure in a row, counted in SQL so two processes failing at once both count."""
    return await change(conn, domain, last_failure_at=now,
                        consecutive_failures=instances.c.consecutive_failures + 1,
                        failing_since=func.coalesce(instances.c.failing_since, now))


async def listing(conn: AsyncConnection) -> list[Instance]:
    return [_instance(row) for row in await conn.execute(select(instances).order_by(instances.c.domain))]


async def unavailable(conn: AsyncConnection, domains) -> set[str]:  # noqa: ANN001
    domains = list(set(domains))
    if not domains:
        return set()
    return set((await conn.execute(select(instances.c.domain).where(
        instances.c.domain.in_(domains), instances.c.unavailable_since.is_not(None)))).scalars())


async def software_due(conn: AsyncConnection, *, checked_before: float, active_since: float,
                       limit: int) -> list[str]:
    """Domains that answered recently and whose software was not read since `checked_before`."""
    return list((await conn.execute(
        select(instances.c.domain)
        .where(instances.c.last_success_at >= active_since,
               instances.c.software_checked_at.is_(None) | (instances.c.software_checked_at < checked_before))
        .order_by(instances.c.software_checked_at.nulls_first()).limit(limit))).scalars())
