"""Follows, favourites, blocks and notifications: the edges between accounts and statuses."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Float, and_, bindparam, case, delete, func, insert, not_, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import account_domain_blocks, conversation_mutes
from models.accounts import Account, bump_counter
from models.rows import fact, fetch, ids_in
from models import push, stream_events
from models.ids import new_id
from models.once import insert_once
from models.schema import account_notes, accounts, blocks, endorsements, favourites, follows, mutes, notifications


@dataclass(frozen=True)
class Follow:
    id: int
    account_id: int
    target_account_id: int
    uri: str | None
    state: str
    show_reblogs: bool
    notify: bool


def _follow(row) -> Follow:  # noqa: ANN001
    return Follow(row.id, row.account_id, row.target_account_id, row.uri, row.state,
                  row.show_reblogs, row.notify)


async def get_follow(conn: AsyncConnection, account_id: int, target_id: int) -> Follow | None:
    row = (await conn.execute(select(follows).where(
        follows.c.account_id == account_id, follows.c.target_account_id == target_id))).first()
    return _follow(row) if row else None


async def follow_by_uri(conn: AsyncConnection, uri: str) -> Follow | None:
    row = (await conn.execute(select(follows).where(follows.c.uri == uri))).first()
    return _follow(row) if row else None


async def add_follow(conn: AsyncConnection, account_id: int, target_id: int, *, uri: str | None,
                     state: str) -> Follow:
    """Create or refresh a follow; counters move only when it becomes accepted."""
    existing = await get_follow(conn, account_id, target_id)
    if existing:
        if uri and uri != existing.uri:
            await conn.execute(update(follows).where(follows.c.id == existing.id).values(uri=uri))
        if existing.state != "accepted" and state == "accepted":
            await accept_follow(conn, existing)
        return (await get_follow(conn, account_id, target_id))  # type: ignore[return-value]
    follow_id = new_id()
    await conn.execute(insert(follows).values(
        id=follow_id, account_id=account_id, target_account_id=target_id, uri=uri, state="pending",
        show_reblogs=True, notify=False, created_at=time.time()))
    follow = await get_follow(conn, account_id, target_id)
    if state == "accepted":
        await accept_follow(conn, follow)  # type: ignore[arg-type]
    return (await get_follow(conn, account_id, target_id))  # type: ignore[return-value]


async def set_follow_options(conn: AsyncConnection, account_id: int, target_id: int, *,
                             show_reblogs: bool | None, notify: bool | None) -> None:
    values = {k: v for k, v in (("show_reblogs", show_reblogs), ("notify", notify)) if v is not None}
    if values:
        await conn.execute(update(follows).where(follows.c.account_id == account_id,
                                                 follows.c.target_account_id == target_id).values(**values))


async def accept_follow(conn: AsyncConnection, follow: Follow) -> bool:
    """Mark a pending follow accepted; False when it already was."""
    result = await conn.execute(update(follows).where(follows.c.id == follow.id,
                                                      follows.c.state != "accepted")
                                .values(state="accepted"))
    if result.rowcount:
        await bump_counter(conn, follow.account_id, "following_count", 1)
        await bump_counter(conn, follow.target_account_id, "followers_count", 1)
        return True
    return False


async def remove_follow(conn: AsyncConnection, account_id: int, target_id: int) -> Follow | None:
    follow = await get_follow(conn, account_id, target_id)
    if follow is None:
        return None
    await conn.execute(delete(follows).where(follows.c.id == follow.id))
    if follow.state == "accepted":
        await bump_counter(conn, account_id, "following_count", -1)
        await bump_counter(conn, target_id, "followers_count", -1)
    return follow


async def follower_accounts(conn: AsyncConnection, target_id: int, *, local: bool | None = None,
                            ) -> list[Account]:
    stmt = (select(accounts).join(follows, follows.c.account_id == accounts.c.id)
            .where(follows.c.target_account_id == target_id, follows.c.state == "accepted"))
    if local is True:
        stmt = stmt.where(accounts.c.domain.is_(None))
    elif local is False:
        stmt = stmt.where(accounts.c.domain.is_not(None))
    return [Account.from_row(r) for r in (await conn.execute(stmt)).all()]


# Where a fan-out sends an account's posts: its remote followers' inboxes, and nothing else of them.
_FOLLOWER_INBOXES = (select(accounts.c.shared_inbox_url, accounts.c.inbox_url)
                     .join(follows, follows.c.account_id == accounts.c.id)
                     .where(follows.c.target_account_id == bindparam("target"), follows.c.state == "accepted",
                            accounts.c.domain.is_not(None)))


async def follower_inboxes(conn: AsyncConnection, target_id: int) -> list:
    """(shared_inbox_url, inbox_url) of each remote follower: a fan-out to a thousand followers reads
    two columns each, not a thousand accounts."""
    return await fetch(conn, _FOLLOWER_INBOXES, {"target": target_id})


async def follow_page(conn: AsyncConnection, account_id: int, *, followers: bool, state: str = "accepted",
                      max_id: int | None = None, limit: int = 40) -> list[tuple[int, Account]]:
    """(follow id, account) pairs, newest follow first: who follows `account_id`, or whom it follows."""
    me, other = ((follows.c.target_account_id, follows.c.account_id) if followers
                 else (follows.c.account_id, follows.c.target_account_id))
    stmt = (select(follows.c.id.label("follow_id"), accounts)
            .join(accounts, accounts.c.id == other)
            .where(me == account_id, follows.c.state == state))
    if max_id is not None:
        stmt = stmt.where(follows.c.id < max_id)
    rows = (await conn.execute(stmt.order_by(follows.c.id.desc()).limit(limit))).all()
    return [(r.follow_id, Account.from_row(r)) for r in rows]


async def follow_choices(conn: AsyncConnection, account_id: int, target_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """{target id: (show boosts, notify on new posts)} of `account_id`'s follows of `target_ids`."""
    if not target_ids:
        return {}
    rows = await conn.execute(select(follows.c.target_account_id, follows.c.show_reblogs, follows.c.notify).where(
        follows.c.account_id == account_id, follows.c.target_account_id.in_(target_ids)))
    return {r.target_account_id: (bool(r.show_reblogs), bool(r.notify)) for r in rows}


