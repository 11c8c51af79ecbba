"""Posting, editing and deleting statuses."""
from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2
from federation.addressing import PUBLIC, audience
from federation.content import MentionRef, find_mentions, render_plain
from models import accounts, social, statuses
from models import media as media_store
from models.accounts import Account
from models.ids import new_id
from models.statuses import VISIBILITIES, Status
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable
from social.polls import PollRequest, check_request as check_poll, create_local as create_poll
from federation.notes import decorate_note

# From widest to narrowest; a reply is never wider than the post it answers.
NARROWING = ("public", "unlisted", "local", "private", "direct")


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


async def post_status(rt: Runtime, author: Account, *, text: str, visibility: str = "public",
                      spoiler_text: str = "", sensitive: bool = False,
                      in_reply_to_id: int | None = None, language: str | None = None,
                      media_ids: list[int] | None = None, poll: PollRequest | None = None,
                      status_id: int | None = None) -> Status:
    """Post a status. A caller that must not post twice (the scheduler, after a crash) passes the
    `status_id` it chose: if that status exists already, it is returned and nothing else happens."""
    if status_id is not None:
        async with rt.db.read() as conn:
            existing = await statuses.get(conn, status_id, with_deleted=True)
        if existing is not None:
            return existing
    if visibility not in VISIBILITIES:
        raise Unprocessable(f"unknown visibility {visibility!r}")
    check_media_request(media_ids, poll)
    if poll is not None:
        poll = check_poll(poll)
    check_text(rt, text, spoiler_text, allow_blank=bool(media_ids))
    resolved = await _resolve_mentions(rt, text)
    html, mentioned, hashtags = _render(rt, text, resolved)
    async with rt.db.write() as conn:
        parent = None
        if in_reply_to_id is not None:
            parent = await statuses.get(conn, in_reply_to_id)
            if parent is None or not await statuses.can_see(conn, parent, author.id, True):
                raise NotFound("Record not found")
            if await social.is_blocked_either_way(conn, author.id, parent.account_id):
                raise Forbidden("You cannot reply to this account")
            visibility = _narrowest(visibility, parent.visibility)
        status_id = status_id or new_id()
        status = await statuses.insert_status(
            conn, id=status_id, uri=rt.urls.status(author.username, status_id),
            url=rt.urls.status_page(author.username, status_id), account_id=author.id, local=True,
            in_reply_to_id=parent.id if parent else None, in_reply_to_uri=parent.uri if parent else None,
            in_reply_to_account_id=parent.account_id if parent else None, content=html,
            source_text=text, spoiler_text=spoiler_text, sensitive=sensitive or bool(spoiler_text),
            visibility=visibility, language=language)
        if media_ids:
            await _attach_media(conn, author, status_id, media_ids)
        if poll is not None:
            await create_poll(conn, status, poll)
        await statuses.set_mentions(conn, status_id, [a.id for a in mentioned])
        await statuses.set_tags(conn, status_id, hashtags)
        await accounts.bump_counter(conn, author.id, "statuses_count", 1)
        await accounts.update_last_status(conn, author.id, status.created_at)
        if parent:
            await statuses.bump(conn, parent.id, "replies_count", 1)
        for account in mentioned:
            if account.local:
                await social.notify(conn, account_id=account.id, from_account_id=author.id,
                                    type="mention", status_id=status_id)
        await _queue_note(conn, rt, "Create", status, author, mentioned, hashtags, parent)
    return status


def check_media_request(media_ids: list[int] | None, poll: PollRequest | None) -> None:
    if media_ids and len(media_ids) > media_store.MAX_ATTACHMENTS:
        raise Unprocessable(f"Validation failed: You can attach at most {media_store.MAX_ATTACHMENTS} files")
    if media_ids and poll is not None:
        raise Unprocessable("Validation failed: A post cannot have both media and a poll")


async def _attach_media(conn: AsyncConnection, author: Account, status_id: int, media_ids: list[int]) -> None:
    """Only the author's own uploads that are not attached elsewhere (422 otherwise, as Mastodon)."""
    found = await media_store.attachable(conn, author.id, media_ids, status_id)
    if len(found) != len(dict.fromkeys(media_ids)):
        raise Unprocessable("Validation failed: Media attachments are invalid")
    await media_store.attach(conn, status_id, [m.id for m in found])


