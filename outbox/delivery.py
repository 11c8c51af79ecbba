"""The delivery worker: sign and POST each queued delivery, retrying with backoff."""
from __future__ import annotations

import logging
import time

from federation.runtime import Runtime
from federation.as2 import host_of
from federation.http import BlockedAddress, BlockedDomain, FetchError, PeerBusy, Signer
from models import accounts, dashboard, queues
from models.schema import deliveries

log = logging.getLogger(__name__)

# Answers that retrying cannot change: the peer refuses this activity for good.
PERMANENT = {400, 401, 403, 404, 405, 406, 410, 413, 414, 415, 422}


SIGNER_TTL = 300.0


async def _signer(rt: Runtime, account_id: int) -> Signer | None:
    """The account's key, read once per few minutes rather than once per delivery."""
    cached = rt.signers.get(account_id)
    if cached and time.time() - cached[0] < SIGNER_TTL:
        return cached[1]
    async with rt.db.read() as conn:
        account = await accounts.get(conn, account_id)
    if account is None or not account.private_key_pem:
        return None
    signer = Signer(account.public_key_id or "", account.private_key_pem)
    rt.signers[account_id] = (time.time(), signer)
    return signer


async def process(rt: Runtime, row) -> bool:  # noqa: ANN001
    """Deliver one row. True when it was delivered: the worker deletes it with its next claim (one
    transaction for many deliveries; a crash before that delivers it again, which receivers
    recognise by the activity's id)."""
    host = host_of(row.inbox_url)  # canonical, as the inbox and peer state record it
    wait = await rt.peers.wait_for(host)
    if wait:
        # The host's breaker is open: wait it out without knocking (no request, no attempt spent).
        async with rt.db.write() as conn:
            await queues.retry_later(conn, deliveries, row.id, f"circuit open for {host}", wait,
                                     refund_attempt=True)
        rt.metrics.delivery("deferred", host)
        return False
    signer = await _signer(rt, row.signer_account_id)
    if signer is None:
        async with rt.db.write() as conn:
            await queues.give_up(conn, deliveries, row.id, "signer is gone")
            await dashboard.count_delivery(conn, host, "dropped")
        rt.metrics.delivery("dropped", host)
        return False
    try:
        await rt.http.post_activity(row.inbox_url, row.body.encode(), signer)
    except PeerBusy as err:
        # Queued behind this node's own requests to the host: later, no attempt spent, the host not blamed.
        async with rt.db.write() as conn:
            await queues.retry_later(conn, deliveries, row.id, str(err), rt.config.delivery_retry_base,
                                     refund_attempt=True)
        rt.metrics.delivery("deferred", host)
        return False
    except FetchError as err:
        await _failed(rt, row, host, err)
        return False
    rt.metrics.delivery("delivered", host)
    await rt.peers.record_success(host)
    return True


async def _failed(rt: Runtime, row, host: str, err: FetchError) -> None:  # noqa: ANN001
    cfg = rt.config
    expired = time.time() - row.created_at > cfg.delivery_give_up_after
    if isinstance(err, (BlockedDomain, BlockedAddress)) or (err.status in PERMANENT) or expired:
        log.info("dropping delivery to %s: %s", row.inbox_url, err)
        async with rt.db.write() as conn:
            await queues.give_up(conn, deliveries, row.id, str(err))
            await dashboard.count_delivery(conn, host, "dropped")
        rt.metrics.delivery("dropped", host)
        return
    peer = await rt.peers.record_failure(host)
    async with rt.db.write() as conn:
        if peer.unavailable_since is not None:
            log.warning("%s has failed for %.0f s or more: marked unavailable", host, cfg.domain_unavailable_after)
            await queues.give_up(conn, deliveries, row.id, f"{host} is unavailable: {err}")
            await dashboard.count_delivery(conn, host, "dropped")
            rt.metrics.delivery("dropped", host)
            return
        delay = queues.backoff(row.attempts, base=cfg.delivery_retry_base, cap=cfg.delivery_retry_cap,
                               retry_after=err.retry_after)
        log.info("delivery to %s failed (attempt %d), retrying in %.0fs: %s",
                 row.inbox_url, row.attempts, delay, err)
        await queues.retry_later(conn, deliveries, row.id, str(err), delay)
        await dashboard.count_delivery(conn, host, "retry")
    rt.metrics.delivery("retry", host)
