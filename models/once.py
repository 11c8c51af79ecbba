"""Rows that a person adds at most once (a like, a block, a bookmark, a domain block): adding again
is a no-op the caller can see, so counters and notifications happen once."""
from __future__ import annotations

import time

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id


async def insert_once(conn: AsyncConnection, table: Table, key: dict, **extra) -> bool:  # noqa: ANN003
    """Insert a row of `key` (column → value) plus `extra`, with a new id and created_at, unless a
    row of that key exists. True when it was new."""
    if (await conn.execute(select(table.c.id).where(*(table.c[k] == v for k, v in key.items())))).first():
        return False
    await conn.execute(insert(table).values(id=new_id(), created_at=time.time(), **key, **extra))
    return True
