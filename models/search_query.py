"""What a person typed into search, taken apart: words, "exact phrases", #tags and operators, each
possibly negated with a leading `-` (Mastodon 4's search syntax).

    devops "incident review" #sre from:me has:media is:reply -kubernetes after:2026-01-31
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from models.search_index import words

HAS = ("media", "poll", "link", "image", "video", "audio")
IS = ("reply", "sensitive")
IN = ("all", "library", "public")
DAY = 86400.0
MAX_CLAUSES = 32  # a query is a question, not a document
TOKEN = re.compile(r'(-?)(?:(\w+):)?"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """An operator with a value it cannot have (the API answers 422)."""


@dataclass
class Query:
    words: list[str] = field(default_factory=list)  # each must appear
    phrases: list[list[str]] = field(default_factory=list)  # each must appear, words in order
    not_words: list[str] = field(default_factory=list)
    not_phrases: list[list[str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    not_tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # from:acct ("me" is the viewer)
    not_authors: list[str] = field(default_factory=list)
    has: list[str] = field(default_factory=list)
    not_has: list[str] = field(default_factory=list)
    is_: list[str] = field(default_factory=list)
    not_is: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    not_languages: list[str] = field(default_factory=list)
    after: float | None = None  # created_at >= this (epoch seconds, UTC day boundaries)
    before: float | None = None  # created_at < this
    scope: str = "all"  # in:library (own and interacted) | in:public | all

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def empty(self) -> bool:
        return not (self.has_text or self.tags or self.authors or self.has or self.is_ or self.languages
                    or self.after is not None or self.before is not None or self.scope != "all")

    def topic_words(self) -> list[str]:
        """Every positive word, phrase word and tag: what an expert talks about."""
        found = [*self.words, *(w for p in self.phrases for w in p), *(w for t in self.tags for w in words(t))]
        return list(dict.fromkeys(found))


def _day(value: str, operator: str) -> float:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{operator}: needs a date as YYYY-MM-DD, not {value!r}") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def parse(q: str) -> Query:
    query = Query()
    for count, match in enumerate(TOKEN.finditer(q or "")):
        if count >= MAX_CLAUSES:
            break
        negated, quoted_op, quoted, bare = match.groups()
        if quoted is not None:
            if quoted_op:  # from:"x" and the like: the operator with the quoted value
                _operator(query, quoted_op.lower(), quoted, bool(negated), match.group(0))
            else:
                _phrase(query, quoted, bool(negated))
            continue
        negated = bare.startswith("-") and len(bare) > 1
        token = bare[1:] if negated else bare
        if token.startswith("#") and len(token) > 1:
            name = token[1:].lower()
            (query.not_tags if negated else query.tags).append(name)
            continue
        operator, colon, value = token.partition(":")
        if colon and value and operator.lower() in OPERATORS:
            _operator(query, operator.lower(), value, negated, token)
            continue
        found = words(token)
        if len(found) > 1:  # `e-mail`, `k8s.io`: the words together, as a phrase
            _phrase(query, " ".join(found), negated)
        else:
            (query.not_words if negated else query.words).extend(found)
    return query


def _phrase(query: Query, value: str, negated: bool) -> None:
    found = words(value)
    if len(found) == 1:
        (query.not_words if negated else query.words).extend(found)
    elif found:
        (query.not_phrases if negated else query.phrases).append(found)


def _operator(query: Query, operator: str, value: str, negated: bool, raw: str) -> None:
    value = value.strip()
    if operator == "from":
        (query.not_authors if negated else query.authors).append(value.lstrip("@").lower())
    elif operator == "has":
        if value.lower() not in HAS:
            raise QueryError(f"has: is one of {', '.join(HAS)}, not {value!r}")
        (query.not_has if negated else query.has).append(value.lower())
    elif operator == "is":
        if value.lower() not in IS:
            raise QueryError(f"is: is one of {', '.join(IS)}, not {value!r}")
        (query.not_is if negated else query.is_).append(value.lower())
    elif operator == "language":
        (query.not_languages if negated else query.languages).append(value.lower()[:16])
    elif operator == "in":
        if value.lower() not in IN:
            raise QueryError(f"in: is one of {', '.join(IN)}, not {value!r}")
        query.scope = value.lower()
    else:  # dates: before, after, during (UTC days)
        start = _day(value, operator)
        if operator == "before":
            query.before = min(query.before or start, start)
        elif operator == "after":  # strictly after that day
            query.after = max(query.after or 0, start + DAY)
        else:
            query.after = max(query.after or 0, start)
            query.before = min(query.before or start + DAY, start + DAY)


OPERATORS = ("from", "has", "is", "language", "in", "before", "after", "during")
