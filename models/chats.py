"""Hashtag chats: the chat rows, their topics, RSVPs and the chat queue (social.chats owns the rules),
and the one read query of a chat's posts (its hashtag inside its window, as the reader may see them)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.schema import (accounts, chat_jobs, chat_rsvps, chat_topics, chats, group_posts, status_tags, statuses,
                           tags)
from models.statuses import LIVE, Status, visible_to

TRANSCRIPT_LIMIT = 2000  # posts in one transcript; a chat bigger than this is cut at its end


@dataclass(frozen=True)
class Topic:
    id: int
    chat_id: int
    position: int
    text: str
    starts_at: float
    status_id: int | None
    series_text: str | None = None  # edited for this occurrence only: what the weeks after ask

    @property
    def next_text(self) -> str:
        return self.series_text or self.text


@dataclass(frozen=True)
class Chat:
    id: int
    account_id: int
    created_by_id: int
    hashtag: str
    title: str
    starts_at: float
    ends_at: float
    recurrence: str | None
    series_id: int
    occurrence: int
    announcement_status_id: int | None
    cancelled_at: float | None
    created_at: float
    topics: tuple[Topic, ...] = ()

    @property
    def tag(self) -> str:
        return self.hashtag.lower()

    def state(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if now < self.starts_at:
            return "scheduled"
        return "live" if now < self.ends_at else "ended"


@dataclass(frozen=True)
class Job:
    id: int
    chat_id: int
    kind: str
    topic_id: int | None
    status_id: int | None
    attempts: int
    account_id: int | None = None


def _chat(row, topics) -> Chat:  # noqa: ANN001
    mapping = row._mapping
    names = [f.name for f in fields(Chat) if f.name != "topics"]
    return Chat(**{n: mapping[n] for n in names}, topics=tuple(topics))


def _topic(row) -> Topic:  # noqa: ANN001
    return Topic(row.id, row.chat_id, row.position, row.text, row.starts_at, row.status_id, row.series_text)


async def insert_chat(conn: AsyncConnection, *, account_id: int, created_by_id: int, hashtag: str, title: str,
                      starts_at: float, ends_at: float, recurrence: str | None, topics: list[tuple[str, float]],
                      series_id: int | None = None, occurrence: int = 1) -> int:
    """Store an occurrence and its topics (text, opening time); returns its id."""
    chat_id = new_id()
    await conn.execute(insert(chats).values(
        id=chat_id, account_id=account_id, created_by_id=created_by_id, hashtag=hashtag, title=title,
        starts_at=starts_at, ends_at=ends_at, recurrence=recurrence, series_id=series_id or chat_id,
        occurrence=occurrence, created_at=time.time()))
    await conn.execute(insert(chat_topics), [
        {"id": new_id(), "chat_id": chat_id, "position": i + 1, "text": text, "starts_at": at}
        for i, (text, at) in enumerate(topics)])
    return chat_id


async def get_many(conn: AsyncConnection, ids: list[int]) -> dict[int, Chat]:
    """Chats by id with their topics, in two statements; cancelled ones are left out."""
    if not ids:
        return {}
    rows = (await conn.execute(select(chats).where(chats.c.id.in_(ids), chats.c.cancelled_at.is_(None)))).all()
    topic_rows = (await conn.execute(select(chat_topics).where(chat_topics.c.chat_id.in_(ids))
                                     .order_by(chat_topics.c.position))).all()
    by_chat: dict[int, list[Topic]] = {}
    for t in topic_rows:
        by_chat.setdefault(t.chat_id, []).append(_topic(t))
    return {r.id: _chat(r, by_chat.get(r.id, [])) for r in rows}


async def get(conn: AsyncConnection, chat_id: int) -> Chat | None:
    return (await get_many(conn, [chat_id])).get(chat_id)


async def listing(conn: AsyncConnection, *, upcoming: bool, now: float, limit: int) -> list[Chat]:
    """Chats not yet ended, soonest first; or ended ones, latest first."""
    stmt = select(chats.c.id).where(chats.c.cancelled_at.is_(None))
    if upcoming:
        stmt = stmt.where(chats.c.ends_at > now).order_by(chats.c.starts_at, chats.c.id)
    else:
        stmt = stmt.where(chats.c.ends_at <= now).order_by(chats.c.starts_at.desc(), chats.c.id.desc())
    ids = list((await conn.execute(stmt.limit(limit))).scalars())
    found = await get_many(conn, ids)
    return [found[i] for i in ids if i in found]


async def series(conn: AsyncConnection, series_id: int, *, limit: int = 52) -> list[Chat]:
    """A series' occurrences, latest first."""
    ids = list((await conn.execute(select(chats.c.id).where(
        chats.c.series_id == series_id, chats.c.cancelled_at.is_(None))
        .order_by(chats.c.starts_at.desc()).limit(limit))).scalars())
    found = await get_many(conn, ids)
    return [found[i] for i in ids if i in found]


