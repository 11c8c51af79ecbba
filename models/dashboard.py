"""What the admin dashboard plots, each in one statement over a bounded window of days: local posts
and the people who posted them per day, deliveries per day by outcome, and the domains with the most
failed deliveries. Days are whole UTC days since 1970-01-01; a float timestamp becomes one by an
integer cast and an integer division, the same on SQLite and PostgreSQL (PostgreSQL's cast rounds,
so a post in the last half second of a day may count for the next: fine for a chart)."""
from __future__ import annotations

import time
from typing import Mapping

from sqlalchemy import BigInteger, bindparam, cast, func, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.rows import execute
from models.schema import accounts, active_days, delivery_days, favourites, follows, oauth_tokens, statuses, users

DAY = 86400
FAILED = ("retry", "dropped")


def day_of(ts: float) -> int:
    return int(ts // DAY)


_COUNT_DELIVERIES: dict[str, object] = {}


def _count_deliveries_statement(dialect: str):  # noqa: ANN202
    """The upsert adding to a day's count, built once per dialect (the delivery worker runs it with
    every claim that marks deliveries done)."""
    built = _COUNT_DELIVERIES.get(dialect)
    if built is None:
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(delivery_days).values(
            day=bindparam("day"), domain=bindparam("domain"), outcome=bindparam("outcome"), count=bindparam("times"))
        built = _COUNT_DELIVERIES[dialect] = stmt.on_conflict_do_update(
            index_elements=["day", "domain", "outcome"], set_={"count": delivery_days.c.count + stmt.excluded.count})
    return built


async def count_delivery(conn: AsyncConnection, domain: str, outcome: str, at: float | None = None,
                         times: int = 1) -> None:
    """`times` more delivery attempts to `domain` that ended in `outcome` today."""
    await count_deliveries(conn, {domain: times}, outcome, at)


async def count_deliveries(conn: AsyncConnection, times: Mapping[str, int], outcome: str,
                           at: float | None = None) -> None:
    """More delivery attempts that ended in `outcome` today: `times[domain]` for each domain."""
    if not times:
        return
    day = day_of(time.time() if at is None else at)
    await execute(conn, _count_deliveries_statement(conn.dialect.name),
                  [{"day": day, "domain": domain, "outcome": outcome, "times": n} for domain, n in times.items()])


async def note_active(conn: AsyncConnection, account_id: int, at: float) -> None:
    """`account_id` used the node on the day of `at` (once a day is enough)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(dialect_insert(active_days).values(day=day_of(at), account_id=account_id)
                       .on_conflict_do_nothing(index_elements=["day", "account_id"]))


async def posts_per_day(conn: AsyncConnection, first_day: int) -> dict[int, tuple[int, int]]:
    """{day: (local posts, local people who posted)} from `first_day` on (boosts count as posts)."""
    day = (cast(statuses.c.created_at, BigInteger) // DAY).label("day")
    rows = (await conn.execute(
        select(day, func.count(), func.count(statuses.c.account_id.distinct()))
        .where(statuses.c.local.is_(True), statuses.c.created_at >= first_day * DAY,
               statuses.c.deleted_at.is_(None))
        .group_by(day))).all()
    return {int(r[0]): (r[1], r[2]) for r in rows}


async def active_per_day(conn: AsyncConnection, first_day: int) -> dict[int, int]:
    """{day: local people who used the node} from `first_day` on, as Mastodon's "active users": whose
    token an app or a web session used that day (active_days), who signed in (a token made that
    day), or who acted (posted, boosted, favourited, followed)."""
    since = first_day * DAY

    def of(table, when, who, *where):  # noqa: ANN001, ANN002, ANN202
        return select((cast(when, BigInteger) // DAY).label("day"), who.label("account_id")).select_from(table).where(
            when >= since, *where)

    local = accounts.c.domain.is_(None)
    acts = union_all(
        of(statuses, statuses.c.created_at, statuses.c.account_id, statuses.c.local.is_(True)),
        of(favourites.join(accounts, accounts.c.id == favourites.c.account_id), favourites.c.created_at,
           favourites.c.account_id, local),
        of(follows.join(accounts, accounts.c.id == follows.c.account_id), follows.c.created_at, follows.c.account_id,
           local),
        of(oauth_tokens.join(users, users.c.id == oauth_tokens.c.user_id), oauth_tokens.c.created_at,
           users.c.account_id),
        select(active_days.c.day, active_days.c.account_id).where(active_days.c.day >= first_day)).subquery()
    rows = (await conn.execute(select(acts.c.day, func.count(acts.c.account_id.distinct())).group_by(acts.c.day))).all()
    return {int(day): int(count) for day, count in rows}


async def deliveries_per_day(conn: AsyncConnection, first_day: int) -> dict[int, dict[str, int]]:
    """{day: {outcome: count}} from `first_day` on."""
    rows = (await conn.execute(
        select(delivery_days.c.day, delivery_days.c.outcome, func.sum(delivery_days.c.count))
        .where(delivery_days.c.day >= first_day)
        .group_by(delivery_days.c.day, delivery_days.c.outcome))).all()
    found: dict[int, dict[str, int]] = {}
    for day, outcome, count in rows:
        found.setdefault(int(day), {})[outcome] = int(count)
    return found


async def failing_domains(conn: AsyncConnection, first_day: int, limit: int = 10) -> list[tuple[str, int]]:
    """The domains with the most failed delivery attempts (retried or given up) since `first_day`."""
    total = func.sum(delivery_days.c.count).label("failures")
    rows = (await conn.execute(
        select(delivery_days.c.domain, total)
        .where(delivery_days.c.day >= first_day, delivery_days.c.outcome.in_(FAILED))
        .group_by(delivery_days.c.domain).order_by(total.desc(), delivery_days.c.domain).limit(limit))).all()
    return [(r.domain, int(r.failures)) for r in rows]
