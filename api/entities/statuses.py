"""Status, in batches: a page of statuses costs a few statements whatever its length (the statuses
with their boosted originals and who may see them; one of every fact of the page: mentions, tags,
attachments, polls, the viewer's favourites, boosts, bookmarks, mutes, blocks…; the people), never
one per status.

Every endpoint that shows statuses comes through `status_entities`, so the visibility rule is applied
here at read time, whatever list the ids came from (bookmarks, favourites, lists, notifications,
conversations, search, threads, pins): a post the viewer may no longer see (removed from followers,
blocked since) is left out, and so is a boost of one.
"""
from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass, field, replace

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_entity, account_json, mention_entity
from api.entities.cache import cached
from api.entities.filters import filter_results
from api.entities.formats import iso, sid
from api.entities.media import media_entity
from api.entities.polls import poll_entity
from federation.content import html_to_text
from federation.runtime import Runtime
from models import account_queries, conversation_mutes, status_queries
from models.accounts import Account
from models.quotes import approval_for, effective_policy
from models.statuses import Status
from social.errors import NotFound


@dataclass
class _Related:
    """What a page of statuses needs besides the statuses, read once for the whole page."""
    people: dict
    mentions: dict
    tags: dict
    media: dict
    polls: dict
    pinned: set
    votes: dict = field(default_factory=dict)
    favourited: set = field(default_factory=set)
    reblogged: set = field(default_factory=set)
    bookmarked: set = field(default_factory=set)
    muted: set = field(default_factory=set)
    filtered: dict = field(default_factory=dict)
    cards: dict = field(default_factory=dict)
    quoted: dict = field(default_factory=dict)  # quoted posts the viewer may see, by id
    quoted_deleted: set = field(default_factory=set)
    blocked: set = field(default_factory=set)
    muted_accounts: set = field(default_factory=set)
    following: set = field(default_factory=set)


async def status_entities(conn: AsyncConnection, rt: Runtime, viewer: Account | None, items: list[Status], *,
                          context: str | None, hide_blocked: bool = True, hide_muted: bool = True,
                          moderator: bool = False) -> list[dict]:
    """The statuses the viewer may see, in order, filtered in `context` (None: not filtered).

    Left out: statuses (and boosts of statuses) the viewer may not see now, boosts whose original is
    gone, and, unless told otherwise, posts by accounts blocked either way or muted by the viewer.
    `moderator`: an admin reviewing reported posts sees them whatever their visibility."""
    return _dicts((await status_list_parts(conn, rt, viewer, items, context=context, hide_blocked=hide_blocked,
                                           hide_muted=hide_muted, moderator=moderator)).statuses)


async def status_list_parts(conn: AsyncConnection, rt: Runtime, viewer: Account | None, items: list[Status], *,
                            context: str | None, hide_blocked: bool = True, hide_muted: bool = True,
                            moderator: bool = False) -> PageParts:
    """As status_entities, as JSON (PageParts)."""
    originals, allowed = await status_queries.with_originals(conn, items, viewer)
    return await _entities(conn, rt, viewer, items, originals, allowed, context=context, hide_blocked=hide_blocked,
                           hide_muted=hide_muted, moderator=moderator)


async def status_page(conn: AsyncConnection, rt: Runtime, viewer: Account | None, ids: list[int], *,
                      context: str, hide_muted: bool = True, exclusive_lists: bool = False) -> list[dict]:
    """As status_entities for a timeline's page of ids (newest first), reading the statuses with the
    rest; with `exclusive_lists` (home), posts by members of the viewer's exclusive lists are left out."""
    return _dicts((await status_page_parts(conn, rt, viewer, ids, context=context, hide_muted=hide_muted,
                                           exclusive_lists=exclusive_lists)).statuses)


async def status_page_json(conn: AsyncConnection, rt: Runtime, viewer: Account | None, ids: list[int], *,
                           context: str | None, hide_muted: bool = True, exclusive_lists: bool = False) -> list[bytes]:
    """status_page's entities, each as JSON (api.pagination.paged_json joins them into an array)."""
    return [body for _, body in (await status_page_parts(conn, rt, viewer, ids, context=context, hide_muted=hide_muted,
                                                         exclusive_lists=exclusive_lists)).statuses]