async def cancel(conn: AsyncConnection, chat_id: int) -> None:
    """Mark it cancelled and drop what it had still to post (what it posted stays)."""
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(cancelled_at=time.time()))
    await conn.execute(update(chat_jobs).where(chat_jobs.c.chat_id == chat_id, chat_jobs.c.state == "pending")
                       .values(state="cancelled"))


async def replace_plan(conn: AsyncConnection, chat_id: int, *, title: str, starts_at: float, ends_at: float,
                       topics: list[tuple[str, float]]) -> set[str]:
    """A chat that has not started gets a new title, window and topics; its pending question,
    reminder and next-week jobs are dropped, and their kinds returned (the caller queues them again)."""
    pending = set((await conn.execute(select(chat_jobs.c.kind).where(
        chat_jobs.c.chat_id == chat_id, chat_jobs.c.state == "pending"))).scalars())
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(title=title, starts_at=starts_at,
                                                                         ends_at=ends_at))
    await conn.execute(delete(chat_topics).where(chat_topics.c.chat_id == chat_id))
    await conn.execute(insert(chat_topics), [
        {"id": new_id(), "chat_id": chat_id, "position": i + 1, "text": text, "starts_at": at}
        for i, (text, at) in enumerate(topics)])
    await conn.execute(update(chat_jobs).where(chat_jobs.c.chat_id == chat_id, chat_jobs.c.state == "pending",
                                               chat_jobs.c.kind.in_(["reminder", "question", "next"]))
                       .values(state="cancelled"))
    return pending


async def edit_topic(conn: AsyncConnection, topic: Topic, text: str) -> None:
    """This occurrence asks `text`; the weeks after keep asking what the series asked."""
    await conn.execute(update(chat_topics).where(chat_topics.c.id == topic.id, chat_topics.c.status_id.is_(None))
                       .values(text=text, series_text=topic.series_text or topic.text))


async def set_announcement(conn: AsyncConnection, chat_id: int, status_id: int) -> None:
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(announcement_status_id=status_id))


async def set_topic_status(conn: AsyncConnection, topic_id: int, status_id: int) -> None:
    await conn.execute(update(chat_topics).where(chat_topics.c.id == topic_id).values(status_id=status_id))


# --- RSVPs ----------------------------------------------------------------------------------------

async def add_rsvp(conn: AsyncConnection, chat_id: int, account_id: int) -> None:
    exists = (await conn.execute(select(chat_rsvps.c.chat_id).where(
        chat_rsvps.c.chat_id == chat_id, chat_rsvps.c.account_id == account_id))).first()
    if not exists:
        await conn.execute(insert(chat_rsvps).values(chat_id=chat_id, account_id=account_id, created_at=time.time()))


