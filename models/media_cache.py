"""The cache of remote files (social.media_cache): one row per remote URL, naming the stored copy."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.records import Record
from models.schema import media_cache


@dataclass(frozen=True)
class Cached(Record):
    id: int
    url: str
    name: str
    content_type: str
    size: int
    cached_at: float
    used_at: float


async def get(conn: AsyncConnection, url: str) -> Cached | None:
    row = (await conn.execute(select(media_cache).where(media_cache.c.url == url))).first()
    return Cached.from_row(row) if row else None


async def insert(conn: AsyncConnection, *, url: str, name: str, content_type: str, size: int) -> None:
    now = time.time()
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert_(media_cache).values(
        id=new_id(), url=url, name=name, content_type=content_type, size=size, cached_at=now, used_at=now,
    ).on_conflict_do_nothing(index_elements=["url"]))


async def touch(conn: AsyncConnection, cache_id: int) -> None:
    await conn.execute(update(media_cache).where(media_cache.c.id == cache_id).values(used_at=time.time()))


async def expire(conn: AsyncConnection, unused_since: float, budget: int) -> list[str]:
    """Delete entries unused since `unused_since`, then the least recently used until the rest fit
    in `budget` bytes; the names of their files."""
    gone = list((await conn.execute(delete(media_cache).where(media_cache.c.used_at < unused_since)
                                    .returning(media_cache.c.name))).scalars())
    total = (await conn.execute(select(func.coalesce(func.sum(media_cache.c.size), 0)))).scalar_one()
    if total > budget:
        rows = (await conn.execute(select(media_cache.c.id, media_cache.c.name, media_cache.c.size)
                                   .order_by(media_cache.c.used_at))).all()
        drop = []
        for row in rows:
            if total <= budget:
                break
            total -= row.size
            drop.append(row)
        await conn.execute(delete(media_cache).where(media_cache.c.id.in_([r.id for r in drop])))
        gone += [r.name for r in drop]
    return gone
