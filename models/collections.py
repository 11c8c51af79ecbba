"""What a person keeps for themselves: bookmarks, mutes, pinned posts, lists, and the read state of
their direct conversations."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account
from models.ids import new_id
from models.once import insert_once
from models.rows import fetch, ids_in
from models.schema import (accounts, blocks, bookmarks, conversation_marks, favourites, list_accounts, lists,
                           mentions, mutes, pins, statuses)
from models.statuses import LIVE, paginate

MAX_PINS = 5


# --- Bookmarks ----------------------------------------------------------------------------------

async def add_bookmark(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    await insert_once(conn, bookmarks, {"account_id": account_id, "status_id": status_id})


async def remove_bookmark(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    await conn.execute(delete(bookmarks).where(bookmarks.c.account_id == account_id,
                                               bookmarks.c.status_id == status_id))


async def bookmarked_ids(conn: AsyncConnection, account_id: int, status_ids) -> set[int]:  # noqa: ANN001
    ids = list(status_ids)
    if not ids:
        return set()
    return set((await conn.execute(select(bookmarks.c.status_id).where(
        bookmarks.c.account_id == account_id, bookmarks.c.status_id.in_(ids)))).scalars())


async def bookmark_page(conn: AsyncConnection, account_id: int, **page) -> list[tuple[int, int]]:
    """(bookmark id, status id) pairs, newest bookmark first."""
    return await _kept_page(conn, bookmarks, account_id, page)


async def favourite_page(conn: AsyncConnection, account_id: int, **page) -> list[tuple[int, int]]:
    """(favourite id, status id) pairs, newest like first."""
    return await _kept_page(conn, favourites, account_id, page)


async def _kept_page(conn: AsyncConnection, table, account_id: int, page: dict) -> list[tuple[int, int]]:  # noqa: ANN001
    """A page of the live statuses someone kept in `table` (statements built once: models.statuses.bound_page_rows)."""
    from models.statuses import bound_page_rows

    def build():  # noqa: ANN202
        return (select(table.c.id, table.c.status_id).join(statuses, statuses.c.id == table.c.status_id)
                .where(table.c.account_id == bindparam("account", type_=BigInteger), LIVE))
    rows = await bound_page_rows(conn, ("kept", table.name), build, table.c.id, {"account": account_id}, **page)
    return [(r[0], r[1]) for r in rows]


# --- Mutes --------------------------------------------------------------------------------------

def _active_mute(now: float):  # noqa: ANN202
    return or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now)


async def add_mute(conn: AsyncConnection, account_id: int, target_id: int, *, notifications: bool,
                   expires_at: float | None) -> None:
    await conn.execute(delete(mutes).where(mutes.c.account_id == account_id,
                                           mutes.c.target_account_id == target_id))
    await conn.execute(insert(mutes).values(id=new_id(), account_id=account_id, target_account_id=target_id,
                                            notifications=notifications, expires_at=expires_at,
                                            created_at=time.time()))


async def local_mutes_of(conn: AsyncConnection, target_id: int) -> list[tuple[int, bool, float | None]]:
    """(muter, notifications too, expiry) for this node's accounts that mute `target_id` now."""
    rows = (await conn.execute(
        select(mutes.c.account_id, mutes.c.notifications, mutes.c.expires_at)
        .join(accounts, accounts.c.id == mutes.c.account_id)
        .where(mutes.c.target_account_id == target_id, accounts.c.domain.is_(None),
               _active_mute(time.time())))).all()
    return [(r.account_id, r.notifications, r.expires_at) for r in rows]


async def remove_mute(conn: AsyncConnection, account_id: int, target_id: int) -> None:
    await conn.execute(delete(mutes).where(mutes.c.account_id == account_id,
                                           mutes.c.target_account_id == target_id))