async def rsvps_from(conn: AsyncConnection, chat_id: int, domain: str, *, besides: int) -> int:
    """How many people on the server `domain` but `besides` said they would attend."""
    return (await conn.execute(select(func.count()).select_from(chat_rsvps)
                               .join(accounts, accounts.c.id == chat_rsvps.c.account_id)
                               .where(chat_rsvps.c.chat_id == chat_id, accounts.c.domain == domain,
                                      chat_rsvps.c.account_id != besides))).scalar_one()


async def remove_rsvp(conn: AsyncConnection, chat_id: int, account_id: int) -> None:
    await conn.execute(delete(chat_rsvps).where(chat_rsvps.c.chat_id == chat_id, chat_rsvps.c.account_id == account_id))


async def rsvp_ids(conn: AsyncConnection, chat_id: int) -> list[int]:
    return list((await conn.execute(select(chat_rsvps.c.account_id).where(chat_rsvps.c.chat_id == chat_id)
                                    .order_by(chat_rsvps.c.created_at))).scalars())


async def rsvps_by_place(conn: AsyncConnection, chat_id: int) -> tuple[list[int], list[int]]:
    """Who said they would attend: (this node's people, people on other servers), in one statement."""
    rows = (await conn.execute(select(chat_rsvps.c.account_id, accounts.c.domain.is_(None))
                               .join(accounts, accounts.c.id == chat_rsvps.c.account_id)
                               .where(chat_rsvps.c.chat_id == chat_id).order_by(chat_rsvps.c.created_at))).all()
    return [r[0] for r in rows if r[1]], [r[0] for r in rows if not r[1]]


async def rsvp_counts(conn: AsyncConnection, chat_ids: list[int], viewer_id: int | None) -> tuple[dict[int, int], set[int]]:
    """(attendees per chat, the chats the viewer said they would attend), in one statement."""
    if not chat_ids:
        return {}, set()
    mine = func.sum(case((chat_rsvps.c.account_id == viewer_id, 1), else_=0)) if viewer_id is not None else func.sum(0)
    rows = (await conn.execute(select(chat_rsvps.c.chat_id, func.count(), mine)
                               .where(chat_rsvps.c.chat_id.in_(chat_ids)).group_by(chat_rsvps.c.chat_id))).all()
    return {r[0]: r[1] for r in rows}, {r[0] for r in rows if r[2]}


# --- The chat queue -------------------------------------------------------------------------------

async def add_job(conn: AsyncConnection, chat_id: int, kind: str, due_at: float, topic_id: int | None = None,
                  account_id: int | None = None) -> None:
    await conn.execute(insert(chat_jobs).values(
        id=new_id(), chat_id=chat_id, kind=kind, topic_id=topic_id, account_id=account_id, state="pending",
        attempts=0, next_attempt_at=due_at, created_at=time.time()))


async def add_jobs(conn: AsyncConnection, chat_id: int, kind: str, due_at: float, account_ids: list[int]) -> None:
    """One job per account, in one statement."""
    if account_ids:
        await conn.execute(insert(chat_jobs), [
            {"id": new_id(), "chat_id": chat_id, "kind": kind, "topic_id": None, "account_id": a, "state": "pending",
             "attempts": 0, "next_attempt_at": due_at, "created_at": time.time()} for a in account_ids])


async def job_status_id(conn: AsyncConnection, job_id: int) -> int:
    """The id the job's post gets: chosen on its first attempt (at its time, so it sorts where it was
    posted) and kept for every retry."""
    chosen = new_id()
    await conn.execute(update(chat_jobs).where(chat_jobs.c.id == job_id, chat_jobs.c.status_id.is_(None))
                       .values(status_id=chosen))
    return (await conn.execute(select(chat_jobs.c.status_id).where(chat_jobs.c.id == job_id))).scalar_one()


async def finish_job(conn: AsyncConnection, job_id: int, *, state: str = "done", error: str | None = None,
                     only_pending: bool = False) -> bool:
    """Mark a job finished; with `only_pending`, False when it was finished already (by another worker)."""
    stmt = update(chat_jobs).where(chat_jobs.c.id == job_id)
    if only_pending:
        stmt = stmt.where(chat_jobs.c.state == "pending")
    done = await conn.execute(stmt.values(state=state, locked_until=None, last_error=error))
    return done.rowcount > 0


