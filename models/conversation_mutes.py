"""Muted conversations: a thread is named by its first post (the root of the reply chain)."""
from __future__ import annotations

import time

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import conversation_mutes, statuses

MAX_DEPTH = 100  # reply chains longer than this are treated as rooted where the walk stops


async def root_id(conn: AsyncConnection, status_id: int) -> int:
    current = status_id
    for _ in range(MAX_DEPTH):
        parent = (await conn.execute(select(statuses.c.in_reply_to_id).where(statuses.c.id == current))).scalar()
        if parent is None:
            return current
        current = parent
    return current


async def mute(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    root = await root_id(conn, status_id)
    if not await _has(conn, account_id, root):
        await conn.execute(insert(conversation_mutes).values(account_id=account_id, root_status_id=root,
                                                             created_at=time.time()))


async def unmute(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    root = await root_id(conn, status_id)
    await conn.execute(delete(conversation_mutes).where(conversation_mutes.c.account_id == account_id,
                                                        conversation_mutes.c.root_status_id == root))


async def _has(conn: AsyncConnection, account_id: int, root: int) -> bool:
    return (await conn.execute(select(conversation_mutes.c.root_status_id).where(
        conversation_mutes.c.account_id == account_id, conversation_mutes.c.root_status_id == root))).first() is not None


async def muted_among(conn: AsyncConnection, account_id: int, status_ids) -> set[int]:  # noqa: ANN001
    """Which of `status_ids` are in threads `account_id` muted (cheap when it muted none)."""
    roots = set((await conn.execute(select(conversation_mutes.c.root_status_id).where(
        conversation_mutes.c.account_id == account_id))).scalars())
    if not roots:
        return set()
    return {sid for sid in set(status_ids) if await root_id(conn, sid) in roots}
