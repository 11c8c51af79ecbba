"""Posting, editing and deleting statuses, once for everyone.

`create`, `edit` and `remove` are the facts: a local person reaches them through `post_status`,
`edit_status` and `delete_status` (which check and render what the client sent and resolve mentions
first), a remote server through social.remote (which converts the Note with federation.as2).
Counters, notifications, home timelines and the activity sent out come from the facts alone.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields
from html import escape as html_escape

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2, integrity
from federation.addressing import audience
from federation.as2 import host_of
from federation.deref import is_local
from federation.content import MentionRef, find_mentions, render_plain
from models import accounts, home, polls as polls_store, search_index, social, statuses, thread_fetches
from models import media as media_store
from models import scheduled as scheduled_store
from models.accounts import Account
from models.ids import new_id
from models.statuses import VISIBILITIES, Status
from social import outgoing
from social import quotes as quote_facts
from social import cards
from social.group_relay import forward_reply, relay_change, relay_in
from social.errors import Forbidden, NotFound, Unprocessable
from social.polls import PollRequest, check_request as check_poll, create_local as create_poll
from federation.notes import decorate_note

# A remote reply's unknown parent is fetched in the background (social.threads), and that one's
# parent, up to this many hops: a chain that loops or runs a thousand deep stops here.
MAX_ANCESTOR_DEPTH = 40

# From widest to narrowest; a reply is never wider than the post it answers.
NARROWING = ("public", "unlisted", "local", "private", "direct")


@dataclass(frozen=True)
class RemotePoll:
    """A remote Question's options and counts, as its server reports them (federation.polls)."""
    titles: list[str]
    counts: list[int]
    multiple: bool
    expires_at: float | None
    voters_count: int | None


@dataclass(frozen=True)
class NewStatus:
    """A status to store, whoever wrote it. A local author's values are made by `post_status`; a
    remote author's come from its Note (social.remote), with the `uri` its server gave it."""
    content: str
    visibility: str
    uri: str | None = None  # None: a local status, whose uri is made from its id
    url: str | None = None
    id: int | None = None  # chosen by a caller that must not post twice (the scheduler)
    source_text: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None  # a local reply names its parent by id …
    in_reply_to_uri: str | None = None  # … a remote one by uri (which may be unknown here)
    mentioned: tuple[Account, ...] = ()
    hashtags: tuple[str, ...] = ()
    created_at: float | None = None
    conversation_uri: str | None = None
    media_ids: tuple[int, ...] = ()  # a local author's own uploads
    poll: PollRequest | None = None
    remote_media: tuple[dict, ...] = ()  # column values of a remote Note's attachments
    remote_poll: RemotePoll | None = None
    idempotency_key: str | None = None  # the client's Idempotency-Key: one status per key
    thread_depth: int = 0  # a fetched ancestor: how many hops above the reply that led to it
    audience: tuple[Account, ...] = ()  # the groups a remote Note names as its `audience`
    activity: dict | None = None  # the Create that brought a remote Note (a group relays it unchanged)
    quote_of_id: int | None = None  # the post quoted: a local author's choice (social.quotes checks it) …
    quote_uri: str | None = None  # … or what a remote Note quotes, with its state as checked before
    quote_state: str | None = None
    quote_authorization_uri: str | None = None
    quote_policy: str | None = None  # who may quote this post (public followers nobody)


@dataclass(frozen=True)
class StatusEdit:
    """New values for a status. `media_ids` None keeps a local status's attachments; a remote edit
    always brings its attachments. `poll_counts_only`: an Update that only refreshes a poll's counts
    is not an edit (no revision, no `edited`, nobody told)."""
    content: str
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    source_text: str | None = None
    mentioned: tuple[Account, ...] = ()
    hashtags: tuple[str, ...] = ()
    edited_at: float | None = None
    media_ids: tuple[int, ...] | None = None
    remote_media: tuple[dict, ...] | None = None
    remote_poll: RemotePoll | None = None
    poll_counts_only: bool = False
    activity: dict | None = None  # the Update that brought a remote edit (a group forwards it)


def _narrowest(requested: str, parent: str) -> str:
    if parent == "local" and requested in ("public", "unlisted"):
        return "local"
    return max(requested, parent, key=NARROWING.index)


