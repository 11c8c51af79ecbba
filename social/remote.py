"""Remote posts: storing a Note we were sent or fetched, applying its edits, fetching one by URL."""
from __future__ import annotations

import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import deref
from federation.addressing import as_list, visibility_of
from federation.as2 import InvalidDocument, host_of, note_values, types_of
from federation.http import FetchError
from models import accounts, social, statuses
from models import home
from models.accounts import Account
from models.ids import new_id
from models.schema import accounts as accounts_table
from models.statuses import Status
from social import media as media_uc
from social import polls as polls_uc

log = logging.getLogger(__name__)

NOTE_TYPES = {"Note", "Article", "Page", "Question", "Event", "Video", "Audio", "Image"}


def check_note(doc: dict, author: Account) -> dict:
    """Values of a Note that `author` may have written: it must be attributed to them and live on
    their host. Raises InvalidDocument otherwise."""
    if not set(types_of(doc)) & NOTE_TYPES:
        raise InvalidDocument(f"unsupported object type {doc.get('type')!r}")
    values = note_values(doc)
    if not values["uri"] or host_of(values["uri"]) != host_of(author.uri):
        raise InvalidDocument("the object is not on its author's host")
    if values["attributed_to"] != author.uri:
        raise InvalidDocument("the object is attributed to someone else")
    return values


async def _accounts_by_uri(conn: AsyncConnection, uris) -> list[int]:  # noqa: ANN001
    uris = list(dict.fromkeys(uris))
    if not uris:
        return []
    return list((await conn.execute(select(accounts_table.c.id).where(
        accounts_table.c.uri.in_(uris)))).scalars())


async def store_note(rt: Runtime, doc: dict, author: Account) -> Status | None:
    """Store a remote Note (once) with its mentions and tags, notify local mentions, fill home
    timelines. Returns the stored status, or the existing one."""
    values = check_note(doc, author)
    reject_media = (await rt.policy.check(author.domain)).reject_media
    async with rt.db.write() as conn:
        existing = await statuses.by_uri(conn, values["uri"], with_deleted=True)
        if existing:
            return existing if existing.deleted_at is None else None
        parent = await statuses.by_uri(conn, values["in_reply_to_uri"]) if values["in_reply_to_uri"] else None
        # Local accounts named in to/cc are mentioned even without a Mention tag (silent mentions).
        addressed = as_list(doc.get("to")) + as_list(doc.get("cc"))
        mentioned = await _accounts_by_uri(conn, values["mention_uris"] + addressed)
        visibility = visibility_of(doc, followers_url=author.followers_url)
        status_id = await _free_id(conn, values["created_at"])
        status = await statuses.insert_status(
            conn, id=status_id, uri=values["uri"], url=values["url"], account_id=author.id, local=False,
            in_reply_to_id=parent.id if parent else None, in_reply_to_uri=values["in_reply_to_uri"],
            in_reply_to_account_id=parent.account_id if parent else None, content=values["content"],
            spoiler_text=values["spoiler_text"], sensitive=values["sensitive"], visibility=visibility,
            language=values["language"], conversation_uri=values["conversation_uri"],
            created_at=min(values["created_at"] or time.time(), time.time()))
        await statuses.set_mentions(conn, status.id, mentioned)
        await statuses.set_tags(conn, status.id, values["hashtags"])
        await media_uc.store_remote(conn, status.id, author.id, doc, reject_media=reject_media)
        await polls_uc.store_remote(conn, status, doc)
        await accounts.bump_counter(conn, author.id, "statuses_count", 1)
        if parent:
            await statuses.bump(conn, parent.id, "replies_count", 1)
        local_mentioned = await accounts.get_many(conn, mentioned)
        for account in local_mentioned.values():
            if account.local:
                await social.notify(conn, account_id=account.id, from_account_id=author.id,
                                    type="mention", status_id=status.id)
        await home.fill_home(conn, status.id)
    return status


async def _free_id(conn: AsyncConnection, published: float | None) -> int:
    """An id that sorts by the post's publication time; other nodes' posts published in the same
    millisecond (or another process backdating to it) must not collide with it."""
    status_id = new_id(at=published)
    while (await conn.execute(select(statuses.statuses.c.id).where(statuses.statuses.c.id == status_id))).first():
        status_id += 1
    return status_id


async def update_note(rt: Runtime, doc: dict, author: Account) -> Status | None:
    """Apply an edit from the status's own author; an Update for an unknown Note stores it."""
    values = check_note(doc, author)
    reject_media = (await rt.policy.check(author.domain)).reject_media
    async with rt.db.write() as conn:
        existing = await statuses.by_uri(conn, values["uri"])
        if existing is not None:
            if existing.account_id != author.id:
                raise InvalidDocument("only the author may edit a status")
            # An Update that only carries a poll's new counts is not an edit (no revision, no "edited").
            changed = (values["content"], values["spoiler_text"], values["sensitive"]) != (
                existing.content, existing.spoiler_text, existing.sensitive)
            if changed or "Question" not in types_of(doc):
                await statuses.record_edit(conn, existing)
                await statuses.update_status(
                    conn, existing.id, content=values["content"], spoiler_text=values["spoiler_text"],
                    sensitive=values["sensitive"], language=values["language"] or existing.language,
                    edited_at=values["edited_at"] or time.time())
            await statuses.set_tags(conn, existing.id, values["hashtags"])
            await media_uc.store_remote(conn, existing.id, author.id, doc, reject_media=reject_media)
            await polls_uc.store_remote(conn, existing, doc)
            return await statuses.get(conn, existing.id)
    return await store_note(rt, doc, author)


async def fetch_status(rt: Runtime, uri: str) -> Status | None:
    """A post by its id: known already, or fetched from `uri`. Which post it is, the origin says
    (the fetched document's `id`, on the origin that served it); a `url` field is display data,
    never a key, so a forged post whose `url` names a real one never stands in for it."""
    async with rt.db.read() as conn:
        known = await statuses.by_uri(conn, uri)
    if known or deref.is_local(rt, uri):
        return known
    try:
        doc = await deref.fetch_document(rt, uri)
        author_uri = note_values(doc)["attributed_to"] if set(types_of(doc)) & NOTE_TYPES else None
        if not author_uri:
            return None
        author = await deref.get_actor(rt, author_uri)
        if author is None:
            return None
        return await store_note(rt, doc, author)
    except (FetchError, InvalidDocument) as err:
        log.info("cannot fetch status %s: %s", uri, err)
        return None