@dataclass
class PageParts:
    """A page of statuses as JSON, (status id, entity) in order, and the accounts read with them:
    their authors, the people they mention and the `people` asked for (who sent notifications,
    whose notifications the viewer has muted)."""
    statuses: list[tuple[int, bytes]]
    people: dict[int, Account]
    muted_notifications: set[int]


async def status_page_parts(conn: AsyncConnection, rt: Runtime, viewer: Account | None, ids: list[int], *,
                            context: str | None, hide_muted: bool = True, exclusive_lists: bool = False,
                            people=()) -> PageParts:  # noqa: ANN001
    """As status_page_json, reading the accounts `people` with the page's authors (no statement
    more): a notification's sender costs nothing beside its status."""
    items, originals, allowed = await status_queries.page_with_originals(conn, ids, viewer)
    return await _entities(conn, rt, viewer, items, originals, allowed, context=context, hide_blocked=True,
                           hide_muted=hide_muted, moderator=False, exclusive_lists=exclusive_lists, people=people)


def _dicts(parts: list[tuple[int, bytes]]) -> list[dict]:
    return orjson.loads(b"[" + b",".join(body for _, body in parts) + b"]")


async def _entities(conn: AsyncConnection, rt: Runtime, viewer: Account | None, items: list[Status],
                    originals: dict[int, Status], allowed: set[int], *, context: str | None,
                    hide_blocked: bool, hide_muted: bool, moderator: bool,
                    exclusive_lists: bool = False, people=()) -> PageParts:  # noqa: ANN001
    everything = {s.id: s for s in items} | originals
    if not moderator:
        everything = {i: s for i, s in everything.items() if i in allowed}
    # Accepted quotes show the post they quote, read with the rest of the page (one statement more,
    # for any page with quotes, whatever its length) under the same visibility rule: never one the
    # viewer may not see.
    quoting = {s.quote_of_id for s in everything.values() if s.quote_of_id and s.quote_state == "accepted"}
    shown_quoted, quoted_deleted = await status_queries.quoted(conn, quoting, viewer)
    with_quoted = everything | shown_quoted
    ids = list(with_quoted)
    authors = {s.account_id for s in with_quoted.values()} | set(people)
    facts = await status_queries.page_facts(conn, ids, [i for i, s in with_quoted.items() if s.local], authors,
                                            viewer.id if viewer else None)
    related = _Related(
        people=await account_queries.of_page(conn, facts.people(authors)), mentions=facts.mentions, tags=facts.tags,
        media=facts.media, polls=facts.polls,
        pinned=facts.pinned, cards=facts.cards, quoted=shown_quoted, quoted_deleted=quoted_deleted,
        blocked=facts.blocked, muted_accounts=facts.muted_accounts, following=facts.following)
    hidden: set[int] = set()
    filtered_out: set[int] = set()
    if viewer is not None:
        related.favourited, related.reblogged = facts.favourited, facts.reblogged
        if hide_blocked:
            hidden = facts.blocked | (facts.muted_accounts if hide_muted else set())
        related.bookmarked = facts.bookmarked
        if facts.muted_threads:  # most people mute no thread: then finding roots costs nothing
            related.muted = await conversation_mutes.muted_among(conn, viewer.id, ids)
        related.votes = facts.votes
        if facts.has_filters:  # nor do most people have filters
            related.filtered, filtered_out = await filter_results(conn, viewer.id, everything, context)

    # Members of the viewer's exclusive lists are read in those lists only (on home).
    skipped = facts.exclusive if exclusive_lists else set()
    out = []
    for status in items:
        if (status.id not in everything or status.account_id not in related.people or status.account_id in skipped
                or status.account_id in hidden or status.id in filtered_out):
            continue
        reblog = None
        if status.reblog_of_id:
            original = everything.get(status.reblog_of_id)
            if original is None or original.account_id not in related.people or original.account_id in hidden:
                continue
            reblog = _entity(rt, viewer, original, related, None)
        out.append((status.id, _entity(rt, viewer, status, related, reblog)))
    return PageParts(out, related.people, facts.muted_notifications)