async def count_follows(conn: AsyncConnection, account_id: int, *, followers: bool) -> int:
    col = follows.c.target_account_id if followers else follows.c.account_id
    return (await conn.execute(select(func.count()).select_from(follows).where(
        col == account_id, follows.c.state == "accepted"))).scalar_one()


# --- Favourites ---------------------------------------------------------------------------------

async def add_favourite(conn: AsyncConnection, account_id: int, status_id: int, uri: str | None) -> bool:
    """True when the like is new (so counters and notifications happen once)."""
    return await insert_once(conn, favourites, {"account_id": account_id, "status_id": status_id}, uri=uri)


async def remove_favourite(conn: AsyncConnection, account_id: int, status_id: int) -> str | None | bool:
    """Delete a like; returns its uri (None if it had none), or False when there was none."""
    row = (await conn.execute(select(favourites).where(
        favourites.c.account_id == account_id, favourites.c.status_id == status_id))).first()
    if not row:
        return False
    await conn.execute(delete(favourites).where(favourites.c.id == row.id))
    return row.uri


async def favourite_by_uri(conn: AsyncConnection, uri: str):  # noqa: ANN201
    return (await conn.execute(select(favourites).where(favourites.c.uri == uri))).first()


async def favourited_ids(conn: AsyncConnection, account_id: int, status_ids) -> set[int]:  # noqa: ANN001
    ids = list(status_ids)
    if not ids:
        return set()
    return set((await conn.execute(select(favourites.c.status_id).where(
        favourites.c.account_id == account_id, favourites.c.status_id.in_(ids)))).scalars())


# --- Blocks -------------------------------------------------------------------------------------

async def add_block(conn: AsyncConnection, account_id: int, target_id: int, uri: str | None) -> bool:
    return await insert_once(conn, blocks, {"account_id": account_id, "target_account_id": target_id}, uri=uri)


async def remove_block(conn: AsyncConnection, account_id: int, target_id: int):  # noqa: ANN201
    row = (await conn.execute(select(blocks).where(
        blocks.c.account_id == account_id, blocks.c.target_account_id == target_id))).first()
    if row:
        await conn.execute(delete(blocks).where(blocks.c.id == row.id))
    return row


