"""Statuses (posts and boosts), their mentions and hashtags, and who may see them."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from sqlalchemy import BigInteger, Integer, and_, bindparam, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import counters, stream_events
from models.domains import on_domain
from models.accounts import Account
from models.ids import new_id
from models.rows import fetch, ids_in, insert_many, reusable
from models.schema import (accounts, blocks, domain_blocks, follows, home_feed, list_accounts, mentions, status_edits,
                           status_tags, statuses, tags)

PUBLIC_VISIBILITIES = ("public", "unlisted")
VISIBILITIES = ("public", "unlisted", "private", "direct", "local")


@reusable
@dataclass(frozen=True)
class Status:
    id: int
    uri: str
    url: str | None
    account_id: int
    local: bool
    in_reply_to_id: int | None
    in_reply_to_uri: str | None
    in_reply_to_account_id: int | None
    reblog_of_id: int | None
    content: str
    source_text: str | None
    spoiler_text: str
    sensitive: bool
    visibility: str
    language: str | None
    conversation_uri: str | None
    created_at: float
    edited_at: float | None
    deleted_at: float | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    quote_of_id: int | None = None  # quote posts (models.quotes)
    quote_uri: str | None = None
    quote_state: str | None = None
    quote_authorization_uri: str | None = None
    quote_policy: str | None = None
    quotes_count: int = 0
    from_row: ClassVar[Callable[[Any], Status]]  # made by @reusable (models.rows.record_maker)


LIVE = statuses.c.deleted_at.is_(None)


# Built once (see bound_page_ids): reading one status is the most common statement of all.
_GET = {True: select(statuses).where(statuses.c.id == bindparam("id", type_=BigInteger)),
        False: select(statuses).where(statuses.c.id == bindparam("id", type_=BigInteger), LIVE)}


async def get(conn: AsyncConnection, status_id: int, *, with_deleted: bool = False) -> Status | None:
    row = (await conn.execute(_GET[with_deleted], {"id": status_id})).first()
    return Status.from_row(row) if row else None


def _get_seen(viewer: bool):  # noqa: ANN202
    seen = visible_to(bindparam("viewer", type_=BigInteger) if viewer else None).label("seen")
    return select(statuses, seen).where(statuses.c.id == bindparam("id", type_=BigInteger), LIVE)


_GET_SEEN: dict[bool, object] = {}


async def get_if_visible(conn: AsyncConnection, status_id: int, viewer_id: int | None,
                         viewer_is_local: bool) -> Status | None:
    """The live status if the viewer may see it (can_see), read with its visibility in one statement."""
    viewer = viewer_id is not None
    if viewer not in _GET_SEEN:  # built on first use: visible_to is defined further down
        _GET_SEEN[viewer] = _get_seen(viewer)
    rows = await fetch(conn, _GET_SEEN[viewer], {"id": status_id} | ({"viewer": viewer_id} if viewer else {}))
    row = rows[0] if rows else None
    if row is None or not row.seen or (row.visibility == "local" and not viewer_is_local):
        return None
    return Status.from_row(row)


async def get_many(conn: AsyncConnection, ids) -> dict[int, Status]:  # noqa: ANN001
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await conn.execute(select(statuses).where(statuses.c.id.in_(ids), LIVE))).all()
    return {row.id: Status.from_row(row) for row in rows}


async def by_uri(conn: AsyncConnection, uri: str, *, with_deleted: bool = False) -> Status | None:
    stmt = select(statuses).where(statuses.c.uri == uri)
    if not with_deleted:
        stmt = stmt.where(LIVE)
    row = (await conn.execute(stmt)).first()
    return Status.from_row(row) if row else None


_BY_URI_OR_ID = select(statuses).where(or_(statuses.c.uri == bindparam("uri"), statuses.c.id == bindparam("sid")))


async def by_uri_or_id(conn: AsyncConnection, uri: str, status_id: int) -> list[Status]:
    """Statuses (deleted ones too) with this uri or this id: whether a remote post is known here,
    and whether the id meant for it is free, in one statement."""
    rows = (await conn.execute(_BY_URI_OR_ID, {"uri": uri, "sid": status_id})).all()
    return [Status.from_row(row) for row in rows]


async def find_reblog(conn: AsyncConnection, account_id: int, status_id: int) -> Status | None:
    row = (await conn.execute(select(statuses).where(
        statuses.c.account_id == account_id, statuses.c.reblog_of_id == status_id, LIVE))).first()
    return Status.from_row(row) if row else None


async def local_booster_ids(conn: AsyncConnection, status_id: int) -> list[int]:
    """Local accounts with a live boost of the status (they hear of its edits)."""
    return list((await conn.execute(
        select(statuses.c.account_id).join(accounts, accounts.c.id == statuses.c.account_id)
        .where(statuses.c.reblog_of_id == status_id, LIVE, accounts.c.domain.is_(None))
        .distinct())).scalars())


async def group_boosters(conn: AsyncConnection, status_id: int) -> list[Account]:
    """The groups (here or elsewhere) that relayed the status: a reply in its thread goes to them too."""
    rows = (await conn.execute(
        select(accounts).join(statuses, statuses.c.account_id == accounts.c.id)
        .where(statuses.c.reblog_of_id == status_id, LIVE, accounts.c.actor_type == "Group"))).all()
    return [Account.from_row(r) for r in rows]


# Built once; compiled once per set of columns given. Rows come back in the order they were given.
async def insert_status(conn: AsyncConnection, **values) -> Status:
    return (await insert_statuses(conn, [values]))[0]


async def insert_statuses(conn: AsyncConnection, rows: list[dict]) -> list[Status]:
    """Insert statuses (each a dict of column values, all with the same columns), in one statement
    however many, with their stream events in one more."""
    for values in rows:
        values.setdefault("id", new_id())
        values.setdefault("created_at", time.time())
        for key, default in (("spoiler_text", ""), ("sensitive", False), ("content", ""),
                             ("replies_count", 0), ("reblogs_count", 0), ("favourites_count", 0)):
            values.setdefault(key, default)
    stored = [Status.from_row(row) for row in await insert_many(conn, statuses, rows, returning=True)]
    # Public and local-only originals go to the public and hashtag streams; direct ones to the
    # direct stream. The streaming side re-checks who may see each one.
    originals = [s for s in stored if not s.reblog_of_id]
    await stream_events.emit_each(conn, "public", "update", [s.id for s in originals
                                                            if s.visibility in ("public", "local")])
    await stream_events.emit_each(conn, "direct", "conversation", [s.id for s in originals
                                                                  if s.visibility == "direct"])
    return stored


_BY_URIS_OR_IDS = select(statuses).where(or_(ids_in(statuses.c.uri, "uris", strings=True), ids_in(statuses.c.id, "ids")))


async def by_uris_or_ids(conn: AsyncConnection, uris: list[str], ids: list[int]) -> list[Status]:
    """by_uri_or_id for many remote posts at once."""
    return [Status.from_row(row) for row in await fetch(conn, _BY_URIS_OR_IDS, {"uris": uris, "ids": ids})]


_AWAITED_PARENTS = select(statuses.c.in_reply_to_uri).where(
    ids_in(statuses.c.in_reply_to_uri, "uris", strings=True), statuses.c.in_reply_to_id.is_(None),
    statuses.c.deleted_at.is_(None)).distinct()


async def awaited_parents(conn: AsyncConnection, uris: list[str]) -> set[str]:
    """Which of `uris` have replies stored before them, waiting to be adopted (adopt_replies)."""
    return {row[0] for row in await fetch(conn, _AWAITED_PARENTS, {"uris": uris})} if uris else set()


async def record_edit(conn: AsyncConnection, before: Status) -> None:
    """Keep the previous revision, so clients can show the history."""
    await conn.execute(insert(status_edits).values(
        id=new_id(), status_id=before.id, content=before.content, spoiler_text=before.spoiler_text,
        sensitive=before.sensitive, created_at=before.edited_at or before.created_at))


async def update_status(conn: AsyncConnection, status_id: int, **values) -> None:
    await conn.execute(update(statuses).where(statuses.c.id == status_id).values(**values))
    if "content" in values:
        await stream_events.emit(conn, "status", "status.update", status_id)


async def mark_deleted(conn: AsyncConnection, status_id: int) -> None:
    """A deleted status keeps its row (a tombstone, so a late Create is not accepted again) but loses
    its content, its place in timelines and its boosts."""
    now = time.time()
    await _announce_deletion(conn, status_id)
    await conn.execute(update(statuses).where(statuses.c.id == status_id)
                       .values(deleted_at=now, content="", source_text=None, spoiler_text=""))
    await conn.execute(update(statuses).where(statuses.c.reblog_of_id == status_id, LIVE)
                       .values(deleted_at=now))
    await conn.execute(delete(home_feed).where(home_feed.c.status_id == status_id))


async def _announce_deletion(conn: AsyncConnection, status_id: int) -> None:
    """`delete` events for the streaming API: to each home timeline that holds the status or a
    boost of it, and to the public streams for a public or local-only original."""
    row = (await conn.execute(select(statuses.c.visibility, statuses.c.reblog_of_id)
                              .where(statuses.c.id == status_id, LIVE))).first()
    if row is None:
        return
    boosts = select(statuses.c.id).where(statuses.c.reblog_of_id == status_id, LIVE)
    holders = await conn.execute(select(home_feed.c.account_id, home_feed.c.status_id).where(
        or_(home_feed.c.status_id == status_id, home_feed.c.status_id.in_(boosts))))
    by_status: dict[int, list[str]] = {}
    for holder in holders:
        by_status.setdefault(holder.status_id, []).append(stream_events.user_stream(holder.account_id))
    for held, streams in by_status.items():
        await stream_events.emit_many(conn, streams, "delete", held)
    if row.reblog_of_id is None and row.visibility in ("public", "local"):
        await stream_events.emit(conn, "public", "delete", status_id)


async def bump(conn: AsyncConnection, status_id: int, column: str, delta: int) -> None:
    """Move one of the status's counters when the transaction commits (models.counters)."""
    counters.bump(conn, statuses, status_id, column, delta)


