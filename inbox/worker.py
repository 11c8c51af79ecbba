"""The inbox worker: apply stored activities, each once, through inbox.handlers.

backchannel.workers runs several at once, at most one per origin (models.queues.claim_inbox). What
one activity may cost is bounded here: its fetches share one deadline and ask each URL once, and a
failure is retried a few times, then the activity is given up with its reason recorded.
"""
from __future__ import annotations

import logging

from federation import deref, safejson
from federation.as2 import InvalidDocument
from federation.http import BlockedAddress, BlockedDomain, FetchError
from federation.runtime import Runtime
from inbox.handlers import actors_of, dispatch, forwarder, plain_create
from models import queues
from models.schema import inbox_items
from social import statuses as status_facts

log = logging.getLogger(__name__)
# Attempts before an activity is given up: a remote document that cannot be had is asked for three
# times (backoff between); anything else (the database was busy, a bug) gets more chances.
FETCH_ATTEMPTS = 3
MAX_ATTEMPTS = 8
# Fetches one activity may make, each bounded by the client's deadline: the activity's own budget.
FETCHES_PER_ACTIVITY = 3
# HTTP statuses that will not change on a retry: the document is gone or is not ours to see.
FINAL_STATUSES = {401, 403, 404, 410}


def fetch_seconds(rt: Runtime) -> float:
    """The most time one activity spends on fetches, all of them together."""
    return FETCHES_PER_ACTIVITY * rt.config.request_timeout


def lock_seconds(rt: Runtime) -> float:
    """How long a claimed activity stays locked: longer than it can take, so nobody else takes it."""
    return fetch_seconds(rt) + 120


async def process(rt: Runtime, row) -> bool:  # noqa: ANN001
    """Apply one stored activity. True when it was applied: the caller marks those done in its next
    claim (handlers are idempotent, so a crash before that only applies them again)."""
    activity: object = None
    try:
        activity = safejson.parse(row.body)
        with deref.fetch_budget(fetch_seconds(rt)):
            await dispatch(rt, activity, recipient_id=row.recipient_account_id,
                           forwarded_by=forwarder(activity, row.actor_uri))
    except InvalidDocument as err:
        log.info("dropping %s: %s", row.activity_uri, err)
        await _give_up(rt, row, f"invalid: {err}", activity)
        return False
    except FetchError as err:
        if _final(err) or row.attempts >= FETCH_ATTEMPTS:
            log.info("giving up %s after %d attempts: %s", row.activity_uri, row.attempts, err)
            await _give_up(rt, row, f"fetch: {err}", activity)
        else:
            await _retry(rt, row, err, activity, cap=600)
        return False
    except Exception as err:  # noqa: BLE001 - a stored activity is retried, never lost silently
        log.exception("error applying %s", row.activity_uri)
        if row.attempts >= MAX_ATTEMPTS:
            await _give_up(rt, row, repr(err), activity)
        else:
            await _retry(rt, row, err, activity, cap=3600)
        return False
    rt.metrics.inbox_activity(_type(activity), "applied")
    return True


async def apply_together(rt: Runtime, rows: list) -> list:  # noqa: ANN001 - claimed inbox_items rows
    """Apply the plain Creates among claimed rows (inbox.handlers.plain_create) all at once, in one
    transaction that also marks them applied (social.statuses.create_many): a few statements for
    the lot instead of a transaction of a dozen statements each. Returns the rows left for
    `process`, one by one: every other activity, and all of them if the batch fails."""
    together, alone = [], []
    activities = []
    for row in rows:
        try:
            activities.append(safejson.parse(row.body))
        except Exception:  # noqa: BLE001 - anything unusual is `process`'s to apply or record
            activities.append(None)
    actors = await actors_of(rt, activities)
    for row, activity in zip(rows, activities):
        try:
            post = (await plain_create(rt, activity, actors) if isinstance(activity, dict)
                    and not forwarder(activity, row.actor_uri) else None)
        except Exception:  # noqa: BLE001 - anything unusual is `process`'s to apply or record
            post = None
        (together if post is not None else alone).append((row, post))
    if len(together) < 2:
        return rows
    try:
        await status_facts.create_many(rt, [post for _, post in together], also=lambda conn: queues.finish_inbox_items(
            conn, [row.id for row, _ in together]))
    except Exception:  # noqa: BLE001 - each is applied alone, and fails (or not) on its own
        log.exception("applying %d activities together failed; applying them one by one", len(together))
        return rows
    for _ in together:
        rt.metrics.inbox_activity("Create", "applied")
    return [row for row, _ in alone]


def _type(activity: object) -> object:
    return activity.get("type") if isinstance(activity, dict) else None


def _final(err: FetchError) -> bool:
    return isinstance(err, (BlockedAddress, BlockedDomain, deref.OriginMismatch)) or err.status in FINAL_STATUSES


async def _give_up(rt: Runtime, row, error: str, activity: object) -> None:  # noqa: ANN001
    async with rt.db.write() as conn:
        await queues.give_up(conn, inbox_items, row.id, error)
    rt.metrics.inbox_activity(_type(activity), "dropped")


async def _retry(rt: Runtime, row, err: Exception, activity: object, *, cap: float) -> None:  # noqa: ANN001
    delay = queues.backoff(row.attempts, base=rt.config.delivery_retry_base, cap=cap)
    async with rt.db.write() as conn:
        await queues.retry_later(conn, inbox_items, row.id, repr(err), delay)
    rt.metrics.inbox_activity(_type(activity), "retry")