async def block_by_uri(conn: AsyncConnection, uri: str):  # noqa: ANN201
    return (await conn.execute(select(blocks).where(blocks.c.uri == uri))).first()


_A, _B = bindparam("a", type_=BigInteger), bindparam("b", type_=BigInteger)
_BLOCKED_EITHER_WAY = select(blocks.c.id).where(
    ((blocks.c.account_id == _A) & (blocks.c.target_account_id == _B))
    | ((blocks.c.account_id == _B) & (blocks.c.target_account_id == _A))).limit(1)


async def is_blocked_either_way(conn: AsyncConnection, a: int, b: int) -> bool:
    return bool(await fetch(conn, _BLOCKED_EITHER_WAY, {"a": a, "b": b}))


async def blocked_by(conn: AsyncConnection, account_id: int, others) -> set[int]:  # noqa: ANN001
    """Which of `others` block `account_id` (they get no notifications or timeline rows from it)."""
    others = list(others)
    if not others:
        return set()
    return set((await conn.execute(select(blocks.c.account_id).where(
        blocks.c.target_account_id == account_id, blocks.c.account_id.in_(others)))).scalars())


async def local_blockers(conn: AsyncConnection, target_id: int) -> list[Account]:
    """This node's accounts that block `target_id`."""
    rows = (await conn.execute(select(accounts).join(blocks, blocks.c.account_id == accounts.c.id)
                               .where(blocks.c.target_account_id == target_id, accounts.c.domain.is_(None)))).all()
    return [Account.from_row(r) for r in rows]


def _relationship_facts():  # noqa: ANN202
    me, others = bindparam("me", type_=BigInteger), "others"
    return union_all(
        select(*fact("out", follows.c.target_account_id, case((follows.c.show_reblogs, 1), else_=0)
                     + case((follows.c.notify, 2), else_=0), follows.c.state))
        .where(follows.c.account_id == me, ids_in(follows.c.target_account_id, others)),
        select(*fact("in", follows.c.account_id, text=follows.c.state))
        .where(follows.c.target_account_id == me, ids_in(follows.c.account_id, others)),
        select(*fact("blocking", blocks.c.target_account_id))
        .where(blocks.c.account_id == me, ids_in(blocks.c.target_account_id, others)),
        select(*fact("blocked_by", blocks.c.account_id))
        .where(blocks.c.target_account_id == me, ids_in(blocks.c.account_id, others)),
        select(*fact("mute", mutes.c.target_account_id, case((mutes.c.notifications, 1), else_=0)))
        .where(mutes.c.account_id == me, ids_in(mutes.c.target_account_id, others),
               or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > bindparam("now", type_=Float))),
        select(*fact("endorsed", endorsements.c.target_account_id))
        .where(endorsements.c.account_id == me, ids_in(endorsements.c.target_account_id, others)),
        select(*fact("note", account_notes.c.target_account_id, text=account_notes.c.comment))
        .where(account_notes.c.account_id == me, ids_in(account_notes.c.target_account_id, others)))


_RELATIONSHIP_FACTS = _relationship_facts()


async def relationships(conn: AsyncConnection, me: int, others) -> dict[int, dict]:  # noqa: ANN001
    """The relationship of `me` to each of `others` (api.entities.accounts.relationship_entity's
    `rel`, with `endorsed` and `note`), in one statement however many they are."""
    others = list(dict.fromkeys(others))
    out = {other: {"following": False, "requested": False, "followed_by": False, "requested_by": False,
                   "showing_reblogs": False, "notifying": False, "blocking": False, "blocked_by": False,
                   "muting": False, "muting_notifications": False, "endorsed": False, "note": ""}
           for other in others}
    if not others:
        return out
    for kind, other, flags, text in await fetch(conn, _RELATIONSHIP_FACTS, {"me": me, "others": others,
                                                                            "now": time.time()}):
        rel = out[other]
        if kind == "out":
            rel["following"], rel["requested"] = text == "accepted", text == "pending"
            rel["showing_reblogs"], rel["notifying"] = bool(flags & 1), bool(flags & 2)
        elif kind == "in":
            rel["followed_by"], rel["requested_by"] = text == "accepted", text == "pending"
        elif kind == "mute":
            rel["muting"], rel["muting_notifications"] = True, bool(flags)
        elif kind == "note":
            rel["note"] = text
        else:
            rel[kind] = True
    return out