async def _resolve_mentions(rt: Runtime, text: str) -> dict[tuple[str, str | None], Account]:
    """Accounts named by @mentions, found locally or through WebFinger (network: call outside a
    transaction)."""
    from webfinger.client import resolve_account

    found: dict[tuple[str, str | None], Account] = {}
    for ref in find_mentions(text):
        domain = ref.domain if ref.domain and ref.domain != rt.config.domain.lower() else None
        if domain is None:
            async with rt.db.read() as conn:
                account = await accounts.by_acct(conn, ref.username, None)
        else:
            account = await resolve_account(rt, f"{ref.username}@{domain}")
        if account is not None and account.suspended_at is None:
            found[(ref.username.lower(), ref.domain)] = account
    return found


def _render(rt: Runtime, text: str, resolved: dict) -> tuple[str, list[Account], list[str]]:
    def mention_url(ref: MentionRef) -> str | None:
        account = resolved.get((ref.username.lower(), ref.domain))
        return (account.url or account.uri) if account else None

    rendered = render_plain(text, mention_url=mention_url, tag_url=rt.urls.tag)
    mentioned = [resolved[(m.username.lower(), m.domain)] for m in rendered.mentions
                 if (m.username.lower(), m.domain) in resolved]
    return rendered.html, list({a.id: a for a in mentioned}.values()), rendered.hashtags


def check_text(rt: Runtime, text: str, spoiler_text: str, *, allow_blank: bool = False) -> None:
    if not text.strip() and not allow_blank:
        raise Unprocessable("Validation failed: Text can't be blank")
    if len(text) + len(spoiler_text) > rt.config.max_status_chars:
        raise Unprocessable(f"Validation failed: Text character limit of {rt.config.max_status_chars} exceeded")


def check_media_request(media_ids: list[int] | None, poll: PollRequest | None) -> None:
    if media_ids and len(media_ids) > media_store.MAX_ATTACHMENTS:
        raise Unprocessable(f"Validation failed: You can attach at most {media_store.MAX_ATTACHMENTS} files")
    if media_ids and poll is not None:
        raise Unprocessable("Validation failed: A post cannot have both media and a poll")


# --- A local person's door ----------------------------------------------------------------------

async def post_status(rt: Runtime, author: Account, *, text: str, visibility: str = "public",
                      spoiler_text: str = "", sensitive: bool = False,
                      in_reply_to_id: int | None = None, language: str | None = None,
                      media_ids: list[int] | None = None, poll: PollRequest | None = None,
                      status_id: int | None = None, idempotency_key: str | None = None,
                      quoted_status_id: int | None = None, quote_policy: str | None = None) -> Status:
    """Post a status. A caller that must not post twice passes the `status_id` it chose (the
    scheduler, after a crash) or the client's `idempotency_key`: the status already made that way
    is returned and nothing else happens. `quoted_status_id`: a quote post (social.quotes), with a
    link to the quoted post first for servers that show no quotes, as Mastodon writes it."""
    if earlier := await _earlier(rt, author, status_id, idempotency_key):
        return earlier
    if visibility not in VISIBILITIES:
        raise Unprocessable(f"unknown visibility {visibility!r}")
    if quote_policy is not None and quote_policy not in quote_facts.quotes.POLICIES:
        raise Unprocessable(f"Validation failed: Quote approval policy {quote_policy!r} is not one of "
                            f"{', '.join(quote_facts.quotes.POLICIES)}")
    check_media_request(media_ids, poll)
    if quoted_status_id is not None and (media_ids or poll is not None):
        raise Unprocessable("Validation failed: A quote post cannot have media or a poll")
    if poll is not None:
        poll = check_poll(poll)
    check_text(rt, text, spoiler_text, allow_blank=bool(media_ids) or quoted_status_id is not None)
    resolved = await _resolve_mentions(rt, text)
    html, mentioned, hashtags = _render(rt, text, resolved)
    if quoted_status_id is not None:
        html = await _quote_fallback(rt, quoted_status_id, text, html)
    return await create(rt, author, NewStatus(
        content=html, source_text=text, visibility=visibility, id=status_id, spoiler_text=spoiler_text,
        sensitive=sensitive or bool(spoiler_text), language=language, in_reply_to_id=in_reply_to_id,
        mentioned=tuple(mentioned), hashtags=tuple(hashtags), media_ids=tuple(media_ids or ()),
        poll=poll, idempotency_key=idempotency_key, quote_of_id=quoted_status_id,
        quote_policy="nobody" if visibility in ("private", "direct") else quote_policy or "public"))