async def set_mentions(conn: AsyncConnection, status_id: int, account_ids, *, new: bool = False) -> None:  # noqa: ANN001
    """The status's mentions, replacing those it had (`new`: it has none yet, nothing to replace)."""
    if not new:
        await conn.execute(delete(mentions).where(mentions.c.status_id == status_id))
    rows = [{"status_id": status_id, "account_id": a} for a in dict.fromkeys(account_ids)]
    if rows:
        await conn.execute(insert(mentions), rows)


async def mentioned_ids(conn: AsyncConnection, status_id: int) -> list[int]:
    return list((await conn.execute(
        select(mentions.c.account_id).where(mentions.c.status_id == status_id))).scalars())


_MENTIONS_OF = select(mentions.c.status_id, mentions.c.account_id).where(ids_in(mentions.c.status_id))


async def mentions_of(conn: AsyncConnection, status_ids) -> dict[int, list[int]]:  # noqa: ANN001
    result: dict[int, list[int]] = {}
    ids = list(status_ids)
    if ids:
        for row in await fetch(conn, _MENTIONS_OF, {"ids": ids}):
            result.setdefault(row.status_id, []).append(row.account_id)
    return result


THREAD_DEPTH = 40  # replies walked up to find a thread's first post


def _thread_roots():  # noqa: ANN202
    up = select(statuses.c.id.label("start"), statuses.c.id.label("id"), statuses.c.in_reply_to_id.label("parent"),
                literal(0, Integer).label("depth")).where(ids_in(statuses.c.id)).cte("up", recursive=True)
    parent, known = statuses.alias("parent"), statuses.alias("known")
    up = up.union_all(select(up.c.start, parent.c.id, parent.c.in_reply_to_id, up.c.depth + 1)
                      .where(parent.c.id == up.c.parent, parent.c.deleted_at.is_(None), up.c.depth < THREAD_DEPTH))
    return select(up.c.start, up.c.id).where(or_(
        up.c.parent.is_(None), up.c.depth >= THREAD_DEPTH,
        ~exists().where(known.c.id == up.c.parent, known.c.deleted_at.is_(None))))


