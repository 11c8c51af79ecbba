"""The queue workers: each claims due rows from its table and hands them to its processor."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Awaitable, Callable

from sqlalchemy import Table, update

from federation.as2 import host_of
from federation.runtime import Runtime
from inbox import worker as inbox_worker
from models import dashboard, queues
from models.db import redoable
from models import thread_fetches as thread_fetches_store
from models.schema import chat_jobs, deliveries, fanouts, inbox_items, preview_cards, push_deliveries, thread_fetches
from outbox import delivery, fanout, webpush
from social import cards, chats, media_cache, polls, scheduled, threads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    name: str
    table: Table
    process: Callable[[Runtime, object], Awaitable[bool | None]]
    batch: int
    concurrent: bool
    lock_seconds: float
    # Given the rows just claimed, applies those it can all at once (marking them done itself) and
    # returns the others, which are processed one by one (the inbox: inbox.worker.apply_together).
    together: Callable[[Runtime, list], Awaitable[list]] | None = None


def queues_for(rt: Runtime) -> list[Queue]:
    return [
        # Inbound activities run side by side, one per actor and each actor's in arrival order (a
        # Delete never overtakes its Create): one origin holds at most half the slots.
        Queue("inbox", inbox_items, inbox_worker.process, batch=rt.config.inbox_concurrency,
              concurrent=True, lock_seconds=inbox_worker.lock_seconds(rt), together=inbox_worker.apply_together),
        Queue("fanout", fanouts, fanout.process, batch=10, concurrent=False, lock_seconds=120),
        Queue("delivery", deliveries, delivery.process, batch=rt.config.delivery_concurrency,
              concurrent=True, lock_seconds=rt.config.request_timeout * 3 + 30),
        # Missing ancestors and replies collections of remote threads: a few walks side by side,
        # each of them bounded (social.threads), locked long enough for its few dozen fetches.
        Queue("threads", thread_fetches, threads.process, batch=4, concurrent=True, lock_seconds=600),
        # Link previews: a page head, an oEmbed document and an image each, under one deadline apiece.
        Queue("cards", preview_cards, cards.process, batch=4, concurrent=True,
              lock_seconds=rt.config.request_timeout * 3 + 30),
    ]


def inbox_per_origin(slots: int) -> int:
    """How many of the inbox worker's slots one origin may hold (its different actors side by side):
    half, so however many actors a busy or hostile origin has, other origins always find a slot."""
    return max(1, slots // 2)


async def run_queue(rt: Runtime, queue: Queue, *, poll: float = 1.0) -> None:
    if queue.concurrent:
        await _run_pool(rt, queue, poll)
        return
    wake = rt.wakeups[queue.name]
    while True:
        woken = wake.is_set()
        wake.clear()
        rows = await _claim(rt, queue, queue.batch, [], woken=woken) or []
        for row in rows:
            await _one(rt, queue, row)
        if not rows:
            await _wait(wake, set(), poll)


# How long a pool waits, once woken while rows are running, so that rows finishing together are
# marked done (and their slots refilled) by one claim instead of one claim each.
GATHER_SECONDS = 0.002


async def _run_pool(rt: Runtime, queue: Queue, poll: float) -> None:
    """Keep up to `batch` rows in flight; a free slot is refilled at once, so one slow peer holds
    one slot, not the whole batch. Rows whose processor says they are done are marked so by the
    next claim, in its transaction (inbox items kept as done, models.queues.claim_inbox; deliveries
    deleted, Database.claim); other queues' processors record their rows' outcome themselves."""
    wake = rt.wakeups[queue.name]
    running: set[asyncio.Task] = set()
    finished: list = []  # rows

    def on_done(task: asyncio.Task, row) -> None:  # noqa: ANN001
        running.discard(task)
        if not task.cancelled() and task.result():
            finished.append(row)
        wake.set()  # a slot is free (and an origin may have its next row): claim now

    try:
        while True:
            woken = wake.is_set()
            wake.clear()
            free = queue.batch - len(running)
            done = list(finished)
            rows = await _claim(rt, queue, free, done, woken=woken) if free > 0 or done else []
            if rows is None:
                rows = []  # not claimed, nor marked done: kept for the next claim
            else:
                del finished[:len(done)]
            claimed = len(rows)
            if queue.together is not None and claimed > 1:
                rows = await _together(rt, queue, rows)
            for row in rows:
                task = asyncio.create_task(_one(rt, queue, row))
                running.add(task)
                task.add_done_callback(lambda t, row=row: on_done(t, row))
            if len(running) >= queue.batch or (claimed < free and len(rows) == claimed):
                # Nothing more to take now (or no free slot): wait for a slot or for new work, then
                # a moment more while rows are running, so one claim marks several of them done.
                # (Rows applied together free their actors' next rows at once: no wait then.)
                await _wait(wake, running, poll)
                if running:
                    await asyncio.sleep(GATHER_SECONDS)
    finally:
        for task in running:
            task.cancel()


def _redoable(queue: Queue):  # noqa: ANN202
    """Applying an inbox item is done again from its stored row if a crash loses it (models.db.redoable)."""
    return redoable() if queue.table is inbox_items else contextlib.nullcontext()


async def _together(rt: Runtime, queue: Queue, rows: list) -> list:
    try:
        with _redoable(queue):
            return await queue.together(rt, rows)
    except Exception:  # noqa: BLE001 - then each row is processed alone
        log.exception("%s worker failed on a batch", queue.name)
        return rows


async def _claim(rt: Runtime, queue: Queue, limit: int, finished: list, *, woken: bool) -> list | None:
    """Due rows (marking the `finished` rows done in the same transaction); None when the database failed.

    Woken (new work announced in this process, or a slot freed), the worker claims at once; polling
    (the timer ran out), it first reads whether anything is due, so an idle node takes no write
    lock: rows another process committed are still found by the next poll (Database.due)."""
    look_first = not woken
    ids = [row.id for row in finished]
    try:
        if queue.table is inbox_items:
            return list(await queues.claim_inbox(rt.db, limit=limit, lock_seconds=queue.lock_seconds,
                                                 finished=ids, per_origin=inbox_per_origin(queue.batch),
                                                 look_first=look_first))
        # Delivered rows are deleted by this claim (outbox.delivery); the other queues' processors
        # record each row's outcome themselves (their rows may be kept: preview cards, thread walks).
        if queue.table is deliveries:
            delivered = Counter(host_of(row.inbox_url) for row in finished)

            async def count_delivered(conn, _ids: list[int]) -> None:  # noqa: ANN001
                # The admin dashboard's count of delivered rows by canonical domain, in the claim's transaction.
                await dashboard.count_deliveries(conn, delivered, "delivered")
            return list(await rt.db.claim(queue.table, limit=limit, lock_seconds=queue.lock_seconds,
                                          finished=ids, before_finish=count_delivered,
                                          look_first=look_first))
        return list(await rt.db.claim(queue.table, limit=limit, lock_seconds=queue.lock_seconds,
                                      look_first=look_first))
    except Exception:  # noqa: BLE001 - the database may be briefly unavailable; keep the worker alive
        log.exception("%s worker cannot claim work", queue.name)
        await asyncio.sleep(5)
        return None


async def _wait(wake: asyncio.Event, running: set[asyncio.Task], poll: float) -> None:
    """Until new work is announced, a running row finishes, or it is time to poll again."""
    waiter = asyncio.create_task(wake.wait())
    try:
        await asyncio.wait({waiter, *running}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


async def _one(rt: Runtime, queue: Queue, row) -> bool:  # noqa: ANN001
    try:
        with _redoable(queue):
            return bool(await queue.process(rt, row))
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the row stays locked and is retried when its lock expires
        log.exception("%s worker failed on row %s", queue.name, row.id)
        return False


async def release_locks(rt: Runtime) -> None:
    """In one-process mode nobody else holds locks: rows claimed by a process that died are due now."""
    async with rt.db.write() as conn:
        for table in (inbox_items, fanouts, deliveries, push_deliveries, thread_fetches, preview_cards, chat_jobs):
            await conn.execute(update(table).where(table.c.state == "pending", table.c.locked_until.is_not(None))
                               .values(locked_until=None))


async def prune_inbox(rt: Runtime) -> None:
    """Forget activity ids applied two weeks ago; a replay that old fails the date check anyway."""
    older_than = time.time() - 14 * 24 * 3600
    await rt.db.prune(lambda conn: queues.prune_inbox(conn, older_than), queues.PRUNE_BATCH)


async def prune_media_cache(rt: Runtime) -> None:
    """Remote files unused for a while, or beyond the cache's size, are forgotten (social.media_cache)."""
    await media_cache.prune(rt)