async def _queue_note(conn: AsyncConnection, rt: Runtime, kind: str, status: Status, author: Account,
                      mentioned: list[Account], hashtags: list[str], parent: Status | None) -> None:
    """Home timelines for a new status, and the Create/Update for everyone outside who may see it."""
    activity = None
    recipients = [a.id for a in mentioned]
    if status.visibility != "local":
        note = as2.note_object(status, author, rt.urls, mentioned=mentioned, tags=hashtags,
                               in_reply_to_uri=parent.uri if parent else None)
        note = await decorate_note(conn, rt, status, note)  # attachments, and a poll as a Question
        activity_id = (rt.urls.status_activity(author.username, status.id) if kind == "Create"
                       else f"{status.uri}#updates/{int(time.time() * 1000)}")
        activity = as2.wrap_note(kind, note, activity_id)
        if parent and status.visibility != "direct":
            recipients.append(parent.account_id)  # the author replied to hears of it, as on Mastodon
    followers = author.id if status.visibility != "direct" else None
    await outgoing.queue(conn, rt, activity=activity, signer=author, followers_of=followers,
                       to_accounts=recipients, home_status=status.id if kind == "Create" else None)


async def _own_status(conn: AsyncConnection, author: Account, status_id: int) -> Status:
    status = await statuses.get(conn, status_id)
    if status is None or (status.account_id != author.id and not await statuses.can_see(
            conn, status, author.id, True)):
        raise NotFound("Record not found")
    if status.account_id != author.id:
        raise Forbidden("This action is not allowed")
    return status


async def edit_status(rt: Runtime, author: Account, status_id: int, *, text: str,
                      spoiler_text: str = "", sensitive: bool = False,
                      language: str | None = None, media_ids: list[int] | None = None) -> Status:
    """`media_ids` None keeps the attachments; a list (maybe empty) replaces them."""
    check_media_request(media_ids, None)
    check_text(rt, text, spoiler_text, allow_blank=bool(media_ids))
    resolved = await _resolve_mentions(rt, text)
    html, mentioned, hashtags = _render(rt, text, resolved)
    async with rt.db.write() as conn:
        before = await _own_status(conn, author, status_id)
        if before.reblog_of_id:
            raise Unprocessable("A boost cannot be edited")
        if media_ids is not None:
            await _attach_media(conn, author, status_id, media_ids)
        await statuses.record_edit(conn, before)
        await statuses.update_status(conn, status_id, content=html, source_text=text,
                                     spoiler_text=spoiler_text, sensitive=sensitive or bool(spoiler_text),
                                     language=language or before.language, edited_at=time.time())
        # Mentions only grow on edit, so nobody who already has the post loses track of it.
        old = set(await statuses.mentioned_ids(conn, status_id))
        await statuses.set_mentions(conn, status_id, [*old, *(a.id for a in mentioned)])
        await statuses.set_tags(conn, status_id, hashtags)
        for account in mentioned:
            if account.local and account.id not in old:
                await social.notify(conn, account_id=account.id, from_account_id=author.id,
                                    type="mention", status_id=status_id)
        status = await statuses.get(conn, status_id)
        everyone = await accounts.get_many(conn, [*old, *(a.id for a in mentioned)])
        parent = await statuses.get(conn, before.in_reply_to_id) if before.in_reply_to_id else None
        await _queue_note(conn, rt, "Update", status, author, list(everyone.values()), hashtags, parent)
    return status  # type: ignore[return-value]


async def delete_status(rt: Runtime, author: Account, status_id: int) -> Status:
    async with rt.db.write() as conn:
        status = await _own_status(conn, author, status_id)
        await remove_status(conn, rt, status, author)
    return status


async def remove_status(conn: AsyncConnection, rt: Runtime, status: Status, author: Account) -> None:
    """Delete a local status or boost inside the caller's transaction and tell whoever had it."""
    mentioned_ids = await statuses.mentioned_ids(conn, status.id)
    await statuses.mark_deleted(conn, status.id)
    await accounts.bump_counter(conn, author.id, "statuses_count", -1)
    if status.in_reply_to_id:
        await statuses.bump(conn, status.in_reply_to_id, "replies_count", -1)
    if status.visibility == "local":
        return
    if status.reblog_of_id:
        original = await statuses.get(conn, status.reblog_of_id, with_deleted=True)
        await statuses.bump(conn, status.reblog_of_id, "reblogs_count", -1)
        if original:
            original_author = await accounts.get(conn, original.account_id)
            announce = {"id": status.uri, "type": "Announce", "actor": author.uri, "object": original.uri}
            activity = as2.activity("Undo", f"{status.uri}#undo", author.uri, announce, to=[PUBLIC],
                                    cc=[author.followers_url or "", original_author.uri if original_author else ""])
            await outgoing.queue(conn, rt, activity=activity, signer=author, followers_of=author.id,
                               to_accounts=[original.account_id])
        return
    tombstone = {"id": status.uri, "type": "Tombstone"}
    to, cc = audience(status.visibility, followers_url=author.followers_url or "",
                          mentioned=[a.uri for a in (await accounts.get_many(conn, mentioned_ids)).values()])
    activity = as2.activity("Delete", f"{status.uri}#delete", author.uri, tombstone, to=to, cc=cc)
    followers = author.id if status.visibility != "direct" else None
    await outgoing.queue(conn, rt, activity=activity, signer=author, followers_of=followers,
                       to_accounts=mentioned_ids)

