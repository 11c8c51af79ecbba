"""The inbox worker: apply stored activities, each once, through inbox.handlers."""
from __future__ import annotations

import json
import logging

from federation.runtime import Runtime
from federation.as2 import InvalidDocument
from federation.http import FetchError
from inbox.handlers import dispatch
from models import queues
from models.schema import inbox_items

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


async def process(rt: Runtime, row) -> bool:  # noqa: ANN001
    """Apply one stored activity. True when it was applied: the caller marks a batch of those done in
    one statement (handlers are idempotent, so a crash before that only applies them again)."""
    try:
        activity = json.loads(row.body)
        await dispatch(rt, activity, recipient_id=row.recipient_account_id)
    except InvalidDocument as err:
        log.info("dropping %s: %s", row.activity_uri, err)
        async with rt.db.write() as conn:
            await queues.give_up(conn, inbox_items, row.id, f"invalid: {err}")
        return False
    except (FetchError, Exception) as err:  # noqa: BLE001 - a stored activity is retried, never lost silently
        if not isinstance(err, FetchError):
            log.exception("error applying %s", row.activity_uri)
        async with rt.db.write() as conn:
            if row.attempts >= MAX_ATTEMPTS:
                await queues.give_up(conn, inbox_items, row.id, repr(err))
            else:
                delay = queues.backoff(row.attempts, base=rt.config.delivery_retry_base, cap=3600)
                await queues.retry_later(conn, inbox_items, row.id, repr(err), delay)
        return False
    return True