async def relationship(conn: AsyncConnection, me: int, other: int) -> dict:
    return (await relationships(conn, me, [other]))[other]


# --- Notifications ------------------------------------------------------------------------------

async def notify(conn: AsyncConnection, *, account_id: int, from_account_id: int, type: str,
                 status_id: int | None = None, again: bool = False) -> int | None:
    """Record a notification once; returns its id, or None if it existed or the sender is blocked.
    With `again` (an `update` for each edit) a new one replaces the earlier one of its kind."""
    if account_id == from_account_id:
        return None
    if await is_blocked_either_way(conn, account_id, from_account_id):
        return None
    if status_id is not None and await conversation_mutes.muted_among(conn, account_id, [status_id]):
        return None  # the recipient muted this thread
    sender_domain = (await conn.execute(select(accounts.c.domain).where(accounts.c.id == from_account_id))).scalar()
    if await account_domain_blocks.blocking(conn, [account_id], sender_domain):
        return None
    cond = and_(notifications.c.account_id == account_id,
                notifications.c.from_account_id == from_account_id,
                notifications.c.type == type,
                notifications.c.status_id.is_(None) if status_id is None
                else notifications.c.status_id == status_id)
    if again:
        await conn.execute(delete(notifications).where(cond))
    elif (await conn.execute(select(notifications.c.id).where(cond))).first():
        return None
    notification_id = new_id()
    await conn.execute(insert(notifications).values(
        id=notification_id, account_id=account_id, from_account_id=from_account_id, type=type,
        status_id=status_id, created_at=time.time(), read=False))
    await stream_events.emit(conn, stream_events.user_stream(account_id), "notification", notification_id)
    await push.enqueue_for_notification(conn, notification_id=notification_id, account_id=account_id,
                                        from_account_id=from_account_id, type=type)
    return notification_id


async def withdraw_notification(conn: AsyncConnection, *, account_id: int, from_account_id: int,
                                type: str, status_id: int | None = None) -> None:
    cond = and_(notifications.c.account_id == account_id,
                notifications.c.from_account_id == from_account_id, notifications.c.type == type)
    if status_id is not None:
        cond = and_(cond, notifications.c.status_id == status_id)
    await conn.execute(delete(notifications).where(cond))


async def notification_page(conn: AsyncConnection, account_id: int, *, types=None, exclude_types=None,  # noqa: ANN001
                            max_id=None, since_id=None, min_id=None, limit: int = 40):  # noqa: ANN001, ANN201
    """A page of the account's notifications, newest first (statements built once per shape, as
    the timelines': models.statuses.bound_page_rows)."""
    from models.statuses import bound_page_rows

    def build():  # noqa: ANN202
        stmt = select(notifications).where(notifications.c.account_id == bindparam("account", type_=BigInteger))
        if types:
            stmt = stmt.where(ids_in(notifications.c.type, "types", strings=True))
        if exclude_types:
            stmt = stmt.where(not_(ids_in(notifications.c.type, "exclude_types", strings=True)))
        return stmt
    params = {"account": account_id} | ({"types": list(types)} if types else {}) \
        | ({"exclude_types": list(exclude_types)} if exclude_types else {})
    return await bound_page_rows(conn, ("notifications", bool(types), bool(exclude_types)), build,
                                 notifications.c.id, params, max_id=max_id, since_id=since_id, min_id=min_id,
                                 limit=limit)


async def get_notification(conn: AsyncConnection, account_id: int, notification_id: int):  # noqa: ANN201
    return (await conn.execute(select(notifications).where(
        notifications.c.account_id == account_id, notifications.c.id == notification_id))).first()


async def dismiss_notifications(conn: AsyncConnection, account_id: int, notification_id: int | None = None) -> None:
    stmt = delete(notifications).where(notifications.c.account_id == account_id)
    if notification_id is not None:
        stmt = stmt.where(notifications.c.id == notification_id)
    await conn.execute(stmt)