_THREAD_ROOTS = _thread_roots()


async def thread_roots(conn: AsyncConnection, status_ids) -> dict[int, int]:  # noqa: ANN001
    """The first post still known here (THREAD_DEPTH replies up at most) of each status's thread,
    by status id: a conversation's key. One statement for any number of statuses."""
    ids = list(status_ids)
    if not ids:
        return {}
    return {start: root for start, root in await fetch(conn, _THREAD_ROOTS, {"ids": ids})}


async def set_tags(conn: AsyncConnection, status_id: int, names, *, new: bool = False) -> None:  # noqa: ANN001
    """The status's hashtags, replacing those it had (`new`: it has none yet, nothing to replace)."""
    if not new:
        await conn.execute(delete(status_tags).where(status_tags.c.status_id == status_id))
    for name in dict.fromkeys(n.lower() for n in names):
        tag_id = (await conn.execute(select(tags.c.id).where(tags.c.name == name))).scalar()
        if tag_id is None:
            tag_id = new_id()
            await conn.execute(insert(tags).values(id=tag_id, name=name))
        await conn.execute(insert(status_tags).values(status_id=status_id, tag_id=tag_id))


async def tags_of(conn: AsyncConnection, status_ids) -> dict[int, list[str]]:  # noqa: ANN001
    result: dict[int, list[str]] = {}
    ids = list(status_ids)
    if ids:
        rows = await conn.execute(select(status_tags.c.status_id, tags.c.name)
                                  .join(tags, tags.c.id == status_tags.c.tag_id)
                                  .where(status_tags.c.status_id.in_(ids)))
        for row in rows:
            result.setdefault(row.status_id, []).append(row.name)
    return result