async def status_entity(conn: AsyncConnection, rt: Runtime, viewer: Account | None, status: Status, *,
                        with_text: bool = False, fresh: bool = False) -> dict:
    """One status the viewer asked for by id or has just acted on (not filtered, blocks not applied);
    404 when the viewer may not see it. `fresh`: read the status again (see status_entity_json)."""
    body = orjson.loads(await status_entity_json(conn, rt, viewer, status, fresh=fresh))
    if with_text:
        body["text"] = status.source_text if status.source_text is not None else html_to_text(status.content)
    return body


async def status_entity_json(conn: AsyncConnection, rt: Runtime, viewer: Account | None, status: Status, *,
                             seen: bool = False, fresh: bool = False) -> bytes:
    """status_entity as JSON. `seen`: the status was just read with the visibility rule applied
    (api.lookup.visible_status), so unless it is a boost nothing needs reading again. `fresh`: the
    status was just written (a use case's answer), so it is read again with the rest, so that
    counters written since show (one statement); a deleted one is answered as it was."""
    items = []
    if fresh:
        items, originals, allowed = await status_queries.page_with_originals(conn, [status.id], viewer)
        status = items[0] if items else status
    if seen and not status.reblog_of_id:
        originals, allowed = {}, {status.id}
    elif not items:
        originals, allowed = await status_queries.with_originals(conn, [status], viewer)
    found = (await _entities(conn, rt, viewer, [status], originals, allowed, context=None, hide_blocked=False,
                             hide_muted=True, moderator=False)).statuses
    if not found and status.reblog_of_id:
        # A boost of a vanished post: show it unboosted rather than fail.
        unboosted = replace(status, reblog_of_id=None)
        originals, allowed = await status_queries.with_originals(conn, [unboosted], viewer)
        found = (await _entities(conn, rt, viewer, [unboosted], originals, allowed, context=None,
                                 hide_blocked=False, hide_muted=True, moderator=False)).statuses
    if not found:
        raise NotFound("Record not found")
    return found[0][1]


# What the reader did to a status, as the JSON members that say it, for every combination.
_FLAGS = {bits: b"".join(b',"%s":%s' % (name, b"true" if on else b"false") for name, on in
                         zip((b"favourited", b"reblogged", b"muted", b"bookmarked", b"pinned"), bits))
          for bits in itertools.product((False, True), repeat=5)}
_SIGNED_OUT = _FLAGS[(False,) * 5]


def _quote(rt: Runtime, viewer: Account | None, s: Status, related: _Related, nested: bool) -> bytes:
    """Quote (or, for a quoted post itself, ShallowQuote) as Mastodon 4.5 gives it, as JSON: the
    quoted post only when its author accepted the quote and the viewer may see it; otherwise the
    reason, never its content."""
    if s.quote_uri is None and s.quote_of_id is None:
        return b"null"
    state, shown = s.quote_state or "pending", None
    if state == "accepted":
        quoted = related.quoted.get(s.quote_of_id)
        if s.quote_of_id is None or s.quote_of_id in related.quoted_deleted:
            state = "deleted"
        elif quoted is None or quoted.account_id not in related.people:
            state = "unauthorized"
        elif quoted.account_id in related.blocked:
            state = "blocked_account"
        else:
            state = "muted_account" if quoted.account_id in related.muted_accounts else state
            shown = quoted
    if nested or shown is None:
        return orjson.dumps({"state": state, "quoted_status_id": str(shown.id) if shown else None} if nested else
                            {"state": state, "quoted_status": None})
    return b"".join((b'{"state":', orjson.dumps(state), b',"quoted_status":',
                     _entity(rt, viewer, shown, related, None, nested=True), b"}"))


@functools.lru_cache(maxsize=64)  # a few policies × three answers
def _approval_json(policy: str | None, current_user: str) -> bytes:
    automatic = {"public": ["public"], "followers": ["followers"], "nobody": []}.get(policy or "", [])
    return orjson.dumps({"automatic": automatic, "manual": [], "current_user": current_user})