async def _quote_fallback(rt: Runtime, quoted_id: int, text: str, html: str) -> str:
    """`RE: <link>` before the text (class quote-inline, which apps that show quotes hide), unless
    the text links the quoted post already."""
    async with rt.db.read() as conn:
        quoted = await statuses.get(conn, quoted_id)
    link = (quoted.url or quoted.uri) if quoted else None
    if not link or link in text or quoted.uri in text:
        return html
    href = html_escape(link, quote=True)
    return f'<p class="quote-inline">RE: <a href="{href}">{href}</a></p>{html}'


async def _earlier(rt: Runtime, author: Account, status_id: int | None, key: str | None) -> Status | None:
    """The status made before under this id or Idempotency-Key (a quick look; `create` decides)."""
    if status_id is None and key is None:
        return None
    async with rt.db.read() as conn:
        if key is not None:
            status_id = await scheduled_store.idempotent_status_id(conn, author.id, key) or status_id
        return await statuses.get(conn, status_id, with_deleted=True) if status_id is not None else None


async def edit_status(rt: Runtime, author: Account, status_id: int, *, text: str,
                      spoiler_text: str = "", sensitive: bool = False,
                      language: str | None = None, media_ids: list[int] | None = None) -> Status:
    """`media_ids` None keeps the attachments; a list (maybe empty) replaces them."""
    check_media_request(media_ids, None)
    check_text(rt, text, spoiler_text, allow_blank=bool(media_ids))
    resolved = await _resolve_mentions(rt, text)
    html, mentioned, hashtags = _render(rt, text, resolved)
    return await edit(rt, author, status_id, StatusEdit(
        content=html, source_text=text, spoiler_text=spoiler_text, sensitive=sensitive or bool(spoiler_text),
        language=language, mentioned=tuple(mentioned), hashtags=tuple(hashtags),
        media_ids=tuple(media_ids) if media_ids is not None else None))


async def delete_status(rt: Runtime, author: Account, status_id: int) -> Status:
    return await remove(rt, author, status_id)


# --- The facts ----------------------------------------------------------------------------------

async def create(rt: Runtime, author: Account, new: NewStatus) -> Status:
    """Store a status once: its mentions, tags, media and poll; the author's and the parent's
    counters; `mention` notifications; a fan-out job for home timelines (and, for a local author,
    the Create to everyone outside who may see it). A remote status already stored (or deleted) is
    returned as it is (None-free: a deleted one comes back deleted)."""
    try:
        async with rt.db.write() as conn:
            return await _create(conn, rt, author, new)
    except IntegrityError:
        # Two requests with one Idempotency-Key raced; the first one's status is the answer.
        if new.idempotency_key is None or (earlier := await _earlier(rt, author, None, new.idempotency_key)) is None:
            raise
        return earlier