# --- Who may see what ---------------------------------------------------------------------------

def visible_to(viewer_id: int | None):  # noqa: ANN201
    """A SQL condition: statuses `viewer_id` may see (None: an anonymous or remote viewer).

    public/unlisted: everyone; local: signed-in accounts of this node; private: the author and
    accepted followers; direct: the author and the mentioned accounts. Followers-only and direct
    posts also show to the accounts they mention, as on Mastodon. A direct post addressed to a
    group shows to the group's members once the group relayed it (a live boost by a Group actor
    the post names): withdrawing the relay (a moderator's removal) hides it again.
    """
    open_to_all = statuses.c.visibility.in_(PUBLIC_VISIBILITIES)
    if viewer_id is None:
        return open_to_all
    # A block hides everything, both ways: the blocked account sees nothing of the blocker's, and
    # the blocker nothing of the blocked account's.
    blocked = exists().where(or_(
        and_(blocks.c.account_id == statuses.c.account_id, blocks.c.target_account_id == viewer_id),
        and_(blocks.c.account_id == viewer_id, blocks.c.target_account_id == statuses.c.account_id)))
    mentioned = exists().where(mentions.c.status_id == statuses.c.id, mentions.c.account_id == viewer_id)
    follower = exists().where(follows.c.account_id == viewer_id,
                              follows.c.target_account_id == statuses.c.account_id,
                              follows.c.state == "accepted")
    return and_(~blocked, or_(
        open_to_all,
        statuses.c.account_id == viewer_id,
        statuses.c.visibility == "local",  # the caller ensures the viewer is a local account
        and_(statuses.c.visibility == "private", or_(follower, mentioned)),
        and_(statuses.c.visibility == "direct", or_(mentioned, _relayed_to_member(viewer_id))),
    ))


def _relayed_to_member(viewer_id: int):  # noqa: ANN202
    """The status was relayed by a group it is addressed to, and the viewer is a member of it."""
    relay, group, named, member = (statuses.alias("relay"), accounts.alias("relay_group"),
                                   mentions.alias("relay_named"), follows.alias("relay_member"))
    return exists().where(
        relay.c.reblog_of_id == statuses.c.id, relay.c.deleted_at.is_(None),
        group.c.id == relay.c.account_id, group.c.actor_type == "Group",
        named.c.status_id == statuses.c.id, named.c.account_id == relay.c.account_id,
        member.c.account_id == viewer_id, member.c.target_account_id == relay.c.account_id,
        member.c.state == "accepted")


