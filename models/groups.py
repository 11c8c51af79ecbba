"""Groups (communities of practice): a group's settings and moderators, and what it relayed or a
moderator removed. The group itself is a local account of type Group; its members are its
accepted followers (models.social)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account
from models.schema import accounts, follows, group_moderators, group_posts, groups, statuses

JOIN_POLICIES = ("open", "approval", "local")


@dataclass(frozen=True)
class Group:
    account: Account
    join_policy: str
    rules: list[str]
    created_by_account_id: int | None
    moderator_ids: tuple[int, ...]

    @property
    def id(self) -> int:
        return self.account.id


async def create(conn: AsyncConnection, *, account_id: int, join_policy: str, rules: list[str],
                 created_by: int | None, moderator_ids: list[int]) -> None:
    await conn.execute(insert(groups).values(account_id=account_id, join_policy=join_policy,
                                             rules=json.dumps(rules), created_by_account_id=created_by,
                                             created_at=time.time()))
    for moderator_id in dict.fromkeys(moderator_ids):
        await conn.execute(insert(group_moderators).values(group_id=account_id, account_id=moderator_id))


async def get(conn: AsyncConnection, account_id: int) -> Group | None:
    row = (await conn.execute(select(accounts, groups.c.join_policy, groups.c.rules,
                                     groups.c.created_by_account_id)
                              .join(groups, groups.c.account_id == accounts.c.id)
                              .where(accounts.c.id == account_id))).first()
    if row is None:
        return None
    moderators = (await conn.execute(select(group_moderators.c.account_id)
                                     .where(group_moderators.c.group_id == account_id))).scalars().all()
    return Group(Account.from_row(row), row.join_policy, json.loads(row.rules or "[]"),
                 row.created_by_account_id, tuple(moderators))


async def local_group_ids(conn: AsyncConnection, account_ids) -> list[int]:  # noqa: ANN001
    """Which of `account_ids` are this node's groups."""
    ids = list(account_ids)
    if not ids:
        return []
    return list((await conn.execute(select(groups.c.account_id).where(groups.c.account_id.in_(ids)))).scalars())


async def list_groups(conn: AsyncConnection, limit: int = 200) -> list[Account]:
    rows = (await conn.execute(select(accounts).join(groups, groups.c.account_id == accounts.c.id)
                               .where(accounts.c.suspended_at.is_(None))
                               .order_by(accounts.c.username).limit(limit))).all()
    return [Account.from_row(r) for r in rows]


async def is_member(conn: AsyncConnection, group_id: int, account_id: int) -> bool:
    return (await conn.execute(select(follows.c.id).where(
        follows.c.account_id == account_id, follows.c.target_account_id == group_id,
        follows.c.state == "accepted"))).first() is not None


async def set_moderators(conn: AsyncConnection, group_id: int, account_ids: list[int]) -> None:
    await conn.execute(delete(group_moderators).where(group_moderators.c.group_id == group_id))
    for account_id in dict.fromkeys(account_ids):
        await conn.execute(insert(group_moderators).values(group_id=group_id, account_id=account_id))


async def thread_groups(conn: AsyncConnection, status_id: int) -> list[tuple[int, str]]:
    """(group id, state) of each local group that relayed or removed a status."""
    rows = (await conn.execute(select(group_posts.c.group_id, group_posts.c.state)
                               .where(group_posts.c.status_id == status_id))).all()
    return [(r.group_id, r.state) for r in rows]


async def post_state(conn: AsyncConnection, group_id: int, status_id: int):  # noqa: ANN201
    """The group's row for a status (state, boost_id), or None."""
    return (await conn.execute(select(group_posts.c.state, group_posts.c.boost_id).where(
        group_posts.c.group_id == group_id, group_posts.c.status_id == status_id))).first()


async def record_post(conn: AsyncConnection, group_id: int, status_id: int, *, state: str,
                      boost_id: int | None) -> None:
    if await post_state(conn, group_id, status_id) is None:
        await conn.execute(insert(group_posts).values(group_id=group_id, status_id=status_id, state=state,
                                                      boost_id=boost_id, created_at=time.time()))
    else:
        await conn.execute(update(group_posts).where(
            group_posts.c.group_id == group_id, group_posts.c.status_id == status_id).values(
            state=state, boost_id=boost_id))


async def thread_ids(conn: AsyncConnection, group_id: int, *, max_id: int | None = None,
                     limit: int = 20) -> list[int]:
    """The group's threads: relayed posts that answer nothing the group relayed, newest first."""
    parent = group_posts.alias("parent")
    stmt = (select(group_posts.c.status_id)
            .join(statuses, statuses.c.id == group_posts.c.status_id)
            .outerjoin(parent, and_(parent.c.group_id == group_id,
                                    parent.c.status_id == statuses.c.in_reply_to_id))
            .where(group_posts.c.group_id == group_id, group_posts.c.state == "relayed",
                   statuses.c.deleted_at.is_(None), parent.c.status_id.is_(None)))
    if max_id is not None:
        stmt = stmt.where(group_posts.c.status_id < max_id)
    return list((await conn.execute(stmt.order_by(group_posts.c.status_id.desc()).limit(limit))).scalars())