async def _create(conn: AsyncConnection, rt: Runtime, author: Account, new: NewStatus) -> Status:
    known, status_id = await _known_or_free_id(conn, author, new)
    if known is not None:
        return known
    if author.local and await accounts.moved_to(conn, author.id):
        raise Unprocessable("This account has moved and can no longer post")
    if new.idempotency_key is not None:
        # Claimed before anything is written: a concurrent request with the key waits here and fails.
        await scheduled_store.claim_key(conn, author.id, new.idempotency_key, status_id)
    parent, visibility = await _parent(conn, author, new)
    quoted = None
    if author.local and new.quote_of_id is not None:
        quoted, visibility = await quote_facts.check_local_quote(conn, author, new.quote_of_id, visibility)
    quote_of_id = quoted.id if quoted else new.quote_of_id
    quote_uri = quoted.uri if quoted else new.quote_uri
    status = await statuses.insert_status(
        conn, id=status_id, uri=new.uri or rt.urls.status(author.username, status_id),
        url=new.url or (rt.urls.status_page(author.username, status_id) if author.local else new.uri),
        account_id=author.id, local=author.local, in_reply_to_id=parent.id if parent else None,
        in_reply_to_uri=parent.uri if parent else new.in_reply_to_uri,
        in_reply_to_account_id=parent.account_id if parent else None, content=new.content,
        source_text=new.source_text, spoiler_text=new.spoiler_text, sensitive=_sensitive(author, new.sensitive),
        visibility=visibility, language=new.language, conversation_uri=new.conversation_uri,
        created_at=min(new.created_at or time.time(), time.time()), quote_of_id=quote_of_id, quote_uri=quote_uri,
        quote_policy="nobody" if author.local and visibility in ("private", "direct") else new.quote_policy)
    if new.media_ids:
        await _attach_media(conn, author, status_id, list(new.media_ids))
    await _store_remote_media(conn, status, new.remote_media, new=True)
    if new.poll is not None:
        await create_poll(conn, status, new.poll)
    await _store_remote_poll(conn, status, new.remote_poll)
    await statuses.set_mentions(conn, status_id, [a.id for a in new.mentioned], new=True)
    await statuses.set_tags(conn, status_id, list(new.hashtags), new=True)
    await cards.link_first(conn, rt, status, new.content, new=True)
    await search_index.index_status(conn, status)
    await accounts.count_new_status(conn, author.id, status.created_at)
    if author.local:
        # The author's own home timeline has the post when the API answers (an app that reloads
        # home right after posting must find it); the fan-out job fills everyone else's.
        await statuses.add_to_home(conn, [author.id], status_id, new=True)
    if parent:
        await statuses.bump(conn, parent.id, "replies_count", 1)
    if not author.local:
        await _join_thread(conn, rt, status, parent, new.thread_depth)
    for account in new.mentioned:
        if account.local:
            await social.notify(conn, account_id=account.id, from_account_id=author.id,
                                type="mention", status_id=status_id)
    sent = await _queue_note(conn, rt, "Create", status, author, list(new.mentioned), list(new.hashtags), parent)
    if quoted is not None:
        await quote_facts.start_local_quote(conn, rt, status, author, quoted, sent["object"] if sent else None)
    elif quote_uri is not None:
        await quote_facts.apply_inbound(conn, status, new.quote_state or "pending", new.quote_authorization_uri)
    await relay_in(conn, rt, status, author, list(new.mentioned), parent, audience=new.audience,
                   activity=new.activity or sent)  # a post in a group
    return status


# What a remote original may carry and still be stored together with others (create_many): text,
# hashtags, who may quote it and the like. Anything more (media, a poll, a reply, mentions, a quote,
# a group's audience, any field added later) takes `create`, one status at a time. (`quote_state`
# means nothing without a quote; `activity` is only for a group to relay, and it has no group.)
_BATCHED_FIELDS = {"content", "visibility", "uri", "url", "spoiler_text", "sensitive", "language", "hashtags",
                   "created_at", "conversation_uri", "quote_policy", "quote_state", "activity"}


def batchable(author: Account, new: NewStatus) -> bool:
    """Whether create_many may store this status with others."""
    return (not author.local and new.uri is not None and new.visibility != "direct"
            and all(getattr(new, f.name) == f.default for f in fields(NewStatus) if f.name not in _BATCHED_FIELDS))


async def create_many(rt: Runtime, items: list[tuple[Account, NewStatus]], *, also=None) -> list[Status]:  # noqa: ANN001
    """`create` for many batchable remote statuses (see batchable) in one transaction, with a few
    statements for all of them rather than a dozen each: the inbox applies a batch of Creates this
    way. `also(conn)` runs in the same transaction (the inbox marks the activities applied there).
    Returns each item's status, stored now or before (a deleted one comes back deleted)."""
    if not all(batchable(author, new) for author, new in items):
        raise ValueError("create_many stores batchable remote statuses only")
    async with rt.db.write() as conn:
        stored = await _create_many(conn, rt, items)
        if also is not None:
            await also(conn)
    return stored


