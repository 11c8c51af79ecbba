"""Reads about statuses that the client API and the pages need beyond models.statuses: the
visibility rule applied to a batch of ids, the viewer's own boosts, who liked or boosted a post, the
hashtag timeline, lookups by URL, a post's earlier revisions and home-timeline membership."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Float, and_, bindparam, case, exists, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account
from models.media import Media
from models.polls import Poll
from models.rows import IdTable, JsonRow, fact, fetch, page_join
from models.schema import (accounts, blocks, bookmarks, conversation_mutes, favourites, filters, follows, home_feed,
                           list_accounts, lists, media_attachments, mentions, mutes, pins, poll_votes, polls,
                           preview_cards, status_cards, status_edits, status_tags, statuses, tags)
from models.statuses import LIVE, Status, paginate, visible_to


async def reblogged_ids(conn: AsyncConnection, account_id: int, status_ids) -> set[int]:  # noqa: ANN001
    """Which of `status_ids` the account has boosted (and not undone)."""
    ids = list(status_ids)
    if not ids:
        return set()
    return set((await conn.execute(select(statuses.c.reblog_of_id).where(
        statuses.c.account_id == account_id, statuses.c.reblog_of_id.in_(ids), LIVE))).scalars())


async def blocked_either_way(conn: AsyncConnection, viewer_id: int, account_ids) -> set[int]:  # noqa: ANN001
    """Which of `account_ids` the viewer blocks or is blocked by: their posts stay out of its lists."""
    ids = list(set(account_ids) - {viewer_id})
    if not ids:
        return set()
    rows = await conn.execute(select(blocks.c.account_id, blocks.c.target_account_id).where(
        or_((blocks.c.account_id == viewer_id) & blocks.c.target_account_id.in_(ids),
            (blocks.c.target_account_id == viewer_id) & blocks.c.account_id.in_(ids))))
    return {r.target_account_id if r.account_id == viewer_id else r.account_id for r in rows}


async def visible_ids(conn: AsyncConnection, status_ids, viewer: Account | None) -> set[int]:  # noqa: ANN001
    """The subset of `status_ids` the viewer may see, in one query (threads, search results)."""
    ids = list(status_ids)
    if not ids:
        return set()
    stmt = select(statuses.c.id).where(statuses.c.id.in_(ids), LIVE,
                                       visible_to(viewer.id if viewer else None))
    if viewer is None or not viewer.local:
        stmt = stmt.where(statuses.c.visibility != "local")
    return set((await conn.execute(stmt)).scalars())


async def seen_by(conn: AsyncConnection, found, viewer: Account | None) -> set[int]:  # noqa: ANN001
    """Which of the loaded statuses `found` the viewer may see now: models.statuses.visible_to, and
    local-only posts for local viewers only. Unlike visible_ids a deleted status still counts (its
    author is answered with it once more, for "delete and redraft"). One query for the batch."""
    found = list(found)
    if not found:
        return set()
    viewer_local = viewer is not None and viewer.local
    ids = [s.id for s in found if viewer_local or s.visibility != "local"]
    if not ids:
        return set()
    stmt = select(statuses.c.id).where(statuses.c.id.in_(ids), visible_to(viewer.id if viewer else None))
    return set((await conn.execute(stmt)).scalars())


async def favourited_by(conn: AsyncConnection, status_id: int, **page) -> list[tuple[int, Account]]:
    """(favourite id, account) pairs, newest first."""
    stmt = (select(favourites.c.id.label("cursor"), accounts)
            .join(accounts, accounts.c.id == favourites.c.account_id)
            .where(favourites.c.status_id == status_id, accounts.c.suspended_at.is_(None)))
    return await _account_page(conn, stmt, favourites.c.id, page)


async def reblogged_by(conn: AsyncConnection, status_id: int, **page) -> list[tuple[int, Account]]:
    """(boost status id, account) pairs, newest first."""
    stmt = (select(statuses.c.id.label("cursor"), accounts)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(statuses.c.reblog_of_id == status_id, LIVE, accounts.c.suspended_at.is_(None)))
    return await _account_page(conn, stmt, statuses.c.id, page)


async def _account_page(conn: AsyncConnection, stmt, column, page: dict) -> list[tuple[int, Account]]:  # noqa: ANN001
    stmt, ascending = paginate(stmt, column, **page)
    rows = (await conn.execute(stmt)).all()
    pairs = [(r.cursor, Account.from_row(r)) for r in rows]
    return list(reversed(pairs)) if ascending else pairs


async def status_by_url(conn: AsyncConnection, url: str) -> Status | None:
    """A stored status by its ActivityPub id, or a local one by its web page address. A remote
    post's `url` came from its document and proves nothing: it is never a key (api/search.py)."""
    row = (await conn.execute(select(statuses).where(
        or_(statuses.c.uri == url, and_(statuses.c.local.is_(True), statuses.c.url == url)), LIVE,
        statuses.c.reblog_of_id.is_(None)).limit(1))).first()
    return Status.from_row(row) if row else None


