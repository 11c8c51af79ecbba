"""Statuses as the pages show them: a page of "cards", each a status with its author, the person who
boosted it, its images (with their descriptions), its poll, and what the viewer did to it.

The same read queries as the client API's entities (models.status_queries and friends), one
statement per kind of related data whatever the page's length, and the same visibility rule: a
status, or the original of a boost, the viewer may not see is left out, and so are the posts of
people the viewer blocks or mutes, or who block the viewer."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from models import account_queries, status_queries
from models.accounts import Account
from models.polls import Poll
from models.quotes import effective_policy
from models.statuses import Status
from pages.templating import path, shown_media


@dataclass(frozen=True)
class Image:
    url: str
    preview: str
    description: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Player:
    kind: str  # "video" or "audio"
    url: str
    poster: str | None
    description: str


@dataclass(frozen=True)
class PollView:
    poll: Poll
    expired: bool
    voted: bool
    show_totals: bool
    own_votes: list[int]

    def share(self, votes: int) -> int:
        total = self.poll.votes_count or 0
        return round(100 * votes / total) if total else 0


@dataclass(frozen=True)
class QuoteView:
    """What a quote post shows of the post it quotes: the post and its author only when its author
    accepted the quote and the viewer may see it; otherwise just the state (pending, revoked, …)."""
    state: str
    status: Status | None = None
    author: Account | None = None


@dataclass
class Card:
    status: Status  # the original, for a boost
    author: Account
    boost: Status | None = None
    booster: Account | None = None
    images: list[Image] = field(default_factory=list)
    players: list[Player] = field(default_factory=list)  # video and audio
    links: list[str] = field(default_factory=list)  # media this page cannot show inline
    poll: PollView | None = None
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    own: bool = False
    quote: QuoteView | None = None

    @property
    def quotable(self) -> bool:
        """Whether to offer Quote: the post's policy may let the viewer quote it (the thread page
        decides exactly, with whether the viewer follows its author: social.quotes.approval)."""
        return self.status.visibility != "direct" and (self.own or effective_policy(self.status) != "nobody")

    @property
    def id(self) -> int:
        """The id of the timeline entry (the boost's, for a boost)."""
        return self.boost.id if self.boost else self.status.id


def _media(rt: Runtime, card: Card, items: list) -> None:  # noqa: ANN001
    for m in items:
        poster = None
        if m.file_name:
            url = path("media", name=m.file_name)
            poster = path("media", name=m.thumb_name) if m.thumb_name else None
        else:
            url = shown_media(rt, m.remote_url, remote=True)  # type: ignore[assignment]
        if url and m.type in ("image", "gifv"):
            card.images.append(Image(url, poster or url, m.description or "", m.width, m.height))
        elif url and m.type in ("video", "audio"):
            card.players.append(Player(m.type, url, poster, m.description or ""))
        elif m.remote_url:
            card.links.append(m.remote_url)


async def cards_of_ids(conn: AsyncConnection, rt: Runtime, viewer: Account | None, ids: list[int]) -> list[Card]:
    """A timeline's page of ids (newest first), read whole."""
    items, originals, allowed = await status_queries.page_with_originals(conn, ids, viewer)
    return await _cards(conn, rt, viewer, items, originals, allowed)


async def cards_of(conn: AsyncConnection, rt: Runtime, viewer: Account | None, items: list[Status], *,
                   moderator: bool = False) -> list[Card]:
    """Statuses already read (a thread, a profile's pinned posts), in their order. `moderator`: an
    admin reviewing reported posts sees them whatever their visibility."""
    originals, allowed = await status_queries.with_originals(conn, items, viewer)
    if moderator:
        allowed = {s.id for s in items} | set(originals)
    return await _cards(conn, rt, viewer, items, originals, allowed)


async def _cards(conn: AsyncConnection, rt: Runtime, viewer: Account | None, items: list[Status],
                 originals: dict[int, Status], allowed: set[int]) -> list[Card]:
    everything = {i: s for i, s in ({s.id: s for s in items} | originals).items() if i in allowed}
    quoting = {s.quote_of_id for s in everything.values() if s.quote_of_id and s.quote_state == "accepted"}
    quoted, quoted_deleted = await status_queries.quoted(conn, quoting, viewer)  # pages with quotes only
    ids = list(everything | quoted)
    authors = {s.account_id for s in (everything | quoted).values()}
    viewer_id = viewer.id if viewer else None
    facts = await status_queries.page_facts(conn, ids, [i for i, s in everything.items() if s.local], authors,
                                            viewer_id)
    people = await account_queries.of_page(conn, facts.people(authors))
    media, polls = facts.media, facts.polls
    hidden = facts.blocked | facts.muted_accounts
    out = []
    for item in items:
        original = everything.get(item.reblog_of_id) if item.reblog_of_id else item
        if item.id not in everything or original is None:
            continue
        author = people.get(original.account_id)
        if author is None or author.id in hidden or item.account_id in hidden or item.account_id not in people:
            continue
        card = Card(original, author, favourited=original.id in facts.favourited,
                    reblogged=original.id in facts.reblogged, bookmarked=original.id in facts.bookmarked,
                    own=viewer_id == original.account_id)
        if item.reblog_of_id:
            card.boost, card.booster = item, people[item.account_id]
        if original.quote_uri:
            card.quote = _quote_view(original, quoted, quoted_deleted, people, hidden)
        _media(rt, card, media.get(original.id, []))
        poll = polls.get(original.id)
        if poll is not None:
            own_votes = facts.votes.get(poll.id, [])
            expired = poll.expired()
            card.poll = PollView(poll, expired, bool(own_votes) or card.own or viewer is None or expired,
                                 not poll.hide_totals or expired or card.own, own_votes)
        out.append(card)
    return out


def _quote_view(status: Status, quoted: dict[int, Status], deleted: set[int], people: dict, hidden: set[int],
                ) -> QuoteView:
    """The quote part of a card, by the rule of the client API's Quote (api.entities.statuses)."""
    state = status.quote_state or "pending"
    if state != "accepted":
        return QuoteView(state)
    shown = quoted.get(status.quote_of_id) if status.quote_of_id else None
    if status.quote_of_id is None or status.quote_of_id in deleted:
        return QuoteView("deleted")
    if shown is None or shown.account_id not in people or shown.account_id in hidden:
        return QuoteView("unauthorized")
    return QuoteView(state, shown, people[shown.account_id])