async def prune_thread_fetches(rt: Runtime) -> None:
    """Forget thread fetches finished a week ago (social.threads); a post given up on may be asked
    for again after that."""
    async with rt.db.write() as conn:
        await thread_fetches_store.prune(conn, time.time() - 7 * 24 * 3600)


async def refresh_peer_software(rt: Runtime) -> None:
    """Peers' software names and versions from their NodeInfo, a few at a time, each at most daily."""
    await rt.peers.refresh_software(rt.http)


async def every(seconds: float, job: Callable[[Runtime], Awaitable[None]], rt: Runtime) -> None:
    """Run a periodic job; a failure is logged and the job runs again next time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job(rt)
        except Exception:  # noqa: BLE001
            log.exception("periodic job %s failed", job.__name__)


# How often the inbox worker looks for new activities when other processes accept them (a `worker`
# process, or the first of `serve --processes N`): their wake-ups (Runtime.wake) do not reach it, and
# a second's poll would leave a burst of activities unapplied that long. One indexed read each (Database.due).
INBOX_POLL_FED_ELSEWHERE = 0.05


def start(rt: Runtime, *, inbox_fed_elsewhere: bool | None = None) -> list[asyncio.Task]:
    """The queue workers and periodic jobs. `inbox_fed_elsewhere`: other processes store what the
    inbox worker applies (by default: when `serve` runs several processes)."""
    if inbox_fed_elsewhere is None:
        inbox_fed_elsewhere = rt.config.processes > 1
    tasks = [asyncio.create_task(run_queue(rt, q, poll=INBOX_POLL_FED_ELSEWHERE if q.name == "inbox"
                                           and inbox_fed_elsewhere else 1.0), name=f"worker-{q.name}")
             for q in queues_for(rt)]
    tasks.append(asyncio.create_task(every(3600, prune_inbox, rt), name="prune-inbox"))
    tasks.append(asyncio.create_task(every(3600, prune_thread_fetches, rt), name="prune-thread-fetches"))
    tasks.append(asyncio.create_task(every(30, polls.notify_ended, rt), name="polls-ended"))
    tasks.append(asyncio.create_task(every(15, scheduled.publish_due, rt), name="scheduled-statuses"))
    tasks.append(asyncio.create_task(every(1, webpush.deliver_due, rt), name="web-push"))
    tasks.append(asyncio.create_task(every(rt.config.chat_poll_seconds, chats.run_due, rt), name="chats"))
    tasks.append(asyncio.create_task(every(60, refresh_peer_software, rt), name="peer-software"))
    tasks.append(asyncio.create_task(every(600, prune_media_cache, rt), name="media-cache"))
    return tasks
