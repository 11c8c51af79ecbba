"""The delivery worker: sign and POST each queued delivery, retrying with backoff."""
from __future__ import annotations

import logging
import time

from backchannel.runtime import Runtime
from federation.http import BlockedDomain, FetchError, Signer
from models import accounts, queues
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


async def process(rt: Runtime, row) -> None:  # noqa: ANN001
    signer = await _signer(rt, row.signer_account_id)
    if signer is None:
        async with rt.db.write() as conn:
            await queues.give_up(conn, deliveries, row.id, "signer is gone")
        return
    try:
        await rt.http.post_activity(row.inbox_url, row.body.encode(), signer)
    except FetchError as err:
        await _failed(rt, row, err)
        return
    async with rt.db.write() as conn:
        await queues.finish(conn, deliveries, row.id)


async def _failed(rt: Runtime, row, err: FetchError) -> None:  # noqa: ANN001
    cfg = rt.config
    expired = time.time() - row.created_at > cfg.delivery_give_up_after
    async with rt.db.write() as conn:
        if err.status in PERMANENT or expired or isinstance(err, BlockedDomain):
            log.info("dropping delivery to %s: %s", row.inbox_url, err)
            await queues.give_up(conn, deliveries, row.id, str(err))
            return
        delay = queues.backoff(row.attempts, base=cfg.delivery_retry_base, cap=cfg.delivery_retry_cap,
                               retry_after=err.retry_after)
        log.info("delivery to %s failed (attempt %d), retrying in %.0fs: %s",
                 row.inbox_url, row.attempts, delay, err)
        await queues.retry_later(conn, deliveries, row.id, str(err), delay)
