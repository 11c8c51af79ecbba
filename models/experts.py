"""Who talks about a topic: accounts ranked by their public posts and their profile.

An account's score is the sum, over its best posts matching the topic, of
    relevance × (1.5 if tagged with a topic word) × (1 + ln(1 + replies + favourites + 2 × boosts
    by other people)) × ½^(age in days / 180)
plus 3 × relevance for a profile (name, bio, fields) that matches. Relevance is the database's rank
scaled into ½…1 against the best hit of the same query, so both databases rank alike.

Posts count only when public, by a discoverable and indexable account (their posts may be shown);
a discoverable account that is not indexable is found by its profile alone. Three statements,
whatever the page: the posts, the profiles, the page's hashtags.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import listed_people
from models.schema import accounts, favourites, status_tags, statuses, tags
from models.search import PEOPLE, match, matching_profiles
from models.search_index import STATUS_TABLE
from models.statuses import LIVE, visible_to

MAX_POSTS = 500  # the best-ranked matching posts weighed per query (each costs a few index probes)
POSTS_PER_ACCOUNT = 20  # an account's best posts that count: talking more helps, up to a point
EVIDENCE = 3  # posts shown for each expert
HALF_LIFE_DAYS = 180.0
PROFILE_WEIGHT = 3.0
TOP_TAGS = 5


@dataclass
class Expert:
    account_id: int
    score: float = 0.0
    posts: int = 0  # matching posts weighed
    evidence: list[tuple[float, int]] = field(default_factory=list)  # (score, status id)
    hashtags: list[tuple[str, int]] = field(default_factory=list)

    @property
    def status_ids(self) -> list[int]:
        return [status_id for _, status_id in sorted(self.evidence, reverse=True)[:EVIDENCE]]


def _scaled(rank: float, best: float) -> float:
    return 0.5 + 0.5 * (rank / best) if best > 0 else 1.0


async def rank(conn: AsyncConnection, topic: list[str], viewer_id: int | None, *, limit: int, offset: int = 0,
               local: bool = False, now: float | None = None) -> list[Expert]:
    """The accounts that talk best about `topic` (index words), best first."""
    if not topic:
        return []
    now = time.time() if now is None else now
    found: dict[int, Expert] = {}
    per_account: dict[int, list[float]] = {}
    for row, relevance in await _posts(conn, topic, viewer_id, local):
        engagement = row.replies + row.favourites + 2 * row.boosts
        age_days = max(now - row.created_at, 0) / 86400
        score = (relevance * (1.5 if row.tagged else 1.0) * (1 + math.log1p(engagement))
                 * 0.5 ** (age_days / HALF_LIFE_DAYS))
        expert = found.setdefault(row.account_id, Expert(row.account_id))
        expert.posts += 1
        expert.evidence.append((score, row.id))
        per_account.setdefault(row.account_id, []).append(score)
    for account_id, scores in per_account.items():
        found[account_id].score = sum(sorted(scores, reverse=True)[:POSTS_PER_ACCOUNT])
    profiles = await matching_profiles(conn, topic, limit=max(200, limit + offset), local=local, viewer_id=viewer_id)
    best = max((r for _, r in profiles), default=0.0)
    for account_id, profile_rank in profiles:
        expert = found.setdefault(account_id, Expert(account_id))
        expert.score += PROFILE_WEIGHT * _scaled(profile_rank, best)
    ordered = sorted(found.values(), key=lambda e: (-e.score, -e.account_id))[offset:offset + limit]
    await _hashtags(conn, ordered)
    return ordered


async def _posts(conn: AsyncConnection, topic: list[str], viewer_id: int | None, local: bool) -> list:
    s = statuses
    others = s.alias("others")
    hits = match(conn.dialect.name, STATUS_TABLE, [[w] for w in topic], any_of=True, best=2 * MAX_POSTS)  # some are not public

    def count_of(*conds):  # noqa: ANN002, ANN202
        return select(func.count()).where(*conds).scalar_subquery()

    stmt = (select(s.c.id, s.c.account_id, s.c.created_at, hits.c.rank,
                   select(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)
                   .where(status_tags.c.status_id == s.c.id, tags.c.name.in_(topic)).exists().label("tagged"),
                   count_of(favourites.c.status_id == s.c.id, favourites.c.account_id != s.c.account_id)
                   .label("favourites"),
                   count_of(others.c.reblog_of_id == s.c.id, others.c.account_id != s.c.account_id,
                            others.c.deleted_at.is_(None)).label("boosts"),
                   count_of(others.c.in_reply_to_id == s.c.id, others.c.account_id != s.c.account_id,
                            others.c.deleted_at.is_(None)).label("replies"))
            .select_from(hits.join(s, s.c.id == hits.c.id).join(accounts, accounts.c.id == s.c.account_id))
            .where(LIVE, s.c.visibility == "public", visible_to(viewer_id),  # boosts have no document
                   listed_people(), accounts.c.indexable.is_(True), accounts.c.actor_type.in_(PEOPLE))
            .order_by(hits.c.rank.desc(), s.c.id.desc()).limit(MAX_POSTS))
    if local:
        stmt = stmt.where(accounts.c.domain.is_(None))
    rows = (await conn.execute(stmt)).all()
    best = max((float(r.rank or 0) for r in rows), default=0.0)
    return [(row, _scaled(float(row.rank or 0), best)) for row in rows]


async def _hashtags(conn: AsyncConnection, experts: list[Expert]) -> None:
    """Each expert's most used hashtags in their public posts (indexable accounts only)."""
    if not experts:
        return
    uses = func.count().label("uses")
    rows = await conn.execute(
        select(statuses.c.account_id, tags.c.name, uses)
        .join(status_tags, status_tags.c.status_id == statuses.c.id).join(tags, tags.c.id == status_tags.c.tag_id)
        .join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.account_id.in_([e.account_id for e in experts]), LIVE, accounts.c.indexable.is_(True),
               and_(statuses.c.visibility == "public", statuses.c.reblog_of_id.is_(None)))
        .group_by(statuses.c.account_id, tags.c.name)
        .order_by(statuses.c.account_id, uses.desc(), tags.c.name))
    by_account: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        by_account.setdefault(row.account_id, []).append((row.name, row.uses))
    for expert in experts:
        expert.hashtags = by_account.get(expert.account_id, [])[:TOP_TAGS]