async def muted(conn: AsyncConnection, account_id: int, others, *, notifications_only: bool = False,  # noqa: ANN001
                ) -> set[int]:
    """Which of `others` `account_id` mutes now (with notifications_only: also their notifications)."""
    others = list(others)
    if not others:
        return set()
    stmt = select(mutes.c.target_account_id).where(
        mutes.c.account_id == account_id, mutes.c.target_account_id.in_(others), _active_mute(time.time()))
    if notifications_only:
        stmt = stmt.where(mutes.c.notifications.is_(True))
    return set((await conn.execute(stmt)).scalars())


async def mute_state(conn: AsyncConnection, account_id: int, target_id: int) -> tuple[bool, bool]:
    """(muting, muting_notifications)."""
    row = (await conn.execute(select(mutes.c.notifications).where(
        mutes.c.account_id == account_id, mutes.c.target_account_id == target_id,
        _active_mute(time.time())))).first()
    return (row is not None, bool(row and row.notifications))


async def _account_page(conn: AsyncConnection, table, account_id: int, page: dict,  # noqa: ANN001
                        extra=None) -> list[tuple[int, Account, object]]:  # noqa: ANN001
    stmt = (select(table.c.id.label("cursor"), accounts, *(extra or []))
            .join(accounts, accounts.c.id == table.c.target_account_id)
            .where(table.c.account_id == account_id))
    if table is mutes:
        stmt = stmt.where(_active_mute(time.time()))
    stmt, ascending = paginate(stmt, table.c.id, **page)
    rows = (await conn.execute(stmt)).all()
    out = [(r.cursor, Account.from_row(r), r) for r in rows]
    return list(reversed(out)) if ascending else out


async def mute_page(conn: AsyncConnection, account_id: int, **page) -> list[tuple[int, Account, object]]:
    return await _account_page(conn, mutes, account_id, page,
                               [mutes.c.expires_at.label("mute_expires_at"),
                                mutes.c.notifications.label("mute_notifications")])


async def block_page(conn: AsyncConnection, account_id: int, **page) -> list[tuple[int, Account, object]]:
    return await _account_page(conn, blocks, account_id, page)


# --- Pins ---------------------------------------------------------------------------------------

async def pin(conn: AsyncConnection, account_id: int, status_id: int) -> bool:
    """False when the author already has MAX_PINS pinned posts."""
    if (await conn.execute(select(pins.c.id).where(pins.c.status_id == status_id))).first():
        return True
    count = (await conn.execute(select(func.count()).select_from(pins).where(
        pins.c.account_id == account_id))).scalar_one()
    if count >= MAX_PINS:
        return False
    await conn.execute(insert(pins).values(id=new_id(), account_id=account_id, status_id=status_id,
                                           created_at=time.time()))
    return True


