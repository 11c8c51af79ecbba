"""Scheduled statuses: stored now, published by a periodic job through post_status when due."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict

from federation.runtime import Runtime
from models import accounts
from models import media as media_store
from models import scheduled
from models.accounts import Account
from models.ids import new_id
from models.scheduled import ScheduledStatus
from social import statuses as status_uc
from social.errors import NotFound, ServiceError, Unprocessable
from social.polls import PollRequest, check_request as check_poll

log = logging.getLogger(__name__)

MIN_LEAD_SECONDS = 300.0  # Mastodon: at least 5 minutes ahead
MAX_PER_ACCOUNT = 300
BATCH = 50
LEASE_SECONDS = 300.0


def check_time(scheduled_at: float) -> None:
    if scheduled_at < time.time() + MIN_LEAD_SECONDS:
        raise Unprocessable("Validation failed: Scheduled at The scheduled date must be in the future")


async def schedule(rt: Runtime, author: Account, scheduled_at: float, *, text: str, visibility: str,
                   spoiler_text: str = "", sensitive: bool = False, in_reply_to_id: int | None = None,
                   language: str | None = None, media_ids: list[int] | None = None,
                   poll: PollRequest | None = None) -> ScheduledStatus:
    """Check what can be checked now (time, text, media, poll) and store the post for later."""
    check_time(scheduled_at)
    status_uc.check_media_request(media_ids, poll)
    if poll is not None:
        poll = check_poll(poll)
    status_uc.check_text(rt, text, spoiler_text, allow_blank=bool(media_ids))
    params = {"text": text, "visibility": visibility, "spoiler_text": spoiler_text or None,
              "sensitive": sensitive, "in_reply_to_id": in_reply_to_id, "language": language,
              "media_ids": [str(i) for i in media_ids] if media_ids else None,
              "poll": asdict(poll) if poll is not None else None}
    async with rt.db.write() as conn:
        if media_ids:
            found = await media_store.attachable(conn, author.id, media_ids)
            if len(found) != len(dict.fromkeys(media_ids)):
                raise Unprocessable("Validation failed: Media attachments are invalid")
        mine = await scheduled.page(conn, author.id, limit=MAX_PER_ACCOUNT)
        if len(mine) >= MAX_PER_ACCOUNT:
            raise Unprocessable("Validation failed: You have exceeded the limit of scheduled statuses")
        return await scheduled.insert_scheduled(conn, author.id, scheduled_at, params)


async def reschedule(rt: Runtime, author: Account, scheduled_id: int, scheduled_at: float) -> ScheduledStatus:
    check_time(scheduled_at)
    async with rt.db.write() as conn:
        found = await scheduled.get(conn, author.id, scheduled_id)
        if found is None:
            raise NotFound("Record not found")
        await scheduled.reschedule(conn, scheduled_id, scheduled_at)
        return await scheduled.get(conn, author.id, scheduled_id)  # type: ignore[return-value]


async def cancel(rt: Runtime, author: Account, scheduled_id: int) -> None:
    async with rt.db.write() as conn:
        if await scheduled.get(conn, author.id, scheduled_id) is None:
            raise NotFound("Record not found")
        await scheduled.remove(conn, scheduled_id)


async def publish(rt: Runtime, item: ScheduledStatus, status_id: int) -> None:
    p = item.params
    async with rt.db.read() as conn:
        author = await accounts.get(conn, item.account_id)
    if author is None or author.suspended_at is not None:
        return
    poll = PollRequest(**p["poll"]) if p.get("poll") else None
    await status_uc.post_status(
        rt, author, text=p.get("text") or "", visibility=p.get("visibility") or "public",
        spoiler_text=p.get("spoiler_text") or "", sensitive=bool(p.get("sensitive")),
        in_reply_to_id=p.get("in_reply_to_id"), language=p.get("language"),
        media_ids=[int(i) for i in p.get("media_ids") or []] or None, poll=poll, status_id=status_id)


async def publish_due(rt: Runtime) -> None:
    """The periodic job. Each due row is leased (moved a few minutes ahead, with the status id it
    will get), published, then removed: a crash in between publishes it on the next lease with the
    same status id, which post_status recognises, so it is posted once and never lost. A post that
    cannot be published (its reply target is gone, say) is dropped and logged, as Mastodon drops it."""
    async with rt.db.read() as conn:
        items = await scheduled.due(conn, time.time(), BATCH)
    for item in items:
        status_id = int(item.params.get("status_id") or new_id())
        async with rt.db.write() as conn:
            if not await scheduled.lease(conn, item, until=time.time() + LEASE_SECONDS, status_id=status_id):
                continue
        try:
            await publish(rt, item, status_id)
        except ServiceError as err:
            log.info("dropping scheduled status %s: %s", item.id, err)
        except Exception:  # noqa: BLE001 - retried after the lease; one bad post must not stop the others
            log.exception("cannot publish scheduled status %s yet", item.id)
            continue
        async with rt.db.write() as conn:
            await scheduled.remove(conn, item.id)
    async with rt.db.write() as conn:
        await scheduled.prune_keys(conn)