async def can_see(conn: AsyncConnection, status: Status, viewer_id: int | None,
                  viewer_is_local: bool) -> bool:
    if status.deleted_at is not None:
        return False
    if status.visibility == "local" and not viewer_is_local:
        return False
    row = (await conn.execute(select(statuses.c.id).where(
        statuses.c.id == status.id, visible_to(viewer_id)))).first()
    return row is not None


async def visible_ids(conn: AsyncConnection, ids, viewer_id: int | None, viewer_is_local: bool) -> set[int]:  # noqa: ANN001
    """Which of `ids` the viewer may see (can_see for many, in one query)."""
    ids = list(ids)
    if not ids:
        return set()
    cond = [statuses.c.id.in_(ids), LIVE, visible_to(viewer_id)]
    if not viewer_is_local:
        cond.append(statuses.c.visibility != "local")
    return set((await conn.execute(select(statuses.c.id).where(*cond))).scalars())


def paginate(stmt, column, *, max_id: int | None, since_id: int | None, min_id: int | None,  # noqa: ANN001, ANN201
             limit: int):
    """Mastodon pagination: newest first, except min_id which returns the page just after it."""
    if max_id is not None:
        stmt = stmt.where(column < max_id)
    if since_id is not None:
        stmt = stmt.where(column > since_id)
    if min_id is not None:
        return stmt.where(column > min_id).order_by(column.asc()).limit(limit), True
    return stmt.order_by(column.desc()).limit(limit), False


async def page_ids(conn: AsyncConnection, stmt, column, *, max_id=None, since_id=None,  # noqa: ANN001
                   min_id=None, limit: int = 20) -> list[int]:
    stmt, ascending = paginate(stmt, column, max_id=max_id, since_id=since_id, min_id=min_id, limit=limit)
    ids = list((await conn.execute(stmt)).scalars())
    return list(reversed(ids)) if ascending else ids


# Timeline statements built once per shape, with bind parameters for the account and the page's
# bounds: SQLAlchemy then finds their compiled form at once, without building the statement and its
# cache key again on every request (a quarter of a page's CPU did that). The shapes are few (the
# page's bounds given or not, a handful of flags), so the dict stays small.
_BUILT: dict[tuple, object] = {}
_BOUNDS = ("max_id", "since_id", "min_id")


async def bound_page_ids(conn: AsyncConnection, shape: tuple, build, column, params: dict, *,  # noqa: ANN001
                         max_id=None, since_id=None, min_id=None, limit: int = 20) -> list[int]:  # noqa: ANN001
    """As page_ids, for the statement `build()` makes with bind parameters `params`; `shape` names
    everything build() depends on besides them."""
    return [row[0] for row in await bound_page_rows(conn, shape, build, column, params, max_id=max_id,
                                                    since_id=since_id, min_id=min_id, limit=limit)]


async def bound_page_rows(conn: AsyncConnection, shape: tuple, build, column, params: dict, *,  # noqa: ANN001
                          max_id=None, since_id=None, min_id=None, limit: int = 20) -> list:  # noqa: ANN001
    """As bound_page_ids, the whole rows (models.rows.fetch's), newest first."""
    given = (max_id is not None, since_id is not None, min_id is not None)
    key = (*shape, *given)
    stmt = _BUILT.get(key)
    if stmt is None:
        bounds = {name: bindparam(name, type_=BigInteger) if on else None for name, on in zip(_BOUNDS, given)}
        stmt, _ = paginate(build(), column, **bounds, limit=bindparam("limit", type_=Integer))
        _BUILT[key] = stmt
    values = {name: value for name, value in zip(_BOUNDS, (max_id, since_id, min_id)) if value is not None}
    rows = await fetch(conn, stmt, {**params, **values, "limit": limit})
    return rows[::-1] if min_id is not None else rows


async def home_ids(conn: AsyncConnection, account_id: int, **page) -> list[int]:
    return await bound_page_ids(conn, ("home",), lambda: (
        select(home_feed.c.status_id).join(statuses, statuses.c.id == home_feed.c.status_id)
        .where(home_feed.c.account_id == bindparam("account", type_=BigInteger), LIVE)),
        home_feed.c.status_id, {"account": account_id}, **page)


