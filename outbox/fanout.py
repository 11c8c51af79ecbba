"""Fan-out: from one queued job to home-timeline rows and one delivery per distinct inbox.

A use case writes its rows and one fan-out job in a single transaction (`social.outgoing.queue`). The fan-out worker
later expands the job, again in one transaction, so a crash either did all of it or none.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation.as2 import dumps, host_of
from models import home, instances, queues, social
from models.accounts import get_many
from models.schema import fanouts

log = logging.getLogger(__name__)


async def process(rt: Runtime, row) -> None:  # noqa: ANN001
    payload = json.loads(row.payload)
    async with rt.db.write() as conn:
        if payload.get("home_status"):
            await home.fill_home(conn, payload["home_status"])
        queued = 0
        if payload.get("activity") and payload.get("signer"):
            inboxes = await _allowed(conn, rt, await _inboxes(conn, payload))
            queued = await queues.enqueue_deliveries(conn, inboxes=inboxes, body=dumps(payload["activity"]),
                                                     signer_account_id=payload["signer"])
        await queues.finish(conn, fanouts, row.id)
    if queued:
        rt.wake("delivery")


async def _inboxes(conn: AsyncConnection, payload: dict) -> list[str]:
    """Distinct remote inboxes: shared inboxes first, so a server with many followers gets one copy."""
    remote: list = []  # (shared inbox, inbox) pairs
    if payload.get("followers_of"):
        remote += await social.follower_inboxes(conn, payload["followers_of"])
    targets = await get_many(conn, payload.get("to_accounts") or [])
    remote += [(a.shared_inbox_url, a.inbox_url) for a in targets.values() if not a.local]
    shared = [shared for shared, _ in remote if shared]
    personal = [inbox for shared, inbox in remote if not shared and inbox]
    return list(dict.fromkeys(shared + personal))


async def _allowed(conn: AsyncConnection, rt: Runtime, inboxes: list[str]) -> list[str]:
    """Only inboxes on domains this node federates with, and that are not unavailable, get a
    delivery row at all."""
    hosts = [host_of(i) for i in inboxes]
    down = await instances.unavailable(conn, hosts)
    return [inbox for inbox, host in zip(inboxes, hosts) if host not in down and await rt.policy.allows(inbox)]
