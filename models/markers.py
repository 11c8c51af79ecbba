"""Read positions (markers): one row per account and timeline, with a version bumped on each save."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import markers


@dataclass(frozen=True)
class Marker:
    timeline: str
    last_read_id: int
    version: int
    updated_at: float


def _marker(row) -> Marker:  # noqa: ANN001
    return Marker(row.timeline, row.last_read_id, row.version, row.updated_at)


async def get(conn: AsyncConnection, account_id: int, timelines: list[str]) -> list[Marker]:
    if not timelines:
        return []
    rows = (await conn.execute(select(markers).where(markers.c.account_id == account_id,
                                                     markers.c.timeline.in_(timelines)))).all()
    return [_marker(r) for r in rows]


async def save(conn: AsyncConnection, account_id: int, timeline: str, last_read_id: int) -> Marker:
    now = time.time()
    where = (markers.c.account_id == account_id, markers.c.timeline == timeline)
    done = await conn.execute(update(markers).where(*where).values(
        last_read_id=last_read_id, version=markers.c.version + 1, updated_at=now))
    if done.rowcount == 0:
        await conn.execute(insert(markers).values(account_id=account_id, timeline=timeline,
                                                  last_read_id=last_read_id, version=0, updated_at=now))
    row = (await conn.execute(select(markers).where(*where))).first()
    return _marker(row)
