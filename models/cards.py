"""Link preview cards: one row per URL, which is also the job that fetches it (social.cards), and
the statuses that show it."""
from __future__ import annotations

import json
import time

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.schema import preview_cards, status_cards

MAX_URL = 2000  # a longer link is nobody's article, and an index entry has a size limit on PostgreSQL


def _insert(conn: AsyncConnection, table):  # noqa: ANN001, ANN202
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


async def link(conn: AsyncConnection, status_id: int, url: str) -> bool:
    """Show the card of `url` on the status, queueing its fetch when the URL is new. True when a
    fetch was queued (the caller wakes the worker)."""
    if len(url) > MAX_URL:
        return False
    now = time.time()
    queued = (await conn.execute(_insert(conn, preview_cards).values(
        id=new_id(), url=url, state="pending", attempts=0, next_attempt_at=now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["url"]))).rowcount == 1
    card_id = (await conn.execute(select(preview_cards.c.id).where(preview_cards.c.url == url))).scalar_one()
    await conn.execute(_insert(conn, status_cards).values(status_id=status_id, card_id=card_id)
                       .on_conflict_do_update(index_elements=["status_id"], set_={"card_id": card_id}))
    return queued


async def unlink(conn: AsyncConnection, status_id: int) -> None:
    await conn.execute(delete(status_cards).where(status_cards.c.status_id == status_id))


async def fetched(conn: AsyncConnection, card_id: int, entity: dict | None) -> None:
    """The fetch is over: `entity` is the card, or None when the page offered nothing to show."""
    await conn.execute(update(preview_cards).where(preview_cards.c.id == card_id).values(
        state="done", entity=None if entity is None else json.dumps(entity), fetched_at=time.time(),
        locked_until=None, last_error=None))
