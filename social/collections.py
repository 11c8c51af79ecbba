"""A person's own collections: bookmarks, pinned posts, mutes and direct conversations."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from models import accounts, collections, conversation_mutes, statuses
from models.accounts import Account
from models.statuses import Status
from social.errors import NotFound, Unprocessable


async def _visible(conn, viewer: Account, status_id: int) -> Status:  # noqa: ANN001
    status = await statuses.get(conn, status_id)
    if status is None or not await statuses.can_see(conn, status, viewer.id, viewer.local):
        raise NotFound("Record not found")
    return status


async def _on_visible(rt: Runtime, viewer: Account, status_id: int,
                      change: Callable[[AsyncConnection, int, int], Awaitable[object]]) -> Status:
    """Apply `change(conn, viewer id, status id)` to a status the viewer may see (else 404)."""
    async with rt.db.write() as conn:
        status = await _visible(conn, viewer, status_id)
        await change(conn, viewer.id, status.id)
    return status


async def bookmark(rt: Runtime, viewer: Account, status_id: int) -> Status:
    return await _on_visible(rt, viewer, status_id, collections.add_bookmark)


async def mute_conversation(rt: Runtime, viewer: Account, status_id: int) -> Status:
    return await _on_visible(rt, viewer, status_id, conversation_mutes.mute)


async def unmute_conversation(rt: Runtime, viewer: Account, status_id: int) -> Status:
    return await _on_visible(rt, viewer, status_id, conversation_mutes.unmute)


async def unbookmark(rt: Runtime, viewer: Account, status_id: int) -> Status:
    return await _on_visible(rt, viewer, status_id, collections.remove_bookmark)


async def pin(rt: Runtime, viewer: Account, status_id: int) -> Status:
    """Only one's own public or unlisted posts (not boosts), at most MAX_PINS of them."""
    async with rt.db.write() as conn:
        status = await _visible(conn, viewer, status_id)
        if status.account_id != viewer.id:
            raise Unprocessable("Validation failed: You can only pin your own posts")
        if status.reblog_of_id or status.visibility not in ("public", "unlisted"):
            raise Unprocessable("Validation failed: Only public and unlisted posts can be pinned")
        if not await collections.pin(conn, viewer.id, status.id):
            raise Unprocessable("Validation failed: You have already pinned the maximum number of posts")
    return status


async def unpin(rt: Runtime, viewer: Account, status_id: int) -> Status:
    return await _on_visible(rt, viewer, status_id, collections.unpin)


async def mute(rt: Runtime, viewer: Account, target_id: int, *, notifications: bool = True,
               duration: int = 0) -> None:
    """Their posts leave the muter's home timeline (and are hidden from lists while the mute lasts);
    with `notifications`, their notifications are hidden too. `duration` seconds, 0 for ever."""
    if duration < 0:
        raise Unprocessable("Validation failed: duration must not be negative")
    async with rt.db.write() as conn:
        target = await accounts.get(conn, target_id)
        if target is None or target.suspended_at is not None:
            raise NotFound("Record not found")
        if target.id == viewer.id:
            raise Unprocessable("Validation failed: You cannot mute yourself")
        await collections.add_mute(conn, viewer.id, target.id, notifications=notifications,
                                   expires_at=time.time() + duration if duration else None)
        await statuses.remove_author_from_home(conn, viewer.id, target.id)


async def unmute(rt: Runtime, viewer: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        target = await accounts.get(conn, target_id)
        if target is None:
            raise NotFound("Record not found")
        await collections.remove_mute(conn, viewer.id, target.id)


# --- Direct conversations -----------------------------------------------------------------------

async def thread_root(conn, status: Status) -> int:  # noqa: ANN001
    """A conversation is keyed by the id of its thread's first post still known here."""
    return (await statuses.thread_roots(conn, [status.id])).get(status.id, status.id)


async def mark_conversation_read(rt: Runtime, viewer: Account, conversation_id: int, last_status_id: int) -> None:
    async with rt.db.write() as conn:
        await collections.set_conversation_mark(conn, viewer.id, conversation_id, read_up_to=last_status_id)


async def hide_conversation(rt: Runtime, viewer: Account, conversation_id: int, last_status_id: int) -> None:
    async with rt.db.write() as conn:
        await collections.set_conversation_mark(conn, viewer.id, conversation_id, hidden_up_to=last_status_id,
                                                read_up_to=last_status_id)