async def public_ids(conn: AsyncConnection, *, local: bool | None, viewer_is_local: bool,
                     only_media: bool = False, **page) -> list[int]:
    from models.media import with_media  # media imports this module

    def build():  # noqa: ANN202
        shown = ("public", "local") if viewer_is_local else ("public",)
        stmt = select(statuses.c.id).where(statuses.c.visibility.in_(shown), LIVE,
                                           statuses.c.reblog_of_id.is_(None))
        if only_media:
            stmt = stmt.where(with_media())
        if local is not None:
            stmt = stmt.where(statuses.c.local.is_(local))
        return stmt.where(_publicly_listed_author())
    return await bound_page_ids(conn, ("public", local, viewer_is_local, only_media), build, statuses.c.id, {},
                                **page)


def _publicly_listed_author():  # noqa: ANN202
    """Silenced and suspended accounts stay out of public timelines (the local, federated and hashtag
    ones), and so does everyone on a silenced domain, including accounts first seen after the domain
    was silenced. A silence covers every port and subdomain of the name silenced (models.domains)."""
    on_silenced_domain = exists().where(domain_blocks.c.severity == "silence",
                                        on_domain(accounts.c.domain, domain_blocks.c.domain))
    return statuses.c.account_id.not_in(select(accounts.c.id).where(
        or_(accounts.c.silenced_at.is_not(None), accounts.c.suspended_at.is_not(None),
            on_silenced_domain)))


def _tagged(name: str):  # noqa: ANN202
    """Statuses carrying at least one of the tags of the list parameter `name`."""
    return (select(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)
            .where(ids_in(tags.c.name, name, strings=True)))


async def tag_ids(conn: AsyncConnection, name: str, *, viewer_is_local: bool, local: bool | None,
                  any_of=(), all_of=(), none_of=(), only_media: bool = False, **page) -> list[int]:  # noqa: ANN001
    """The hashtag timeline: public posts (and local-only ones for local viewers) with the tag, or
    any of `any_of`; also carrying every tag of `all_of` and none of `none_of` (Mastodon's any, all,
    none). One statement built per shape (models.statuses.bound_page_ids), the tags its parameters."""
    from models.media import with_media  # media imports this module

    def clean(names) -> list[str]:  # noqa: ANN001
        return list(dict.fromkeys(n.lower().lstrip("#") for n in names))

    def build():  # noqa: ANN202
        shown = ("public", "local") if viewer_is_local else ("public",)
        stmt = select(statuses.c.id).where(statuses.c.id.in_(_tagged("tags")),
                                           statuses.c.visibility.in_(shown), LIVE,
                                           statuses.c.reblog_of_id.is_(None), _publicly_listed_author())
        for n in range(len(all_of)):
            stmt = stmt.where(statuses.c.id.in_(_tagged(f"all_{n}")))
        if none_of:
            stmt = stmt.where(statuses.c.id.not_in(_tagged("none")))
        if only_media:
            stmt = stmt.where(with_media())
        if local is not None:
            stmt = stmt.where(statuses.c.local.is_(local))
        return stmt
    params = {"tags": clean([name, *any_of])} | {f"all_{n}": clean([t]) for n, t in enumerate(all_of)} \
        | ({"none": clean(none_of)} if none_of else {})
    return await bound_page_ids(conn, ("tag", viewer_is_local, local, len(all_of), bool(none_of), only_media),
                                build, statuses.c.id, params, **page)


async def shared_list_ids(conn: AsyncConnection, list_id: int, **page) -> list[int]:
    """A public list's feed: what an anonymous reader may see of its members' own posts (no boosts)."""
    stmt = select(statuses.c.id).where(
        statuses.c.account_id.in_(select(list_accounts.c.account_id).where(list_accounts.c.list_id == list_id)),
        LIVE, visible_to(None), statuses.c.reblog_of_id.is_(None), _publicly_listed_author())
    return await page_ids(conn, stmt, statuses.c.id, **page)