async def _create_many(conn: AsyncConnection, rt: Runtime, items: list[tuple[Account, NewStatus]]) -> list[Status]:
    now = time.time()
    wanted = [new_id(at=new.created_at) for _, new in items]
    found = await statuses.by_uris_or_ids(conn, [new.uri for _, new in items], wanted)
    known: dict[str, Status | int] = {s.uri: s for s in found}  # a uri stored before, or at this index now
    taken = {s.id for s in found}
    rows: list[dict] = []
    for index, ((author, new), status_id) in enumerate(zip(items, wanted)):
        if new.uri in known:
            continue
        if status_id in taken:
            status_id = await _free_id(conn, status_id + 1)
        taken.add(status_id)
        known[new.uri] = index
        rows.append(dict(
            id=status_id, uri=new.uri, url=new.url or new.uri, account_id=author.id, local=False,
            in_reply_to_id=None, in_reply_to_uri=None, in_reply_to_account_id=None, content=new.content,
            source_text=None, spoiler_text=new.spoiler_text, sensitive=_sensitive(author, new.sensitive),
            visibility=new.visibility,
            language=new.language, conversation_uri=new.conversation_uri, created_at=min(new.created_at or now, now),
            quote_of_id=None, quote_uri=None, quote_policy=new.quote_policy))
    written = iter(await statuses.insert_statuses(conn, rows) if rows else [])
    by_index = {index: next(written) for index in sorted(i for i in known.values() if isinstance(i, int))}
    fresh = [(items[index][0], items[index][1], status) for index, status in by_index.items()]
    for author, new, status in fresh:
        await statuses.set_tags(conn, status.id, list(new.hashtags), new=True)
        await cards.link_first(conn, rt, status, new.content, new=True)
    await search_index.index_new_statuses(conn, [status for _, _, status in fresh])
    counts: dict[int, tuple[int, float]] = {}
    for author, _, status in fresh:
        n, at = counts.get(author.id, (0, status.created_at))
        counts[author.id] = (n + 1, max(at, status.created_at))
    await accounts.count_new_statuses(conn, counts)
    awaited = await statuses.awaited_parents(conn, [status.uri for _, _, status in fresh])
    for _, _, status in fresh:
        if status.uri in awaited:  # replies that arrived before it (as _join_thread)
            await statuses.bump(conn, status.id, "replies_count", await statuses.adopt_replies(conn, status))
    await home.fill_home_written_many(conn, [home.Written(status, author.domain, (), tagged=bool(new.hashtags))
                                             for author, new, status in fresh])
    return [known[new.uri] if isinstance(known[new.uri], Status) else by_index[known[new.uri]]
            for _, new in items]


async def _known_or_free_id(conn: AsyncConnection, author: Account, new: NewStatus) -> tuple[Status | None, int]:
    """The status this one is already (a repeated delivery, a retried schedule, a reused key), or
    else the id to give it."""
    if new.idempotency_key is not None:
        earlier = await scheduled_store.idempotent_status_id(conn, author.id, new.idempotency_key)
        if earlier is not None and (status := await statuses.get(conn, earlier, with_deleted=True)):
            return status, status.id
    if new.id is not None:  # chosen by the scheduler for a local post: known, or free
        return await statuses.get(conn, new.id, with_deleted=True), new.id
    status_id = new_id(at=new.created_at)
    if new.uri is not None:
        # A remote post: known by its uri, and is the id free? One statement for both.
        found = await statuses.by_uri_or_id(conn, new.uri, status_id)
        if (known := next((s for s in found if s.uri == new.uri), None)) is not None:
            return known, known.id
        if not found:
            return None, status_id
        status_id += 1
    return None, await _free_id(conn, status_id)


async def _parent(conn: AsyncConnection, author: Account, new: NewStatus) -> tuple[Status | None, str]:
    """The post replied to, and the visibility the reply may have."""
    if new.in_reply_to_id is None:
        parent = await statuses.by_uri(conn, new.in_reply_to_uri) if new.in_reply_to_uri else None
        return parent, new.visibility
    parent = await statuses.get(conn, new.in_reply_to_id)
    if parent is None or not await statuses.can_see(conn, parent, author.id, author.local):
        raise NotFound("Record not found")
    if await social.is_blocked_either_way(conn, author.id, parent.account_id):
        raise Forbidden("You cannot reply to this account")
    return parent, _narrowest(new.visibility, parent.visibility)


async def _join_thread(conn: AsyncConnection, rt: Runtime, status: Status, parent: Status | None,
                       depth: int) -> None:
    """A remote status in its thread: the replies that arrived before it become its replies, and
    its own parent, when unknown, is queued to be fetched (never here: no network in a transaction)."""
    adopted = await statuses.adopt_replies(conn, status)
    if adopted:
        await statuses.bump(conn, status.id, "replies_count", adopted)
    uri = status.in_reply_to_uri
    if parent is None and uri and depth < MAX_ANCESTOR_DEPTH and host_of(uri) and not is_local(rt, uri):
        if await thread_fetches.queue_ancestor(conn, uri, depth + 1):
            rt.wake("threads")


