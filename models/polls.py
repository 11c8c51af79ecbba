"""Polls: one per status, with their options, counts and who voted for what."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.rows import fetch, page_join
from models.schema import poll_votes, polls


# Polls read lately, by id, with the row values they were made from (Poll.from_row; capped).
_READ: dict[int, tuple[tuple, "Poll"]] = {}


@dataclass(frozen=True)
class Poll:
    id: int
    status_id: int
    account_id: int
    options: list[dict]  # [{"title": str, "votes_count": int}]
    multiple: bool
    hide_totals: bool
    expires_at: float | None
    votes_count: int
    voters_count: int | None
    ended_notified: bool

    @classmethod
    def from_row(cls, row) -> "Poll":  # noqa: ANN001
        values = (row.id, row.status_id, row.account_id, row.options, bool(row.multiple), bool(row.hide_totals),
                  row.expires_at, row.votes_count, row.voters_count, bool(row.ended_notified))
        hit = _READ.get(row.id)  # a poll read again, unchanged: the same record (options parsed once)
        if hit is not None and hit[0] == values:
            return hit[1]
        poll = cls(*values[:3], json.loads(row.options), *values[4:])
        _READ[row.id] = (values, poll)
        if len(_READ) > 2048:
            del _READ[next(iter(_READ))]
        return poll

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or time.time())


async def create(conn: AsyncConnection, *, status_id: int, account_id: int, titles: list[str],
                 multiple: bool, hide_totals: bool = False, expires_at: float | None,
                 counts: list[int] | None = None, voters_count: int | None = 0) -> Poll:
    counts = counts or [0] * len(titles)
    poll_id = new_id()
    await conn.execute(insert(polls).values(
        id=poll_id, status_id=status_id, account_id=account_id,
        options=json.dumps([{"title": t, "votes_count": c} for t, c in zip(titles, counts)]),
        multiple=multiple, hide_totals=hide_totals, expires_at=expires_at, votes_count=sum(counts),
        voters_count=voters_count, ended_notified=False, created_at=time.time()))
    return await get(conn, poll_id)  # type: ignore[return-value]


async def get(conn: AsyncConnection, poll_id: int) -> Poll | None:
    row = (await conn.execute(select(polls).where(polls.c.id == poll_id))).first()
    return Poll.from_row(row) if row else None


async def of_status(conn: AsyncConnection, status_id: int) -> Poll | None:
    row = (await conn.execute(select(polls).where(polls.c.status_id == status_id))).first()
    return Poll.from_row(row) if row else None


# Built once (see models.statuses.bound_page_ids): the notes federation serves read their polls.
_OF_STATUSES = select(polls).select_from(page_join(polls.c.status_id))


async def of_statuses(conn: AsyncConnection, status_ids) -> dict[int, Poll]:  # noqa: ANN001
    ids = list(status_ids)
    if not ids:
        return {}
    rows = await fetch(conn, _OF_STATUSES, {"ids": ids})
    return {r.status_id: Poll.from_row(r) for r in rows}


async def choices_of(conn: AsyncConnection, account_id: int, poll_ids) -> dict[int, list[int]]:  # noqa: ANN001
    ids = list(poll_ids)
    result: dict[int, list[int]] = {}
    if not ids:
        return result
    rows = await conn.execute(select(poll_votes.c.poll_id, poll_votes.c.choice).where(
        poll_votes.c.account_id == account_id, poll_votes.c.poll_id.in_(ids)).order_by(poll_votes.c.choice))
    for row in rows:
        result.setdefault(row.poll_id, []).append(row.choice)
    return result


async def has_voted(conn: AsyncConnection, poll_id: int, account_id: int) -> bool:
    return (await conn.execute(select(poll_votes.c.id).where(
        poll_votes.c.poll_id == poll_id, poll_votes.c.account_id == account_id))).first() is not None


async def add_vote(conn: AsyncConnection, poll: Poll, account_id: int, choice: int, uri: str | None) -> bool:
    """Record one choice; False when this account already chose it (or the vote's id is known)."""
    if uri and (await conn.execute(select(poll_votes.c.id).where(poll_votes.c.uri == uri))).first():
        return False
    if (await conn.execute(select(poll_votes.c.id).where(
            poll_votes.c.poll_id == poll.id, poll_votes.c.account_id == account_id,
            poll_votes.c.choice == choice))).first():
        return False
    await conn.execute(insert(poll_votes).values(id=new_id(), poll_id=poll.id, account_id=account_id,
                                                 choice=choice, uri=uri, created_at=time.time()))
    return True


async def recount(conn: AsyncConnection, poll_id: int) -> None:
    """Counts of a local poll, from its votes."""
    poll = await get(conn, poll_id)
    if poll is None:
        return
    rows = await conn.execute(select(poll_votes.c.choice, func.count()).where(poll_votes.c.poll_id == poll_id)
                              .group_by(poll_votes.c.choice))
    counts = dict(rows.all())
    options = [{"title": o["title"], "votes_count": counts.get(i, 0)} for i, o in enumerate(poll.options)]
    voters = (await conn.execute(select(func.count(func.distinct(poll_votes.c.account_id))).where(
        poll_votes.c.poll_id == poll_id))).scalar_one()
    await conn.execute(update(polls).where(polls.c.id == poll_id).values(
        options=json.dumps(options), votes_count=sum(counts.values()), voters_count=voters))


async def refresh(conn: AsyncConnection, poll_id: int, *, titles: list[str], counts: list[int],
                  voters_count: int | None, expires_at: float | None) -> None:
    """A remote poll's counts as its server reports them."""
    await conn.execute(update(polls).where(polls.c.id == poll_id).values(
        options=json.dumps([{"title": t, "votes_count": c} for t, c in zip(titles, counts)]),
        votes_count=sum(counts), voters_count=voters_count, expires_at=expires_at))


async def voter_ids(conn: AsyncConnection, poll_id: int) -> list[int]:
    return list((await conn.execute(select(poll_votes.c.account_id).where(
        poll_votes.c.poll_id == poll_id).distinct())).scalars())


async def ended_unnotified(conn: AsyncConnection, now: float) -> list[Poll]:
    rows = (await conn.execute(select(polls).where(
        polls.c.expires_at.is_not(None), polls.c.expires_at <= now,
        polls.c.ended_notified.is_(False)).limit(100))).all()
    return [Poll.from_row(r) for r in rows]


async def mark_notified(conn: AsyncConnection, poll_id: int) -> None:
    await conn.execute(update(polls).where(polls.c.id == poll_id).values(ended_notified=True))