async def edits_of(conn: AsyncConnection, status_id: int) -> list:
    """The earlier revisions of a status (rows of status_edits), oldest first."""
    return list((await conn.execute(select(status_edits).where(status_edits.c.status_id == status_id)
                                    .order_by(status_edits.c.created_at, status_edits.c.id))).all())


async def in_home(conn: AsyncConnection, account_id: int, status_id: int) -> bool:
    return (await conn.execute(select(home_feed.c.status_id).where(
        home_feed.c.account_id == account_id, home_feed.c.status_id == status_id))).first() is not None


# --- A page's facts, in few statements (api/entities/statuses.py) -------------------------------------
# Built once, with bind parameters: SQLAlchemy then neither rebuilds nor re-keys them per request, and
# finds their compiled form in its cache.

_VIEWER = bindparam("viewer", type_=BigInteger)


def _pinned(viewer: bool, viewer_is_local: bool):  # noqa: ANN202
    stmt = (select(pins.c.status_id).join(statuses, statuses.c.id == pins.c.status_id)
            .where(pins.c.account_id == bindparam("account", type_=BigInteger), LIVE,
                   visible_to(_VIEWER if viewer else None)).order_by(pins.c.id.desc()))
    return stmt if viewer_is_local else stmt.where(statuses.c.visibility != "local")


_PINNED = {(viewer, local): _pinned(viewer, local) for viewer in (True, False) for local in (True, False)}


async def pinned_ids(conn: AsyncConnection, account_id: int, viewer: Account | None) -> list[int]:
    """An account's pinned live statuses that the viewer may see (as visible_ids), most recently
    pinned first, in one statement built once."""
    viewer_local = viewer is not None and viewer.local
    params = {"account": account_id} | ({"viewer": viewer.id} if viewer else {})
    return [row.status_id for row in await fetch(conn, _PINNED[(viewer is not None, viewer_local)], params)]


def _with_originals(viewer: bool):  # noqa: ANN202
    seen = visible_to(_VIEWER if viewer else None).label("seen")
    return select(statuses, seen).select_from(page_join(statuses.c.id))


_WITH_ORIGINALS = {True: _with_originals(True), False: _with_originals(False)}


async def with_originals(conn: AsyncConnection, items, viewer: Account | None) -> tuple[dict[int, Status], set[int]]:  # noqa: ANN001
    """The live originals of the boosts among `items`, and which of the items and originals the
    viewer may see now (as `seen_by`), in one statement."""
    wanted = {s.reblog_of_id for s in items if s.reblog_of_id} | {s.id for s in items}
    if not wanted:
        return {}, set()
    params = {"ids": list(wanted)} | ({"viewer": viewer.id} if viewer else {})
    rows = await fetch(conn, _WITH_ORIGINALS[viewer is not None], params)
    item_ids = {s.id for s in items}
    viewer_local = viewer is not None and viewer.local
    originals, allowed = {}, set()
    for row in rows:
        if row.id not in item_ids and row.deleted_at is None:
            originals[row.id] = Status.from_row(row)
        if row.seen and (viewer_local or row.visibility != "local"):
            allowed.add(row.id)
    return originals, allowed


async def quoted(conn: AsyncConnection, ids, viewer: Account | None) -> tuple[dict[int, Status], set[int]]:  # noqa: ANN001
    """The posts that a page's statuses quote, by id: the live ones the viewer may see now (as
    seen_by), and the ids of those deleted since. One statement (with_originals')."""
    ids = list(ids)
    if not ids:
        return {}, set()
    params = {"ids": ids} | ({"viewer": viewer.id} if viewer else {})
    viewer_local = viewer is not None and viewer.local
    shown, deleted = {}, set()
    for row in await fetch(conn, _WITH_ORIGINALS[viewer is not None], params):
        if row.deleted_at is not None:
            deleted.add(row.id)
        elif row.seen and (viewer_local or row.visibility != "local"):
            shown[row.id] = Status.from_row(row)
    return shown, deleted