async def _free_id(conn: AsyncConnection, status_id: int) -> int:
    """The first free id from `status_id` on (an id that sorts by the post's publication time):
    other nodes' posts published in the same millisecond (or another process backdating to it)
    must not collide with it."""
    while await statuses.get(conn, status_id, with_deleted=True):
        status_id += 1
    return status_id


async def _attach_media(conn: AsyncConnection, author: Account, status_id: int, media_ids: list[int]) -> None:
    """Only the author's own uploads that are not attached elsewhere (422 otherwise, as Mastodon)."""
    found = await media_store.attachable(conn, author.id, media_ids, status_id)
    if len(found) != len(dict.fromkeys(media_ids)):
        raise Unprocessable("Validation failed: Media attachments are invalid")
    await media_store.attach(conn, status_id, [m.id for m in found])


async def _store_remote_media(conn: AsyncConnection, status: Status, attachments: tuple[dict, ...] | None, *,
                              new: bool = False) -> None:
    """A remote status's attachments, as URLs (replacing those it had, after an edit; a `new` one has none)."""
    if attachments is None or status.local:
        return
    if not new:
        await media_store.remove_remote(conn, status.id)
    for position, values in enumerate(attachments):
        await media_store.insert_media(conn, account_id=status.account_id, status_id=status.id,
                                       position=position, **values)


async def _store_remote_poll(conn: AsyncConnection, status: Status, poll: RemotePoll | None) -> None:
    """The poll of a remote Question, created or refreshed with the counts its server reports."""
    if poll is None:
        return
    existing = await polls_store.of_status(conn, status.id)
    if existing is None:
        await polls_store.create(conn, status_id=status.id, account_id=status.account_id, titles=poll.titles,
                                 multiple=poll.multiple, expires_at=poll.expires_at, counts=poll.counts,
                                 voters_count=poll.voters_count)
    else:
        await polls_store.refresh(conn, existing.id, titles=poll.titles, counts=poll.counts,
                                  voters_count=poll.voters_count, expires_at=poll.expires_at)


async def _queue_note(conn: AsyncConnection, rt: Runtime, kind: str, status: Status, author: Account,
                      mentioned: list[Account], hashtags: list[str], parent: Status | None) -> dict | None:
    """Home timelines for a new status; for a local author, the Create/Update for everyone outside
    who may see it (returned, for the groups that relay it)."""
    if not author.local:
        if kind == "Create":
            # Nothing to send: the home rows are written here, in the transaction that stores the
            # post, rather than by a fan-out job (three more transactions for each inbound post).
            await home.fill_home_written(conn, home.Written(status, author.domain, tuple(a.id for a in mentioned),
                                                            tagged=bool(hashtags)))
        return None
    activity = None
    recipients = [a.id for a in mentioned]
    # A post in a group (FEP-1b12): it names the group as its audience, and a reply in a group's
    # thread goes to the group too, which relays it to the members.
    in_groups = [a for a in mentioned if a.actor_type == "Group"]
    if parent and status.visibility in ("public", "unlisted"):
        in_groups += await statuses.group_boosters(conn, parent.id)
        recipients += [g.id for g in in_groups]
    if status.visibility != "local":
        note = as2.note_object(status, author, rt.urls, mentioned=mentioned, tags=hashtags,
                               in_reply_to_uri=parent.uri if parent else None)
        if in_groups:
            note["audience"] = in_groups[0].uri
        # Attachments, and a poll as a Question (a status just created has no replies to embed yet).
        note = await decorate_note(conn, rt, status, note, new=kind == "Create")
        activity_id = (rt.urls.status_activity(author.username, status.id) if kind == "Create"
                       else rt.urls.status_update(author.username, status.id, int(time.time() * 1000)))
        # Signed with the author's integrity proof (FEP-8b32), so that a group relaying it can be
        # believed by servers that cannot fetch the post (a members-only one).
        activity = integrity.sign(as2.wrap_note(kind, note, activity_id), rt.session_secret, author.uri)
        if parent and status.visibility != "direct":
            recipients.append(parent.account_id)  # the author replied to hears of it, as on Mastodon
    followers = author.id if status.visibility != "direct" else None
    if activity is not None and kind == "Update" and status.visibility != "direct":
        if status.quote_of_id is not None:
            quoted = await statuses.get(conn, status.quote_of_id, with_deleted=True)
            if quoted is not None:
                recipients.append(quoted.account_id)  # the quoted author hears of the quote's changes
        if status.quotes_count:  # and those who quoted it hear of its edits (their quoted_update)
            recipients += [a for a, _ in await quote_facts.quotes.quotes_by_author(conn, status.id, local=False)]
    await outgoing.queue(conn, rt, activity=activity, signer=author, followers_of=followers,
                         to_accounts=recipients, home_status=status.id if kind == "Create" else None)
    return activity


