"""Rate-limit counters shared by every process: hits per key in fixed windows (backchannel.guards).

Processes add their hits in batches (one statement for many keys) and read back the totals, so a
limit counts requests made to any process of the node."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import rate_limits


async def add_hits(conn: AsyncConnection, hits: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
    """Add `hits` per (key, window); returns each one's total over every process."""
    if not hits:
        return {}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(rate_limits).values(
        # In one order, so two processes adding the same keys at once cannot deadlock on PostgreSQL.
        [{"key": key, "window": window, "hits": n} for (key, window), n in sorted(hits.items())])
    stmt = stmt.on_conflict_do_update(index_elements=[rate_limits.c.key, rate_limits.c.window],
                                      set_={"hits": rate_limits.c.hits + stmt.excluded.hits})
    rows = await conn.execute(stmt.returning(rate_limits.c.key, rate_limits.c.window, rate_limits.c.hits))
    return {(r.key, r.window): r.hits for r in rows}


async def forget_before(conn: AsyncConnection, window: int) -> None:
    await conn.execute(delete(rate_limits).where(rate_limits.c.window < window))