def _page_with_originals(viewer: bool):  # noqa: ANN202
    # The page's statuses, then the originals its boosts boost that are not on the page themselves.
    seen = visible_to(_VIEWER if viewer else None).label("seen")
    boost, again = statuses.alias("boost"), IdTable("ids", "again")
    return union_all(
        select(statuses, seen).select_from(page_join(statuses.c.id)),
        select(statuses, seen).select_from(page_join(boost.c.id).join(statuses, statuses.c.id == boost.c.reblog_of_id))
        .where(~exists().where(again.c.value == statuses.c.id)))


_PAGE_WITH_ORIGINALS = {True: _page_with_originals(True), False: _page_with_originals(False)}


async def page_with_originals(conn: AsyncConnection, ids: list[int], viewer: Account | None,
                              ) -> tuple[list[Status], dict[int, Status], set[int]]:
    """A page of ids (a timeline's, newest first) read whole: its live statuses in that order, the
    live originals of its boosts, and which of them the viewer may see (as with_originals), in one
    statement instead of one for the statuses and one for the rest."""
    if not ids:
        return [], {}, set()
    params = {"ids": list(ids)} | ({"viewer": viewer.id} if viewer else {})
    rows = await fetch(conn, _PAGE_WITH_ORIGINALS[viewer is not None], params)
    viewer_local = viewer is not None and viewer.local
    found: dict[int, Status] = {}
    allowed = set()
    for row in rows:
        if row.deleted_at is None:
            found[row.id] = Status.from_row(row)
        if row.seen and (viewer_local or row.visibility != "local"):
            allowed.add(row.id)
    wanted = set(ids)
    items = [found[i] for i in ids if i in found]
    return items, {i: s for i, s in found.items() if i not in wanted}, allowed