async def send_update(conn: AsyncConnection, rt: Runtime, status_id: int) -> None:
    """Send a local status's Note again, as an Update (its quote's state or its quote policy changed)."""
    status = await statuses.get(conn, status_id)
    author = await accounts.get(conn, status.account_id) if status else None
    if status is None or author is None or not author.local or status.reblog_of_id:
        return
    mentioned = await accounts.get_many(conn, await statuses.mentioned_ids(conn, status.id))
    hashtags = (await statuses.tags_of(conn, [status.id])).get(status.id, [])
    parent = await statuses.get(conn, status.in_reply_to_id) if status.in_reply_to_id else None
    await _queue_note(conn, rt, "Update", status, author, list(mentioned.values()), hashtags, parent)


async def _own_status(conn: AsyncConnection, author: Account, status_id: int) -> Status:
    status = await statuses.get(conn, status_id)
    if status is None or (status.account_id != author.id and not await statuses.can_see(
            conn, status, author.id, author.local)):
        raise NotFound("Record not found")
    if status.account_id != author.id:
        raise Forbidden("This action is not allowed")
    return status


def _sensitive(author: Account, asked: bool) -> bool:
    """A post is sensitive when its author says so, or a moderator marked the author sensitive
    (social.moderation.sensitize_account), whoever the author is and whatever they say."""
    return asked or author.sensitized_at is not None


async def edit(rt: Runtime, author: Account, status_id: int, change: StatusEdit) -> Status:
    """Apply the author's edit: a revision kept, mentions that only grow (nobody who has the post
    loses track of it), `mention` notifications for the newly named, `update` notifications for
    everyone here who boosted it, and for a local author the Update sent out."""
    async with rt.db.write() as conn:
        before = await _own_status(conn, author, status_id)
        if before.reblog_of_id:
            raise Unprocessable("A boost cannot be edited")
        if change.media_ids is not None:
            await _attach_media(conn, author, status_id, list(change.media_ids))
        await _store_remote_media(conn, before, change.remote_media)
        await _store_remote_poll(conn, before, change.remote_poll)
        await statuses.set_tags(conn, status_id, list(change.hashtags))
        if change.poll_counts_only:
            return await statuses.get(conn, status_id)  # type: ignore[return-value]
        await statuses.record_edit(conn, before)
        await statuses.update_status(conn, status_id, content=change.content, source_text=change.source_text,
                                     spoiler_text=change.spoiler_text,
                                     sensitive=_sensitive(author, change.sensitive),
                                     language=change.language or before.language,
                                     edited_at=change.edited_at or time.time())
        await cards.link_first(conn, rt, before, change.content)
        old = set(await statuses.mentioned_ids(conn, status_id))
        await statuses.set_mentions(conn, status_id, [*old, *(a.id for a in change.mentioned)])
        for account in change.mentioned:
            if account.local and account.id not in old:
                await social.notify(conn, account_id=account.id, from_account_id=author.id,
                                    type="mention", status_id=status_id)
        for booster_id in await statuses.local_booster_ids(conn, status_id):
            await social.notify(conn, account_id=booster_id, from_account_id=author.id, type="update",
                                status_id=status_id, again=True)
        for quoter_id, quote_id in await quote_facts.quotes.quotes_by_author(conn, status_id, local=True):
            # Whoever quoted it here hears of the edit, with their own quote post (Mastodon's quoted_update).
            await social.notify(conn, account_id=quoter_id, from_account_id=author.id, type="quoted_update",
                                status_id=quote_id, again=True)
        status = await statuses.get(conn, status_id)
        await search_index.index_status(conn, status)
        everyone = await accounts.get_many(conn, [*old, *(a.id for a in change.mentioned)])
        parent = await statuses.get(conn, before.in_reply_to_id) if before.in_reply_to_id else None
        sent = await _queue_note(conn, rt, "Update", status, author, list(everyone.values()),  # type: ignore[arg-type]
                                 list(change.hashtags), parent)
        await relay_change(conn, rt, status, author, change.activity or sent)  # type: ignore[arg-type]
    return status  # type: ignore[return-value]