async def account_ids(conn: AsyncConnection, account_id: int, viewer_id: int | None,
                      viewer_is_local: bool, *, exclude_replies: bool = False,
                      exclude_reblogs: bool = False, tagged: str | None = None, **page) -> list[int]:
    account = bindparam("account", type_=BigInteger)

    def build():  # noqa: ANN202
        viewer = bindparam("viewer", type_=BigInteger) if viewer_id is not None else None
        stmt = select(statuses.c.id).where(statuses.c.account_id == account, LIVE, visible_to(viewer))
        if tagged is not None:
            stmt = stmt.where(statuses.c.id.in_(
                select(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)
                .where(tags.c.name == bindparam("tag"))))
        if not viewer_is_local:
            stmt = stmt.where(statuses.c.visibility != "local")
        if exclude_replies:
            stmt = stmt.where(or_(statuses.c.in_reply_to_id.is_(None), statuses.c.in_reply_to_account_id == account))
        if exclude_reblogs:
            stmt = stmt.where(statuses.c.reblog_of_id.is_(None))
        return stmt
    params = {"account": account_id}
    if viewer_id is not None:
        params["viewer"] = viewer_id
    if tagged is not None:
        params["tag"] = tagged.lower().lstrip("#")
    shape = ("account", viewer_id is None, viewer_is_local, exclude_replies, exclude_reblogs, tagged is None)
    return await bound_page_ids(conn, shape, build, statuses.c.id, params, **page)


async def add_to_home(conn: AsyncConnection, account_ids, status_id: int, *,  # noqa: ANN001
                      announce: bool = True, new: bool = False) -> None:
    """Put a status in home timelines; with `announce`, the streaming API sends it to each owner
    as an `update` (older posts filled in after a follow are not announced). `new`: the status was
    written in this transaction, so no timeline has it yet."""
    rows = [{"account_id": a, "status_id": status_id} for a in dict.fromkeys(account_ids)]
    if not rows:
        return
    if not new:
        existing = set((await conn.execute(select(home_feed.c.account_id).where(
            home_feed.c.status_id == status_id,
            home_feed.c.account_id.in_([r["account_id"] for r in rows])))).scalars())
        rows = [r for r in rows if r["account_id"] not in existing]
    await _insert_home_rows(conn, rows, announce=announce)


async def add_new_to_homes(conn: AsyncConnection, pairs: list[tuple[int, int]]) -> None:
    """add_to_home for statuses written in this transaction, several at once: (account id, status
    id) pairs, in one statement (and one for their stream events)."""
    await _insert_home_rows(conn, [{"account_id": a, "status_id": s} for a, s in dict.fromkeys(pairs)],
                            announce=True)


async def _insert_home_rows(conn: AsyncConnection, rows: list[dict], *, announce: bool) -> None:
    if rows:
        await insert_many(conn, home_feed, rows)
        if announce:
            await stream_events.emit_rows(conn, [(stream_events.user_stream(r["account_id"]), "update",
                                                  r["status_id"]) for r in rows])


async def remove_author_from_home(conn: AsyncConnection, account_id: int, author_id: int) -> None:
    """After an unfollow, the author's posts leave the former follower's home timeline."""
    authored = select(statuses.c.id).where(statuses.c.account_id == author_id)
    await conn.execute(delete(home_feed).where(home_feed.c.account_id == account_id,
                                               home_feed.c.status_id.in_(authored)))


async def public_replies(conn: AsyncConnection, status_id: int, *, after_id: int | None,
                         limit: int) -> list[tuple[int, str]]:
    """(id, uri) of the public and unlisted replies to a status, oldest first, after reply
    `after_id`; replies by suspended accounts are left out. One statement per page."""
    stmt = (select(statuses.c.id, statuses.c.uri)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(statuses.c.in_reply_to_id == status_id, LIVE,
                   statuses.c.visibility.in_(PUBLIC_VISIBILITIES), accounts.c.suspended_at.is_(None))
            .order_by(statuses.c.id).limit(limit))
    if after_id is not None:
        stmt = stmt.where(statuses.c.id > after_id)
    return [(row.id, row.uri) for row in await conn.execute(stmt)]