@dataclass
class PageFacts:
    """What the rows of a page share with nobody else, by kind: mentions, tags, attachments and poll
    of each status, pins, and what the viewer did or decided (favourites, boosts, bookmarks, votes,
    blocks, mutes)."""
    mentions: dict[int, list[int]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    media: dict[int, list[Media]] = field(default_factory=dict)  # in their order (position, id)
    polls: dict[int, Poll] = field(default_factory=dict)
    pinned: set[int] = field(default_factory=set)
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    votes: dict[int, list[int]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    exclusive: set[int] = field(default_factory=set)  # authors on the viewer's exclusive lists
    has_filters: bool = False
    muted_accounts: set[int] = field(default_factory=set)
    muted_notifications: set[int] = field(default_factory=set)  # of those, whose notifications are muted too
    muted_threads: bool = False
    cards: dict[int, str] = field(default_factory=dict)  # status id → its preview card, as JSON
    following: set[int] = field(default_factory=set)  # the page's authors the viewer follows

    def people(self, author_ids) -> set[int]:  # noqa: ANN001
        """The accounts the page shows: its authors and everyone its statuses mention."""
        return set(author_ids).union(*self.mentions.values())


_MEDIA_ROW, _POLL_ROW = JsonRow(media_attachments), JsonRow(polls)
_MEDIA_FROM, _POLL_FROM = _MEDIA_ROW.reader(), _POLL_ROW.reader()


def _page_facts(viewer: bool):  # noqa: ANN202
    # Each branch starts from the page's ids (or its authors') and searches one index per id
    # (models.rows.page_join): the page's few ids decide how much is read, whatever the tables' size.
    of_page = page_join
    branches = [
        select(*fact("mention", mentions.c.status_id, mentions.c.account_id)).select_from(of_page(mentions.c.status_id)),
        select(*fact("tag", status_tags.c.status_id, text=tags.c.name))
        .select_from(of_page(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)),
        select(*fact("pin", pins.c.status_id)).select_from(of_page(pins.c.status_id, "local_ids")),
        select(*fact("card", status_cards.c.status_id, text=preview_cards.c.entity))
        .select_from(of_page(status_cards.c.status_id).join(preview_cards, preview_cards.c.id == status_cards.c.card_id))
        .where(preview_cards.c.entity.is_not(None)),
        # Attachments and polls, each row whole as JSON in `text` (JsonRow): two statements fewer.
        select(*fact("media", media_attachments.c.status_id, text=_MEDIA_ROW))
        .select_from(of_page(media_attachments.c.status_id)),
        select(*fact("poll", polls.c.status_id, text=_POLL_ROW)).select_from(of_page(polls.c.status_id)),
    ]
    if viewer:
        branches += [
            select(*fact("fav", favourites.c.status_id)).select_from(of_page(favourites.c.status_id))
            .where(favourites.c.account_id == _VIEWER),
            select(*fact("reblog", statuses.c.reblog_of_id)).select_from(of_page(statuses.c.reblog_of_id))
            .where(statuses.c.account_id == _VIEWER, LIVE),
            select(*fact("bookmark", bookmarks.c.status_id)).select_from(of_page(bookmarks.c.status_id))
            .where(bookmarks.c.account_id == _VIEWER),
            select(*fact("vote", poll_votes.c.poll_id, poll_votes.c.choice))
            .select_from(of_page(polls.c.status_id).join(poll_votes, poll_votes.c.poll_id == polls.c.id))
            .where(poll_votes.c.account_id == _VIEWER),
            select(*fact("block", blocks.c.target_account_id)).select_from(of_page(blocks.c.target_account_id, "authors"))
            .where(blocks.c.account_id == _VIEWER),
            select(*fact("block", blocks.c.account_id)).select_from(of_page(blocks.c.account_id, "authors"))
            .where(blocks.c.target_account_id == _VIEWER),
            select(*fact("mute", mutes.c.target_account_id, case((mutes.c.notifications, 1), else_=0)))
            .select_from(of_page(mutes.c.target_account_id, "authors"))
            .where(mutes.c.account_id == _VIEWER,
                   or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > bindparam("now", type_=Float))),
            select(*fact("thread", conversation_mutes.c.root_status_id))
            .where(conversation_mutes.c.account_id == _VIEWER).limit(1),
            # Whether the viewer has filters at all (most have none: then they are not read) and
            # which authors are on the viewer's exclusive lists (left out of home).
            select(*fact("filters", filters.c.id)).where(filters.c.account_id == _VIEWER).limit(1),
            select(*fact("exclusive", list_accounts.c.account_id))
            .select_from(of_page(list_accounts.c.account_id, "authors")
                         .join(lists, lists.c.id == list_accounts.c.list_id))
            .where(lists.c.account_id == _VIEWER, lists.c.exclusive.is_(True)),
            select(*fact("follows", follows.c.target_account_id))  # who may quote a followers' post
            .select_from(of_page(follows.c.target_account_id, "authors"))
            .where(follows.c.account_id == _VIEWER, follows.c.state == "accepted"),
        ]
    return union_all(*(branch.subquery().select() if branch._limit_clause is not None else branch
                       for branch in branches))


_PAGE_FACTS = {True: _page_facts(True), False: _page_facts(False)}


async def page_facts(conn: AsyncConnection, ids, local_ids, author_ids, viewer_id: int | None) -> PageFacts:  # noqa: ANN001
    """Every fact of the page above in one statement, a UNION ALL with one branch per kind."""
    facts = PageFacts()
    ids = list(ids)
    if not ids and (viewer_id is None or not author_ids):  # a page of notifications may hold only people
        return facts
    params = {"ids": ids, "local_ids": list(local_ids) or [0]}
    if viewer_id is not None:
        params |= {"viewer": viewer_id, "authors": list(set(author_ids) - {viewer_id}) or [0], "now": time.time()}
    for kind, a, b, text in await fetch(conn, _PAGE_FACTS[viewer_id is not None], params):
        if kind == "mention":
            facts.mentions.setdefault(a, []).append(b)
        elif kind == "tag":
            facts.tags.setdefault(a, []).append(text)
        elif kind == "vote":
            facts.votes.setdefault(a, []).append(b)
        elif kind == "thread":
            facts.muted_threads = True
        elif kind == "filters":
            facts.has_filters = True
        elif kind == "card":
            facts.cards[a] = text
        elif kind == "media":
            facts.media.setdefault(a, []).append(Media.from_row(_MEDIA_FROM(text)))
        elif kind == "poll":
            facts.polls[a] = Poll.from_row(_POLL_FROM(text))
        elif kind == "mute":
            facts.muted_accounts.add(a)
            if b:
                facts.muted_notifications.add(a)
        else:
            {"pin": facts.pinned, "fav": facts.favourited, "reblog": facts.reblogged,
             "bookmark": facts.bookmarked, "block": facts.blocked,
             "follows": facts.following, "exclusive": facts.exclusive}[kind].add(a)
    for choices in facts.votes.values():
        choices.sort()
    for attached in facts.media.values():
        if len(attached) > 1:  # sorted here: a page has few, and SQLite would sort in a b-tree of its own
            attached.sort(key=_in_order)
    return facts


def _in_order(media: Media) -> tuple:
    return media.position, media.id
