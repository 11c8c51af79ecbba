"""Polls on the wire: a status with a poll is a `Question`; a vote is a `Note` with a `name` (the
option) in reply to it, sent to the poll's author alone (as Mastodon does)."""
from __future__ import annotations

from typing import Any

from federation.sanitize import sanitize_text
from models.polls import Poll

MAX_OPTIONS = 20
MAX_VOTES = 1_000_000_000  # per option and voters; the sum of 20 options still fits 64 bits


def _iso(ts: float | None) -> str | None:
    from federation.as2 import iso

    return iso(ts)


def as_question(note: dict, poll: Poll, *, now: float | None = None) -> dict:
    """Turn a Note built by federation.as2.note_object into the Question for `poll`.

    A poll that hides its totals until it ends publishes no counts per option before then (the
    client API hides them too): the document is as public as the post.
    """
    hidden = poll.hide_totals and not poll.expired(now)
    options = [{"type": "Note", "name": o["title"]} if hidden else
               {"type": "Note", "name": o["title"], "replies": {"type": "Collection", "totalItems": o["votes_count"]}}
               for o in poll.options]
    doc = {**note, "type": "Question", "anyOf" if poll.multiple else "oneOf": options,
           "votersCount": poll.voters_count or 0}
    if poll.expires_at is not None:
        doc["endTime"] = _iso(poll.expires_at)
        if poll.expired(now):
            doc["closed"] = _iso(poll.expires_at)
    return doc


def question_values(doc: dict) -> dict | None:
    """{titles, counts, multiple, expires_at, voters_count} of a remote Question; None if it has no
    usable options."""
    from federation.as2 import parse_time

    multiple = isinstance(doc.get("anyOf"), list)
    raw = doc.get("anyOf") if multiple else doc.get("oneOf")
    if not isinstance(raw, list):
        return None
    titles, counts = [], []
    for option in raw[:MAX_OPTIONS]:
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            continue
        titles.append(sanitize_text(option["name"], 200))
        replies = option.get("replies")
        counts.append(_count(replies.get("totalItems") if isinstance(replies, dict) else 0) or 0)
    if not titles:
        return None
    expires = parse_time(doc.get("endTime")) or parse_time(doc.get("closed"))
    return {"titles": titles, "counts": counts, "multiple": multiple, "expires_at": expires,
            "voters_count": _count(doc.get("votersCount"))}


def _count(value: Any) -> int | None:
    """A remote vote count: a non-negative integer, at most MAX_VOTES (the columns hold 64 bits, and
    no poll has more voters than people); anything else is unknown."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return min(value, MAX_VOTES)


def vote_note(vote_id: str, voter_uri: str, question_uri: str, author_uri: str, title: str) -> dict:
    return {"id": vote_id, "type": "Note", "name": title, "attributedTo": voter_uri,
            "inReplyTo": question_uri, "to": [author_uri], "cc": []}


def is_vote(obj: dict) -> bool:
    """A Note with a name, in reply to something, and without content: an answer to a poll."""
    from federation.as2 import object_id, types_of

    return ("Note" in types_of(obj) and isinstance(obj.get("name"), str) and bool(object_id(obj.get("inReplyTo")))
            and not (isinstance(obj.get("content"), str) and obj["content"].strip()))
