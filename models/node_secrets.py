"""Secrets shared by every process of the node (node_secrets): name → text value, written once."""
from __future__ import annotations

import time

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import node_secrets


async def all_secrets(conn: AsyncConnection) -> dict[str, str]:
    return {r.name: r.value for r in await conn.execute(select(node_secrets.c.name, node_secrets.c.value))}


async def add(conn: AsyncConnection, name: str, value: str) -> None:
    """Record a secret; the caller holds the migration lock, so two first starts cannot both add it."""
    await conn.execute(insert(node_secrets).values(name=name, value=value, created_at=time.time()))
