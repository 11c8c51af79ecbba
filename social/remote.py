"""Remote posts: a Note we were sent or fetched, converted into the values of social.statuses'
facts (which store it, count it, notify and fill home timelines); fetching one by URL."""
from __future__ import annotations

import logging


from federation.runtime import Runtime
from federation import deref
from federation.addressing import visibility_of
from federation.as2 import MAX_MENTIONS, InvalidDocument, host_of, note_values, quote_policy, types_of
from federation.http import FetchError
from federation.media import remote_attachments
from federation.polls import question_values
from models import accounts, statuses
from models.accounts import Account
from models.statuses import Status
from social import quotes as quote_facts
from social import statuses as status_facts
from social.errors import ServiceError
from social.statuses import NewStatus, RemotePoll, StatusEdit

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


async def _mentioned(rt: Runtime, values: dict, author: Account) -> tuple[Account, ...]:
    """Accounts known here that the Note names: its Mention tags, then (silent mentions) the
    accounts in its to/cc; at most MAX_MENTIONS, whatever the spelling."""
    uris = list(dict.fromkeys(values["mention_uris"] + values["addressee_uris"]))[:MAX_MENTIONS]
    uris = [uri for uri in uris if uri != author.followers_url]  # addressed to followers: nobody named
    if not uris:
        return ()
    async with rt.db.read() as conn:
        found = await accounts.by_uris(conn, uris)
    return tuple(found[uri] for uri in uris if uri in found)


def _remote_poll(doc: dict) -> RemotePoll | None:
    values = question_values(doc) if "Question" in types_of(doc) else None
    return RemotePoll(**values) if values else None


async def _media(rt: Runtime, author: Account, doc: dict) -> tuple[dict, ...]:
    """Attachments as URLs; none at all (so nothing is ever fetched) from a domain whose media are rejected."""
    if (await rt.policy.check(author.domain)).reject_media:
        return ()
    return tuple(remote_attachments(doc))


async def _quoted(rt: Runtime, values: dict, author: Account, *, fetch: bool) -> tuple[Status | None, str, str | None]:
    """The post a remote Note quotes (fetched when unknown, one level only: a quote of a quote of …
    is not followed), and the quote's state with its authorization, checked (social.quotes)."""
    uri = values["quote_uri"]
    if not uri:
        return None, "pending", None
    async with rt.db.read() as conn:
        quoted = await statuses.by_uri(conn, uri)
    if quoted is None and fetch:
        quoted = await fetch_status(rt, uri, fetch_quoted=False)
    state, authorization = await quote_facts.inbound_state(rt, values["uri"], author, quoted,
                                                           values["quote_authorization_uri"])
    return quoted, state, authorization


async def store_note(rt: Runtime, doc: dict, author: Account, *, thread_depth: int = 0,
                     activity: dict | None = None, fetch_quoted: bool = True) -> Status | None:
    """Store a remote Note once (social.statuses.create). Returns the stored status, or the one
    stored before; None when it was deleted here. `thread_depth`: the Note is an ancestor fetched
    that many hops above a reply (social.threads), which bounds how far up its own parent is sought.
    `activity`: the Create that brought it (a group here relays it unchanged). `fetch_quoted`: fetch
    the post it quotes when unknown here."""
    status = await status_facts.create(rt, author, await new_status(
        rt, doc, author, thread_depth=thread_depth, activity=activity, fetch_quoted=fetch_quoted))
    return status if status.deleted_at is None else None


async def new_status(rt: Runtime, doc: dict, author: Account, *, thread_depth: int = 0,
                     activity: dict | None = None, fetch_quoted: bool = True) -> NewStatus:
    """What social.statuses stores of a Note `author` may have written (InvalidDocument otherwise)."""
    values = check_note(doc, author)
    quoted, quote_state, authorization = await _quoted(rt, values, author, fetch=fetch_quoted)
    media = await _media(rt, author, doc)
    mentioned = await _mentioned(rt, values, author)
    in_groups = {}
    if values["audience_uris"]:
        async with rt.db.read() as conn:  # the groups it names as its audience (FEP-1b12), known here
            in_groups = await accounts.by_uris(conn, values["audience_uris"])
    return NewStatus(
        uri=values["uri"], url=values["url"], content=values["content"],
        visibility=visibility_of(doc, followers_url=author.followers_url),
        spoiler_text=values["spoiler_text"], sensitive=values["sensitive"], language=values["language"],
        in_reply_to_uri=values["in_reply_to_uri"], mentioned=mentioned, hashtags=tuple(values["hashtags"]),
        created_at=values["created_at"], conversation_uri=values["conversation_uri"],
        remote_media=media, remote_poll=_remote_poll(doc), thread_depth=thread_depth,
        audience=tuple(a for a in in_groups.values() if a.actor_type == "Group"), activity=activity,
        quote_of_id=quoted.id if quoted else None, quote_uri=values["quote_uri"], quote_state=quote_state,
        quote_authorization_uri=authorization, quote_policy=quote_policy(doc, author.followers_url))


async def update_note(rt: Runtime, doc: dict, author: Account, *, activity: dict | None = None) -> Status | None:
    """Apply an edit from the status's own author (social.statuses.edit); an Update for an unknown
    Note stores it."""
    values = check_note(doc, author)
    async with rt.db.read() as conn:
        existing = await statuses.by_uri(conn, values["uri"])
    mentioned = await _mentioned(rt, values, author)
    if existing is None:
        return await store_note(rt, doc, author, activity=activity)
    if existing.account_id != author.id:
        raise InvalidDocument("only the author may edit a status")
    _, quote_state, authorization = await _quoted(rt, {**values, "quote_uri": existing.quote_uri}, author, fetch=False)
    # An Update that only carries a poll's new counts is not an edit (no revision, no "edited").
    unchanged = (values["content"], values["spoiler_text"], values["sensitive"]) == (
        existing.content, existing.spoiler_text, existing.sensitive)
    policy = quote_policy(doc, author.followers_url)
    if (unchanged and values["edited_at"] == existing.edited_at and "Question" not in types_of(doc)
            and (existing.quote_uri or policy != existing.quote_policy)):
        # Not an edit either: the same revision sent again because its quote was authorized or
        # revoked, or its quote policy changed (handled below).
        edited: Status | None = existing
    else:
        edited = await status_facts.edit(rt, author, existing.id, StatusEdit(
            content=values["content"], spoiler_text=values["spoiler_text"], sensitive=values["sensitive"],
            language=values["language"], mentioned=mentioned, hashtags=tuple(values["hashtags"]),
            edited_at=values["edited_at"], remote_media=await _media(rt, author, doc),
            remote_poll=_remote_poll(doc), poll_counts_only=unchanged and "Question" in types_of(doc),
            activity=activity))
    # A quote stays the post it quoted (as on Mastodon); its authorization may come or go.
    await quote_facts.apply_inbound_edit(rt, existing.id, policy, quote_state, authorization)
    return edited


async def fetch_status(rt: Runtime, uri: str, *, fetch_quoted: bool = True) -> Status | None:
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
        return await store_note(rt, doc, author, fetch_quoted=fetch_quoted)
    except (FetchError, InvalidDocument, ServiceError) as err:
        log.info("cannot fetch status %s: %s", uri, err)
        return None
