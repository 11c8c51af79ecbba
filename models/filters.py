"""Filters v2: a person's named filters, each with keywords and/or statuses, contexts and an action.

`context` is a subset of CONTEXTS (stored as JSON); `filter_action` is warn (the client shows a
warning) or hide (the server leaves the status out). A filter with `expires_at` in the past is
inactive but kept, as on Mastodon.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import stream_events
from models.ids import new_id
from models.schema import filter_keywords, filter_statuses, filters

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")


@dataclass(frozen=True)
class Keyword:
    id: int
    filter_id: int
    keyword: str
    whole_word: bool

    def pattern(self) -> re.Pattern:
        text = re.escape(self.keyword.strip())
        return re.compile(rf"(?<!\w){text}(?!\w)" if self.whole_word else text, re.IGNORECASE)


@dataclass(frozen=True)
class FilterStatus:
    id: int
    filter_id: int
    status_id: int


@dataclass(frozen=True)
class Filter:
    id: int
    account_id: int
    title: str
    context: list[str]
    filter_action: str
    expires_at: float | None
    keywords: list[Keyword] = field(default_factory=list)
    statuses: list[FilterStatus] = field(default_factory=list)

    def active(self, now: float | None = None) -> bool:
        return self.expires_at is None or self.expires_at > (now or time.time())


async def _load(conn: AsyncConnection, rows) -> list[Filter]:  # noqa: ANN001
    ids = [r.id for r in rows]
    keywords: dict[int, list[Keyword]] = {}
    statuses: dict[int, list[FilterStatus]] = {}
    if ids:
        for k in await conn.execute(select(filter_keywords).where(filter_keywords.c.filter_id.in_(ids))
                                    .order_by(filter_keywords.c.id)):
            keywords.setdefault(k.filter_id, []).append(Keyword(k.id, k.filter_id, k.keyword, bool(k.whole_word)))
        for s in await conn.execute(select(filter_statuses).where(filter_statuses.c.filter_id.in_(ids))
                                    .order_by(filter_statuses.c.id)):
            statuses.setdefault(s.filter_id, []).append(FilterStatus(s.id, s.filter_id, s.status_id))
    return [Filter(r.id, r.account_id, r.title, json.loads(r.context), r.filter_action, r.expires_at,
                   keywords.get(r.id, []), statuses.get(r.id, [])) for r in rows]


# Built once: every signed-in page of statuses asks for the reader's filters.
_OF_ACCOUNT = select(filters).where(filters.c.account_id == bindparam("account")).order_by(filters.c.id)


async def of_account(conn: AsyncConnection, account_id: int) -> list[Filter]:
    rows = (await conn.execute(_OF_ACCOUNT, {"account": account_id})).all()
    return await _load(conn, rows)


async def active_in(conn: AsyncConnection, account_id: int, context: str) -> list[Filter]:
    now = time.time()
    return [f for f in await of_account(conn, account_id) if f.active(now) and context in f.context]


async def get(conn: AsyncConnection, account_id: int, filter_id: int) -> Filter | None:
    rows = (await conn.execute(select(filters).where(filters.c.id == filter_id,
                                                     filters.c.account_id == account_id))).all()
    found = await _load(conn, rows)
    return found[0] if found else None


async def changed(conn: AsyncConnection, account_id: int) -> None:
    """Tell the person's open streams (`filters_changed`), so their clients reload the filters."""
    await stream_events.emit(conn, stream_events.user_stream(account_id), "filters_changed")


async def insert_filter(conn: AsyncConnection, account_id: int, *, title: str, context: list[str],
                        filter_action: str, expires_at: float | None) -> int:
    filter_id = new_id()
    await conn.execute(insert(filters).values(
        id=filter_id, account_id=account_id, title=title, context=json.dumps(context),
        filter_action=filter_action, expires_at=expires_at, created_at=time.time()))
    return filter_id


async def update_filter(conn: AsyncConnection, filter_id: int, **values) -> None:
    if "context" in values:
        values["context"] = json.dumps(values["context"])
    if values:
        await conn.execute(update(filters).where(filters.c.id == filter_id).values(**values))


async def delete_filter(conn: AsyncConnection, filter_id: int) -> None:
    await conn.execute(delete(filter_keywords).where(filter_keywords.c.filter_id == filter_id))
    await conn.execute(delete(filter_statuses).where(filter_statuses.c.filter_id == filter_id))
    await conn.execute(delete(filters).where(filters.c.id == filter_id))


# --- Keywords -------------------------------------------------------------------------------------

async def add_keyword(conn: AsyncConnection, filter_id: int, keyword: str, whole_word: bool) -> Keyword:
    keyword_id = new_id()
    await conn.execute(insert(filter_keywords).values(id=keyword_id, filter_id=filter_id, keyword=keyword,
                                                      whole_word=whole_word))
    return Keyword(keyword_id, filter_id, keyword, whole_word)


async def get_keyword(conn: AsyncConnection, account_id: int, keyword_id: int) -> Keyword | None:
    row = (await conn.execute(select(filter_keywords).join(filters, filters.c.id == filter_keywords.c.filter_id)
                              .where(filter_keywords.c.id == keyword_id,
                                     filters.c.account_id == account_id))).first()
    return Keyword(row.id, row.filter_id, row.keyword, bool(row.whole_word)) if row else None


async def update_keyword(conn: AsyncConnection, keyword_id: int, **values) -> None:
    if values:
        await conn.execute(update(filter_keywords).where(filter_keywords.c.id == keyword_id).values(**values))


async def delete_keyword(conn: AsyncConnection, keyword_id: int) -> None:
    await conn.execute(delete(filter_keywords).where(filter_keywords.c.id == keyword_id))


# --- Statuses -------------------------------------------------------------------------------------

async def add_status(conn: AsyncConnection, filter_id: int, status_id: int) -> FilterStatus:
    row = (await conn.execute(select(filter_statuses).where(
        filter_statuses.c.filter_id == filter_id, filter_statuses.c.status_id == status_id))).first()
    if row is not None:
        return FilterStatus(row.id, row.filter_id, row.status_id)
    row_id = new_id()
    await conn.execute(insert(filter_statuses).values(id=row_id, filter_id=filter_id, status_id=status_id))
    return FilterStatus(row_id, filter_id, status_id)


async def get_status(conn: AsyncConnection, account_id: int, row_id: int) -> FilterStatus | None:
    row = (await conn.execute(select(filter_statuses).join(filters, filters.c.id == filter_statuses.c.filter_id)
                              .where(filter_statuses.c.id == row_id,
                                     filters.c.account_id == account_id))).first()
    return FilterStatus(row.id, row.filter_id, row.status_id) if row else None


async def delete_status(conn: AsyncConnection, row_id: int) -> None:
    await conn.execute(delete(filter_statuses).where(filter_statuses.c.id == row_id))
