"""A person's own domain blocks: they stop seeing, and being followed from, a whole domain.

Blocks are kept under the canonical name (federation.policy.normalize_domain: no port)."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.domains import covering
from models.once import insert_once
from models.schema import account_domain_blocks as table


async def add(conn: AsyncConnection, account_id: int, domain: str) -> bool:
    return await insert_once(conn, table, {"account_id": account_id, "domain": domain})


async def remove(conn: AsyncConnection, account_id: int, domain: str) -> None:
    await conn.execute(delete(table).where(table.c.account_id == account_id, table.c.domain == domain))


async def page(conn: AsyncConnection, account_id: int, *, max_id: int | None, limit: int) -> list[tuple[int, str]]:
    stmt = select(table.c.id, table.c.domain).where(table.c.account_id == account_id)
    if max_id is not None:
        stmt = stmt.where(table.c.id < max_id)
    return [(r.id, r.domain) for r in await conn.execute(stmt.order_by(table.c.id.desc()).limit(limit))]


async def blocking(conn: AsyncConnection, account_ids, domain: str | None) -> set[int]:  # noqa: ANN001
    """Which of `account_ids` block `domain`, a canonical `accounts.domain` (None: a local account,
    never blocked this way). A block covers every port and subdomain of the name blocked."""
    ids = list(account_ids)
    if not ids or not domain:
        return set()
    return set((await conn.execute(select(table.c.account_id).where(
        table.c.domain.in_(covering(domain)), table.c.account_id.in_(ids)))).scalars())
