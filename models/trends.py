"""Trends computed from what this node holds: public, live, original posts of the last days by
accounts that are not suspended or silenced. Nothing is precomputed; the windows are small."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import accounts, status_tags, statuses
from models.schema import tags as tags_table

DAY = 86400
WINDOW_DAYS = 7


def _trendable():  # noqa: ANN202
    return and_(statuses.c.visibility == "public", statuses.c.deleted_at.is_(None),
                statuses.c.reblog_of_id.is_(None), accounts.c.suspended_at.is_(None),
                accounts.c.silenced_at.is_(None))


@dataclass(frozen=True)
class DayUse:
    day: int  # 00:00 UTC of the day, as a unix time
    uses: int  # posts with the tag
    accounts: int  # distinct authors


@dataclass(frozen=True)
class TrendingTag:
    name: str
    accounts: int
    history: list[DayUse]  # newest day first, WINDOW_DAYS entries


def day_starts(now: float) -> list[int]:
    today = int(now) - int(now) % DAY
    return [today - i * DAY for i in range(WINDOW_DAYS)]


async def tags(conn: AsyncConnection, now: float, *, limit: int, offset: int = 0) -> list[TrendingTag]:
    """Tags ranked by how many distinct accounts used them in the window, then by name."""
    days = day_starts(now)
    since = days[-1]
    base = (select(tags_table.c.name, statuses.c.account_id, statuses.c.created_at)
            .select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id)
                         .join(tags_table, tags_table.c.id == status_tags.c.tag_id)
                         .join(accounts, accounts.c.id == statuses.c.account_id))
            .where(_trendable(), statuses.c.created_at >= since))
    sub = base.subquery()
    ranked = (select(sub.c.name, func.count(func.distinct(sub.c.account_id)).label("people"))
              .group_by(sub.c.name).order_by(func.count(func.distinct(sub.c.account_id)).desc(), sub.c.name)
              .limit(limit).offset(offset))
    top = (await conn.execute(ranked)).all()
    if not top:
        return []
    names = [r.name for r in top]
    uses = (await conn.execute(select(sub.c.name, sub.c.account_id, sub.c.created_at)
                               .where(sub.c.name.in_(names)))).all()
    out = []
    for row in top:
        history = []
        for day in days:
            hits = [u for u in uses if u.name == row.name and day <= u.created_at < day + DAY]
            history.append(DayUse(day, len(hits), len({u.account_id for u in hits})))
        out.append(TrendingTag(row.name, row.people, history))
    return out


async def status_ids(conn: AsyncConnection, now: float, *, limit: int, offset: int = 0) -> list[int]:
    """Public posts of the window ranked by favourites + boosts (ties: newer first); unnoticed
    posts (no favourite, no boost) do not trend."""
    score = statuses.c.favourites_count + statuses.c.reblogs_count
    stmt = (select(statuses.c.id)
            .select_from(statuses.join(accounts, accounts.c.id == statuses.c.account_id))
            .where(_trendable(), statuses.c.created_at >= now - WINDOW_DAYS * DAY, score > 0)
            .order_by(score.desc(), statuses.c.id.desc()).limit(limit).offset(offset))
    return list((await conn.execute(stmt)).scalars())
