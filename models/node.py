"""The node's identity: one row (id 1) holding its domain and federation mode."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import node


@dataclass(frozen=True)
class NodeIdentity:
    domain: str
    federation_mode: str
    created_at: float
    updated_at: float


async def get(conn: AsyncConnection) -> NodeIdentity | None:
    row = (await conn.execute(select(node).where(node.c.id == 1))).first()
    return None if row is None else NodeIdentity(row.domain, row.federation_mode, row.created_at, row.updated_at)


async def federation_mode(conn: AsyncConnection) -> str | None:
    return (await conn.execute(select(node.c.federation_mode).where(node.c.id == 1))).scalar()


async def create(conn: AsyncConnection, *, domain: str, federation_mode: str) -> NodeIdentity:
    """Record the identity; the caller holds the migration lock, so two first starts cannot race."""
    now = time.time()
    await conn.execute(insert(node).values(id=1, domain=domain, federation_mode=federation_mode,
                                           created_at=now, updated_at=now))
    return NodeIdentity(domain, federation_mode, now, now)


async def set_federation_mode(conn: AsyncConnection, mode: str) -> None:
    await conn.execute(update(node).where(node.c.id == 1).values(federation_mode=mode, updated_at=time.time()))