def job_from_row(row) -> Job:  # noqa: ANN001
    return Job(row.id, row.chat_id, row.kind, row.topic_id, row.status_id, row.attempts, row.account_id)


# --- The posts of a chat --------------------------------------------------------------------------

def _in_window(chat: Chat, until: float | None = None):  # noqa: ANN202
    """A post of the chat: its hashtag, written inside its window [start, end) (or up to `until`)."""
    end = chat.ends_at if until is None else min(chat.ends_at, until)
    tagged = (select(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)
              .where(tags.c.name == chat.tag))
    # In a group's chat, what its moderators removed, and the replies to it (no rows for a person's chat).
    removed = select(group_posts.c.status_id).where(group_posts.c.group_id == chat.account_id,
                                                    group_posts.c.state == "removed")
    return and_(
        statuses.c.id.in_(tagged),
        # The window is [start, end), both whole seconds (social.chats.whole), so a remote post's
        # `published` to the second compares exactly. Chats stored before that had fractional times:
        # there a remote post of the window's first second counts (floor() is a no-op on whole seconds).
        or_(statuses.c.created_at >= chat.starts_at,
            and_(statuses.c.local.is_(False), statuses.c.created_at >= math.floor(chat.starts_at))),
        statuses.c.created_at < end,
        statuses.c.id.not_in(removed),
        or_(statuses.c.in_reply_to_id.is_(None), statuses.c.in_reply_to_id.not_in(removed)))


def _shown(viewer_id: int | None, viewer_is_local: bool):  # noqa: ANN202
    shown = visible_to(viewer_id)
    if not viewer_is_local:
        shown = and_(shown, statuses.c.visibility != "local")
    suspended = select(accounts.c.id).where(accounts.c.suspended_at.is_not(None))
    return and_(LIVE, statuses.c.reblog_of_id.is_(None), shown, statuses.c.account_id.not_in(suspended))


async def window_posts(conn: AsyncConnection, chat: Chat, viewer_id: int | None, viewer_is_local: bool,
                       *, until: float | None = None) -> list[Status]:
    """Posts carrying the chat's hashtag written inside its window (or up to `until`), oldest first,
    as the viewer may see them (models.statuses.visible_to), deleted and removed ones left out, and
    suspended authors' too, and in a group's chat what a moderator removed. One statement."""
    rows = (await conn.execute(select(statuses).where(_in_window(chat, until), _shown(viewer_id, viewer_is_local))
                               .order_by(statuses.c.created_at, statuses.c.id).limit(TRANSCRIPT_LIMIT))).all()
    return [Status.from_row(r) for r in rows]


async def window_posts_of(conn: AsyncConnection, items: list[Chat]) -> dict[int, list[Status]]:
    """window_posts() of a series' occurrences as anyone may see them, in one statement (its feed). They
    share their hashtag and host, and their windows do not overlap: a post belongs to the window it is in."""
    if not items:
        return {}
    rows = (await conn.execute(select(statuses).where(or_(*[_in_window(c) for c in items]), _shown(None, False))
                               .order_by(statuses.c.created_at, statuses.c.id)
                               .limit(TRANSCRIPT_LIMIT * len(items)))).all()
    posts = [Status.from_row(r) for r in rows]
    out: dict[int, list[Status]] = {c.id: [] for c in items}
    for chat in items:
        floor = math.floor(chat.starts_at)
        out[chat.id] = [p for p in posts if (p.created_at >= chat.starts_at or (
            not p.local and p.created_at >= floor)) and p.created_at < chat.ends_at][:TRANSCRIPT_LIMIT]
    return out


def questions(chat: Chat) -> dict[int, Topic]:
    """The question posts of a chat, by status id."""
    return {t.status_id: t for t in chat.topics if t.status_id is not None}