async def unpin(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    await conn.execute(delete(pins).where(pins.c.account_id == account_id, pins.c.status_id == status_id))


async def pinned_ids(conn: AsyncConnection, status_ids) -> set[int]:  # noqa: ANN001
    ids = list(status_ids)
    if not ids:
        return set()
    return set((await conn.execute(select(pins.c.status_id).where(pins.c.status_id.in_(ids)))).scalars())


async def pinned_of(conn: AsyncConnection, account_id: int) -> list[int]:
    """An account's pinned, live status ids, most recently pinned first."""
    return list((await conn.execute(select(pins.c.status_id).join(statuses, statuses.c.id == pins.c.status_id)
                                    .where(pins.c.account_id == account_id, LIVE)
                                    .order_by(pins.c.id.desc()))).scalars())


# --- Lists --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class List:
    id: int
    account_id: int
    title: str
    replies_policy: str
    exclusive: bool
    public: bool = False  # shared: a page, a collection, a feed and a CSV anyone may read


REPLIES_POLICIES = ("followed", "list", "none")


def _list(row) -> List:  # noqa: ANN001
    return List(row.id, row.account_id, row.title, row.replies_policy, bool(row.exclusive), bool(row.public))


async def create_list(conn: AsyncConnection, account_id: int, *, title: str, replies_policy: str,
                      exclusive: bool, public: bool = False) -> List:
    list_id = new_id()
    await conn.execute(insert(lists).values(id=list_id, account_id=account_id, title=title,
                                            replies_policy=replies_policy, exclusive=exclusive,
                                            public=public, created_at=time.time()))
    return await get_list(conn, account_id, list_id)  # type: ignore[return-value]


_OWN_LIST = select(lists).where(lists.c.id == bindparam("list", type_=BigInteger),
                                lists.c.account_id == bindparam("account", type_=BigInteger))


async def get_list(conn: AsyncConnection, account_id: int, list_id: int) -> List | None:
    rows = await fetch(conn, _OWN_LIST, {"list": list_id, "account": account_id})
    return _list(rows[0]) if rows else None


async def public_list(conn: AsyncConnection, list_id: int) -> List | None:
    """A list its owner made public (None for a private one, exactly as for none at all)."""
    row = (await conn.execute(select(lists).where(lists.c.id == list_id, lists.c.public.is_(True)))).first()
    return _list(row) if row else None


async def update_list(conn: AsyncConnection, list_id: int, **values) -> None:
    await conn.execute(update(lists).where(lists.c.id == list_id).values(**values))


async def delete_list(conn: AsyncConnection, list_id: int) -> None:
    await conn.execute(delete(list_accounts).where(list_accounts.c.list_id == list_id))
    await conn.execute(delete(lists).where(lists.c.id == list_id))


async def lists_of(conn: AsyncConnection, account_id: int, *, containing: int | None = None) -> list[List]:
    stmt = select(lists).where(lists.c.account_id == account_id)
    if containing is not None:
        stmt = stmt.join(list_accounts, list_accounts.c.list_id == lists.c.id).where(
            list_accounts.c.account_id == containing)
    return [_list(r) for r in (await conn.execute(stmt.order_by(lists.c.id))).all()]


async def add_list_accounts(conn: AsyncConnection, list_id: int, account_ids: list[int]) -> None:
    have = set((await conn.execute(select(list_accounts.c.account_id).where(
        list_accounts.c.list_id == list_id))).scalars())
    rows = [{"list_id": list_id, "account_id": a} for a in dict.fromkeys(account_ids) if a not in have]
    if rows:
        await conn.execute(insert(list_accounts), rows)


async def remove_list_accounts(conn: AsyncConnection, list_id: int, account_ids: list[int]) -> None:
    await conn.execute(delete(list_accounts).where(list_accounts.c.list_id == list_id,
                                                   list_accounts.c.account_id.in_(account_ids)))


async def list_members(conn: AsyncConnection, list_id: int, *, limit: int = 40,
                       max_id: int | None = None) -> list[Account]:
    stmt = (select(accounts).join(list_accounts, list_accounts.c.account_id == accounts.c.id)
            .where(list_accounts.c.list_id == list_id))
    if max_id is not None:
        stmt = stmt.where(accounts.c.id < max_id)
    rows = (await conn.execute(stmt.order_by(accounts.c.id.desc()).limit(limit))).all()
    return [Account.from_row(r) for r in rows]


async def shared_members(conn: AsyncConnection, list_id: int, limit: int) -> list[Account]:
    """A public list's members as anyone may see them: in the order they were added, suspended
    accounts left out. One statement."""
    rows = (await conn.execute(
        select(accounts).join(list_accounts, list_accounts.c.account_id == accounts.c.id)
        .where(list_accounts.c.list_id == list_id, accounts.c.suspended_at.is_(None))
        .order_by(accounts.c.id).limit(limit))).all()
    return [Account.from_row(r) for r in rows]


def list_member_ids(list_id: int):  # noqa: ANN201
    return select(list_accounts.c.account_id).where(list_accounts.c.list_id == list_id)


# Built once: every page of home asks (see models.statuses.bound_page_ids).
_EXCLUSIVE_MEMBERS = (select(list_accounts.c.account_id).join(lists, lists.c.id == list_accounts.c.list_id)
                      .where(lists.c.account_id == bindparam("account"), lists.c.exclusive.is_(True)))


async def exclusive_member_ids(conn: AsyncConnection, account_id: int) -> set[int]:
    """Accounts on the viewer's exclusive lists: their posts stay out of the home timeline."""
    return set((await conn.execute(_EXCLUSIVE_MEMBERS, {"account": account_id})).scalars())


# --- Direct conversations -----------------------------------------------------------------------

def direct_condition(viewer_id):  # noqa: ANN001, ANN201
    """Direct statuses the viewer wrote or is mentioned in."""
    mentioned = select(mentions.c.status_id).where(mentions.c.account_id == viewer_id)
    return and_(statuses.c.visibility == "direct", LIVE, statuses.c.reblog_of_id.is_(None),
                or_(statuses.c.account_id == viewer_id, statuses.c.id.in_(mentioned)))


_MARKS_OF = select(conversation_marks).where(conversation_marks.c.account_id == bindparam("account", type_=BigInteger),
                                             ids_in(conversation_marks.c.conversation_id))


async def conversation_marks_of(conn: AsyncConnection, account_id: int, conversation_ids) -> dict[int, object]:  # noqa: ANN001
    ids = list(conversation_ids)
    if not ids:
        return {}
    return {r.conversation_id: r for r in await fetch(conn, _MARKS_OF, {"account": account_id, "ids": ids})}


async def set_conversation_mark(conn: AsyncConnection, account_id: int, conversation_id: int, **values) -> None:
    row = (await conn.execute(select(conversation_marks).where(
        conversation_marks.c.account_id == account_id,
        conversation_marks.c.conversation_id == conversation_id))).first()
    if row is None:
        await conn.execute(insert(conversation_marks).values(
            account_id=account_id, conversation_id=conversation_id,
            read_up_to=values.get("read_up_to", 0), hidden_up_to=values.get("hidden_up_to", 0)))
    else:
        await conn.execute(update(conversation_marks).where(
            conversation_marks.c.account_id == account_id,
            conversation_marks.c.conversation_id == conversation_id).values(**values))


async def list_timeline_ids(conn: AsyncConnection, lst: List, viewer_id: int, **page) -> list[int]:
    """Posts and boosts by the list's members that the owner may see, filtered by its replies policy
    (a statement built once per policy: models.statuses.bound_page_ids)."""
    from models.schema import follows
    from models.statuses import bound_page_ids, visible_to

    def build():  # noqa: ANN202
        viewer = bindparam("viewer", type_=BigInteger)
        members = select(list_accounts.c.account_id).where(list_accounts.c.list_id == bindparam("list", type_=BigInteger))
        stmt = select(statuses.c.id).where(statuses.c.account_id.in_(members), LIVE, visible_to(viewer))
        not_reply = or_(statuses.c.in_reply_to_id.is_(None), statuses.c.in_reply_to_account_id == statuses.c.account_id)
        if lst.replies_policy == "none":
            return stmt.where(not_reply)
        if lst.replies_policy == "list":
            return stmt.where(or_(not_reply, statuses.c.in_reply_to_account_id == viewer,
                                  statuses.c.in_reply_to_account_id.in_(members)))
        followed = select(follows.c.target_account_id).where(follows.c.account_id == viewer,
                                                             follows.c.state == "accepted")
        return stmt.where(or_(not_reply, statuses.c.in_reply_to_account_id == viewer,
                              statuses.c.in_reply_to_account_id.in_(followed)))
    return await bound_page_ids(conn, ("list", lst.replies_policy), build, statuses.c.id,
                                {"list": lst.id, "viewer": viewer_id}, **page)


_DIRECT = (select(statuses.c.id, statuses.c.account_id).where(direct_condition(bindparam("viewer", type_=BigInteger)))
           .order_by(statuses.c.id.desc()).limit(bindparam("limit", type_=Integer)))


async def direct_statuses(conn: AsyncConnection, viewer_id: int, limit: int = 400) -> list:
    """(id, account_id) of the newest direct statuses the viewer is part of, newest first
    (conversations are built from these)."""
    return await fetch(conn, _DIRECT, {"viewer": viewer_id, "limit": limit})


