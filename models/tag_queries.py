"""Hashtag search by prefix."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import tags


async def search_tags(conn: AsyncConnection, query: str, limit: int) -> list[str]:
    """Hashtag names starting with `query`, exact match first."""
    q = query.lstrip("#").strip().lower()
    if not q:
        return []
    names = list((await conn.execute(select(tags.c.name).where(tags.c.name.startswith(q, autoescape=True))
                                     .order_by(func.length(tags.c.name), tags.c.name)
                                     .limit(limit))).scalars())
    return names