def _entity(rt: Runtime, viewer: Account | None, s: Status, related: _Related, reblog: bytes | None, *,
            nested: bool = False) -> bytes:
    """A Status entity as JSON: the part every reader sees alike with the author's account (cached:
    _head), then what depends on this reader."""
    status_id = s.id
    head, policy = _head(rt, s, related)
    poll = related.polls.get(status_id)
    if viewer is None:
        flags, current_user = _SIGNED_OUT, "unknown"
    else:
        flags = _FLAGS[(status_id in related.favourited, status_id in related.reblogged, status_id in related.muted,
                        status_id in related.bookmarked, s.account_id == viewer.id and status_id in related.pinned)]
        # QuoteApproval: whether the viewer may quote the post (its author's policy is in the head).
        current_user = approval_for(s, viewer.id, s.account_id in related.following)
    filtered = related.filtered.get(status_id) if related.filtered else None
    return b"".join((
        head, b',"reblog":', reblog or b"null", flags,
        b',"poll":', orjson.dumps(poll_entity(viewer, poll, related.votes.get(poll.id))) if poll else b"null",
        b',"filtered":', orjson.dumps(filtered) if filtered else b"[]",
        b',"quote":', _quote(rt, viewer, s, related, nested),
        b',"quote_approval":', _approval_json(policy, current_user), b"}"))


def _head(rt: Runtime, s: Status, related: _Related) -> tuple[bytes, str | None]:
    """The members of a status entity that are the same for every reader, with its author's account,
    as a JSON object left open, and who may quote it; kept while the status row, its author's and
    what it shows (mentioned accounts, tags, media, card) are unchanged. Anything added here must
    be in the key too."""
    status_id = s.id
    people = related.people
    mentions = related.mentions.get(status_id)
    mentioned = tuple(people[a] for a in mentions if a in people) if mentions else ()
    key = (s, people[s.account_id], mentioned, related.tags.get(status_id), related.media.get(status_id), related.cards.get(status_id))
    return cached(rt, ("status", status_id), key, lambda: _head_json(rt, *key))


def _head_json(rt: Runtime, s: Status, author: Account, mentioned: tuple, tag_names: list | None,
               media: list | None, card: str | None) -> tuple[bytes, str | None]:
    body = orjson.dumps({
        "id": str(s.id),
        "uri": s.uri,
        "url": s.url or (None if s.reblog_of_id else s.uri),
        "in_reply_to_id": sid(s.in_reply_to_id),
        "in_reply_to_account_id": sid(s.in_reply_to_account_id),
        "content": s.content or "",
        "created_at": iso(s.created_at),
        "edited_at": iso(s.edited_at),
        "spoiler_text": s.spoiler_text or "",
        "sensitive": bool(s.sensitive),
        # Local-only posts show as public to clients, flagged as GoToSocial and Pleroma do.
        "visibility": "public" if s.visibility == "local" else s.visibility,
        "local_only": s.visibility == "local",
        "language": s.language,
        "replies_count": s.replies_count,
        "reblogs_count": s.reblogs_count,
        "favourites_count": s.favourites_count,
        "mentions": [mention_entity(a) for a in mentioned],
        "tags": [{"name": name, "url": rt.urls.tag(name)} for name in tag_names or ()],
        "emojis": [],
        "media_attachments": [media_entity(rt, m) for m in media or ()],
        "card": json.loads(card) if card is not None else None,
        "application": None,
        "quotes_count": s.quotes_count,
    })
    return body[:-1] + b',"account":' + account_json(rt, author), effective_policy(s)


async def status_edit_entities(conn: AsyncConnection, rt: Runtime, viewer: Account | None, status: Status,
                               author: Account) -> list[dict]:
    """StatusEdit: the earlier revisions of a status, oldest first, then the current version."""
    current = await status_entity(conn, rt, viewer, status)
    rows = await status_queries.edits_of(conn, status.id)
    account = account_entity(rt, author)
    body = [{"content": row.content, "spoiler_text": row.spoiler_text or "", "sensitive": bool(row.sensitive),
             "created_at": iso(row.created_at), "account": account, "poll": None,
             "media_attachments": [], "emojis": []} for row in rows]
    body.append({"content": current["content"], "spoiler_text": current["spoiler_text"],
                 "sensitive": current["sensitive"], "created_at": current["edited_at"] or current["created_at"],
                 "account": account, "poll": current["poll"], "media_attachments": current["media_attachments"],
                 "emojis": []})
    return body


def status_source_entity(status: Status) -> dict:
    text = status.source_text if status.source_text is not None else html_to_text(status.content)
    return {"id": str(status.id), "text": text, "spoiler_text": status.spoiler_text or ""}
