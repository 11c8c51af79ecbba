"""Whole threads across organisations, fetched in the background (the `threads` queue).

- A remote reply whose parent is unknown queues that parent (social.statuses, in the reply's own
  transaction); the worker fetches it from its origin and stores it through social.remote, which
  queues its parent in turn, up to MAX_ANCESTOR_DEPTH hops. A loop ends because a post already
  known is not fetched again; a chain a thousand deep ends at the bound.
- Opening a thread (`request_replies`) queues the remote posts in it whose `replies` collection was
  not walked in the last REPLIES_FRESH seconds; the worker reads each collection (a few pages, a few
  dozen items) and fetches the replies it does not know, each from its own origin, keeping only
  those that really answer the post. The request answers at once, as Mastodon's does.

Every fetch goes through the guarded client (address rules, federation policy); nothing is fetched
inside a transaction.
"""
from __future__ import annotations

import logging

from federation import collections, deref
from federation.as2 import InvalidDocument, host_of, note_values, types_of
from federation.http import BlockedAddress, BlockedDomain, FetchError
from federation.runtime import Runtime
from models import queues, statuses, thread_fetches
from models.schema import thread_fetches as thread_fetches_table
from models.statuses import Status
from social import remote
from social.errors import ServiceError
from social.statuses import MAX_ANCESTOR_DEPTH

log = logging.getLogger(__name__)

REPLIES_FRESH = 300.0  # a collection is walked again at most every five minutes
REPLIES_DEPTH = 3  # replies found by a walk have their own walked, this many levels below the view
MAX_REPLIES = 40  # items read from one collection
MAX_PAGES = 4  # documents read from one collection
MAX_WALKS_PER_VIEW = 20  # remote posts of one thread whose collections one view may queue
ATTEMPTS = 4  # an unreachable origin is asked again with backoff, then given up


async def request_replies(rt: Runtime, thread: list[Status]) -> int:
    """Queue the walk of the replies collections of the remote posts of a thread being read. A read
    first, so a thread read again within minutes writes nothing. How many were queued."""
    uris = [s.uri for s in thread if not s.local and s.reblog_of_id is None][:MAX_WALKS_PER_VIEW]
    if not uris:
        return 0
    async with rt.db.read() as conn:
        stale = await thread_fetches.stale_replies(conn, uris, REPLIES_FRESH)
    if not stale:
        return 0
    async with rt.db.write() as conn:
        queued = await thread_fetches.queue_replies(conn, stale, 0, REPLIES_FRESH)
    rt.wake("threads")
    return queued


async def process(rt: Runtime, row) -> bool:  # noqa: ANN001
    """One job of the threads queue: fetch an ancestor or walk a replies collection."""
    try:
        if row.kind == "ancestor":
            await _fetch_ancestor(rt, row.uri, row.depth)
        else:
            await _walk_replies(rt, row.uri, row.depth)
    except (BlockedDomain, BlockedAddress, InvalidDocument, ServiceError) as err:
        await _finish(rt, row, failed=str(err))
        return False
    except FetchError as err:
        if row.attempts >= ATTEMPTS or err.status in (404, 410):
            await _finish(rt, row, failed=str(err))
        else:
            async with rt.db.write() as conn:
                await queues.retry_later(conn, thread_fetches_table, row.id, str(err),
                                         queues.backoff(row.attempts, base=5, cap=600, retry_after=err.retry_after))
        return False
    await _finish(rt, row)
    return True


async def _finish(rt: Runtime, row, *, failed: str | None = None) -> None:  # noqa: ANN001
    log.log(logging.INFO if failed else logging.DEBUG, "thread fetch %s %s: %s", row.kind, row.uri, failed or "done")
    async with rt.db.write() as conn:
        if failed is not None and row.kind == "ancestor":
            await queues.give_up(conn, thread_fetches_table, row.id, failed)
        else:
            await thread_fetches.done(conn, row.id)  # a failed walk is retried after REPLIES_FRESH too


async def _known(rt: Runtime, uri: str) -> Status | None:
    async with rt.db.read() as conn:
        return await statuses.by_uri(conn, uri, with_deleted=True)


async def _fetch_note(rt: Runtime, uri: str) -> tuple[dict, object] | None:
    """A Note by its id, from its origin, with its author (fetched when unknown)."""
    doc = await deref.fetch_document(rt, uri)
    if not set(types_of(doc)) & remote.NOTE_TYPES:
        raise InvalidDocument(f"{uri} is not a post")
    author_uri = note_values(doc)["attributed_to"]
    author = await deref.get_actor(rt, author_uri) if author_uri else None
    if author is None or author.suspended_at is not None:
        raise InvalidDocument(f"the author of {uri} cannot be had")
    return doc, author


async def _fetch_ancestor(rt: Runtime, uri: str, depth: int) -> None:
    if await _known(rt, uri) or deref.is_local(rt, uri) or depth > MAX_ANCESTOR_DEPTH:
        return
    doc, author = await _fetch_note(rt, uri)  # type: ignore[misc]
    await remote.store_note(rt, doc, author, thread_depth=depth)  # queues its parent, if unknown


async def _walk_replies(rt: Runtime, uri: str, depth: int) -> None:
    status = await _known(rt, uri)
    if status is None or status.deleted_at is not None or status.local:
        return
    doc = await deref.fetch_document(rt, uri)
    replies = doc.get("replies")
    if replies is None:
        return
    ids = await collections.item_ids(rt, replies, origin=host_of(uri), max_items=MAX_REPLIES, max_pages=MAX_PAGES)
    async with rt.db.read() as conn:
        known = {s for s in ids if await statuses.by_uri(conn, s, with_deleted=True)} if ids else set()
    found = []
    for reply_uri in ids:
        if reply_uri in known or deref.is_local(rt, reply_uri):
            continue
        try:
            reply_doc, author = await _fetch_note(rt, reply_uri)  # type: ignore[misc]
            if note_values(reply_doc)["in_reply_to_uri"] != uri:
                continue  # listed, but answers another post: not this thread's
            stored = await remote.store_note(rt, reply_doc, author)
        except (FetchError, InvalidDocument, ServiceError) as err:
            log.info("cannot fetch reply %s: %s", reply_uri, err)
            continue
        if stored is not None:
            found.append(stored.uri)
    if found and depth + 1 < REPLIES_DEPTH:
        async with rt.db.write() as conn:
            await thread_fetches.queue_replies(conn, found, depth + 1, REPLIES_FRESH)
        rt.wake("threads")