async def remove(rt: Runtime, author: Account, status_id: int, *, activity: dict | None = None) -> Status:
    """Delete the author's status or boost (see `remove_in`); `activity`: the Delete that brought a
    remote author's deletion."""
    async with rt.db.write() as conn:
        status = await _own_status(conn, author, status_id)
        await remove_in(conn, rt, status, author, activity=activity)
    return status


async def remove_in(conn: AsyncConnection, rt: Runtime, status: Status, author: Account, *,
                    activity: dict | None = None) -> None:
    """Delete a status or boost inside the caller's transaction: counters back, a boost's
    notification withdrawn, and for a local author the Delete (or Undo of the Announce) sent to
    whoever had it."""
    mentioned_ids = await statuses.mentioned_ids(conn, status.id)
    delete = _delete_activity(rt, status, author, await accounts.get_many(conn, mentioned_ids))
    if not status.reblog_of_id:
        # A deleted post leaves the groups here that relayed it: each forwards the Delete and
        # undoes its Announce, so members on other nodes (who may not follow the author) lose it too.
        await relay_change(conn, rt, status, author, activity or delete)
        parent = await statuses.get(conn, status.in_reply_to_id) if status.in_reply_to_id and activity else None
        if parent is not None and parent.local and not author.local:
            await forward_reply(conn, rt, status, author, parent, activity)  # to a group elsewhere
        for group in await statuses.group_boosters(conn, status.id):
            if group.local and (relay := await statuses.find_reblog(conn, group.id, status.id)):
                await remove_in(conn, rt, relay, group)
    await statuses.mark_deleted(conn, status.id)
    if status.quote_state == "accepted":
        await quote_facts.quotes.set_state(conn, status, "revoked")  # it counts as a quote no more
    await search_index.unindex_status(conn, status.id)
    await accounts.bump_counter(conn, author.id, "statuses_count", -1)
    if status.in_reply_to_id:
        await statuses.bump(conn, status.in_reply_to_id, "replies_count", -1)
    original = None
    if status.reblog_of_id:
        original = await statuses.get(conn, status.reblog_of_id, with_deleted=True)
        await statuses.bump(conn, status.reblog_of_id, "reblogs_count", -1)
        if original:
            await social.withdraw_notification(conn, account_id=original.account_id, from_account_id=author.id,
                                               type="reblog", status_id=original.id)
    if not author.local or status.visibility == "local":
        return
    if status.reblog_of_id:
        if original:
            original_author = await accounts.get(conn, original.account_id)
            # The whole Announce, as Mastodon sends it: a server that no longer has the boost
            # (GoToSocial) refuses an Undo whose object has no addressing.
            announce = as2.strip_context(as2.announce(status, author, original.uri,
                                                      original_author.uri if original_author else None))
            activity = as2.activity("Undo", rt.urls.undo(status.uri), author.uri, announce,
                                    to=announce["to"], cc=announce["cc"])
            await outgoing.queue(conn, rt, activity=activity, signer=author, followers_of=author.id,
                                 to_accounts=[original.account_id])
        return
    followers = author.id if status.visibility != "direct" else None
    # Those who quoted it, and the author it quoted, hear of it too (their quotes show it deleted).
    quoting = [a for a, _ in await quote_facts.quotes.quotes_by_author(conn, status.id, local=False)]
    quoted = await statuses.get(conn, status.quote_of_id, with_deleted=True) if status.quote_of_id else None
    await outgoing.queue(conn, rt, activity=delete, signer=author, followers_of=followers,
                         to_accounts=[*mentioned_ids, *quoting, *([quoted.account_id] if quoted else [])])


def _delete_activity(rt: Runtime, status: Status, author: Account, mentioned: dict) -> dict | None:
    """The Delete a local author's status goes out as (None for a boost, or a remote author)."""
    if status.reblog_of_id or not author.local or status.visibility == "local":
        return None
    tombstone = {"id": status.uri, "type": "Tombstone"}
    to, cc = audience(status.visibility, followers_url=author.followers_url or "",
                      mentioned=[a.uri for a in mentioned.values()])
    return integrity.sign(as2.activity("Delete", rt.urls.status_delete(author.username, status.id), author.uri,
                                        tombstone, to=to, cc=cc), rt.session_secret, author.uri)
