"""A chat's transcript: its posts (models.chats.window_posts: the hashtag, inside the window, as the
reader may see them) threaded under its topics, with who took part. Read-only; the pages render it
as HTML, Markdown, JSON and a series' RSS feed.

A post goes under the topic whose question it answers (it replies to the question, or to a post
that does); any other post under the topic open when it was written, or under "Before the first
question". A reply to a post in the transcript is nested under that post.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from federation.runtime import Runtime
from models import accounts, chats
from models.accounts import Account
from models.chats import Chat, Topic
from models.statuses import Status


@dataclass
class Entry:
    status: Status
    replies: list["Entry"] = field(default_factory=list)


@dataclass
class Section:
    topic: Topic | None  # None: posts written before the first question opened
    question: Status | None = None  # the host's post of the question, when the reader may see it
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Participant:
    account: Account
    posts: int


@dataclass
class Transcript:
    chat: Chat
    host: Account | None  # a person, or a group
    poster: Account | None  # who posts the questions: the host, or in a group the moderator who scheduled it
    sections: list[Section]
    participants: list[Participant]
    authors: dict[int, Account]
    count: int  # posts, questions left out


async def load(rt: Runtime, chat: Chat, viewer: Account | None, *, until: float | None = None) -> Transcript:
    """Two statements: the posts, and their authors with the host."""
    async with rt.db.read() as conn:
        posts = await chats.window_posts(conn, chat, viewer.id if viewer else None,
                                         bool(viewer and viewer.local), until=until)
        authors = await accounts.get_many(conn, {p.account_id for p in posts} | {chat.account_id, chat.created_by_id})
    return assemble(chat, posts, authors)


async def load_many(rt: Runtime, items: list[Chat]) -> list[Transcript]:
    """The transcripts of a series' occurrences as anyone may see them, in two statements however many."""
    async with rt.db.read() as conn:
        posts = await chats.window_posts_of(conn, items)
        people = {p.account_id for found in posts.values() for p in found}
        authors = await accounts.get_many(conn, people | {c.account_id for c in items} | {c.created_by_id for c in items})
    return [assemble(c, posts[c.id], authors) for c in items]


def assemble(chat: Chat, posts: list[Status], authors: dict[int, Account]) -> Transcript:
    questions = chats.questions(chat)
    posts = [p for p in posts if p.account_id in authors]
    sections = [Section(None)] + [Section(t) for t in chat.topics]
    by_topic = {s.topic.id: s for s in sections if s.topic is not None}
    entries = {p.id: Entry(p) for p in posts if p.id not in questions}
    for post in posts:
        if post.id in questions:
            by_topic[questions[post.id].id].question = post

    def answered(post: Status) -> Topic | None:
        """The question a thread of posts answers, following replies up (within the transcript)."""
        seen = 0
        while post is not None and seen < 100:
            if post.in_reply_to_id in questions:
                return questions[post.in_reply_to_id]
            parent = entries.get(post.in_reply_to_id) if post.in_reply_to_id else None
            post, seen = (parent.status if parent else None), seen + 1
        return None

    def open_at(post: Status) -> Section:
        """The topic open when the post was written. A remote post's time is often to the second:
        against a topic opening at a fractional time (chats stored before times were whole seconds,
        social.chats.whole) its first second counts; on whole seconds floor() changes nothing."""
        current = sections[0]
        for section in sections[1:]:
            opens = section.topic.starts_at  # type: ignore[union-attr]
            if (opens if post.local else math.floor(opens)) <= post.created_at:
                current = section
        return current

    for post in posts:
        entry = entries.get(post.id)
        if entry is None:
            continue
        parent = entries.get(post.in_reply_to_id) if post.in_reply_to_id else None
        if parent is not None:
            parent.replies.append(entry)
            continue
        topic = answered(post)
        (by_topic[topic.id] if topic else open_at(post)).entries.append(entry)

    counts: dict[int, int] = {}
    for entry in entries.values():
        counts[entry.status.account_id] = counts.get(entry.status.account_id, 0) + 1
    participants = [Participant(authors[a], n) for a, n in counts.items()]
    if not sections[0].entries:
        sections = sections[1:]
    return Transcript(chat, authors.get(chat.account_id), authors.get(chat.created_by_id), sections, participants,
                      authors, len(entries))