def _first_public_replies():  # noqa: ANN202 - built once (every local post's Note embeds its first replies)
    rank = func.row_number().over(partition_by=statuses.c.in_reply_to_id, order_by=statuses.c.id).label("rank")
    ranked = (select(statuses.c.in_reply_to_id, statuses.c.id, statuses.c.uri, rank)
              .join(accounts, accounts.c.id == statuses.c.account_id)
              .where(statuses.c.in_reply_to_id.in_(bindparam("ids", expanding=True)), LIVE,
                     statuses.c.visibility.in_(PUBLIC_VISIBILITIES), accounts.c.suspended_at.is_(None))
              .subquery())
    return (select(ranked.c.in_reply_to_id, ranked.c.id, ranked.c.uri)
            .where(ranked.c.rank <= bindparam("per_status")).order_by(ranked.c.id))


_FIRST_PUBLIC_REPLIES = _first_public_replies()


async def first_public_replies(conn: AsyncConnection, status_ids, per_status: int) -> dict[int, list[tuple[int, str]]]:  # noqa: ANN001
    """(id, uri) of the first `per_status` replies of each status that public_replies lists (public
    or unlisted, live, by accounts not suspended), oldest first: one statement for any number."""
    status_ids = list(status_ids)
    if not status_ids:
        return {}
    rows = await conn.execute(_FIRST_PUBLIC_REPLIES, {"ids": status_ids, "per_status": per_status})
    found: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        found.setdefault(row.in_reply_to_id, []).append((row.id, row.uri))
    return found


_ADOPT_REPLIES = update(statuses).where(
    statuses.c.in_reply_to_uri == bindparam("parent_uri"), statuses.c.in_reply_to_id.is_(None),
    statuses.c.id != bindparam("parent_id"), LIVE).values(
    in_reply_to_id=bindparam("parent_id"), in_reply_to_account_id=bindparam("parent_account_id"))


async def adopt_replies(conn: AsyncConnection, parent: Status) -> int:
    """Replies stored before their parent (which arrived later, or was fetched) now point at it.
    How many there were."""
    result = await conn.execute(_ADOPT_REPLIES, {"parent_uri": parent.uri, "parent_id": parent.id,
                                                 "parent_account_id": parent.account_id})
    return result.rowcount or 0


def _ancestors():  # noqa: ANN202
    parent = statuses.alias("parent")
    up = (select(statuses.c.id, statuses.c.in_reply_to_id.label("parent"), literal(1, Integer).label("depth"))
          .where(statuses.c.id == bindparam("start", type_=BigInteger), LIVE).cte("up", recursive=True))
    up = up.union_all(select(parent.c.id, parent.c.in_reply_to_id, up.c.depth + 1).where(
        parent.c.id == up.c.parent, parent.c.deleted_at.is_(None), up.c.depth < bindparam("limit", type_=Integer)))
    return select(statuses).join(up, up.c.id == statuses.c.id).order_by(up.c.depth.desc())


def _descendants():  # noqa: ANN202
    child = statuses.alias("child")
    limit = bindparam("limit", type_=Integer)
    down = (select(statuses.c.id, literal(1, Integer).label("depth"))
            .where(statuses.c.in_reply_to_id == bindparam("start", type_=BigInteger), LIVE)
            .cte("down", recursive=True))
    down = down.union_all(select(child.c.id, down.c.depth + 1).where(
        child.c.in_reply_to_id == down.c.id, child.c.deleted_at.is_(None), down.c.depth < limit))
    return (select(statuses).join(down, down.c.id == statuses.c.id)
            .order_by(down.c.depth, statuses.c.id).limit(limit))


_ANCESTORS, _DESCENDANTS = _ancestors(), _descendants()


async def ancestors(conn: AsyncConnection, status: Status, limit: int = 40) -> list[Status]:
    """The live posts `status` answers, up to the first one missing here, thread's first post first:
    one statement, however long the thread."""
    if not status.in_reply_to_id:
        return []
    rows = await fetch(conn, _ANCESTORS, {"start": status.in_reply_to_id, "limit": limit})
    return [Status.from_row(r) for r in rows]


async def descendants(conn: AsyncConnection, status: Status, limit: int = 200) -> list[Status]:
    """Replies, breadth first in creation order, capped so a huge thread cannot exhaust the server:
    one statement, however many levels."""
    rows = await fetch(conn, _DESCENDANTS, {"start": status.id, "limit": limit})
    return [Status.from_row(r) for r in rows]
