"""Polls: creating one with a status, voting (here, or on another server's poll), counting the votes
other servers send, and telling people when a poll has ended."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from federation import as2
from federation.as2 import object_id
from federation.notes import decorate_note
from federation.polls import vote_note
from models import accounts, polls as polls_store, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.polls import Poll
from models.statuses import Status
from social import outgoing
from social.errors import NotFound, ServiceError, Unprocessable

MAX_OPTIONS = 4
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300
MAX_EXPIRATION = 2629746  # a month, as Mastodon


@dataclass(frozen=True)
class PollRequest:
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


def check_request(request: PollRequest) -> PollRequest:
    options = [o.strip() for o in request.options]
    if len(options) < 2:
        raise Unprocessable("Validation failed: Poll must have at least 2 options")
    if len(options) > MAX_OPTIONS:
        raise Unprocessable(f"Validation failed: Poll can't contain more than {MAX_OPTIONS} options")
    if any(not o for o in options):
        raise Unprocessable("Validation failed: Poll options can't be blank")
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        raise Unprocessable(f"Validation failed: Poll options can't be longer than {MAX_OPTION_CHARS} characters")
    if len(set(options)) != len(options):
        raise Unprocessable("Validation failed: Poll options must be unique")
    if not MIN_EXPIRATION <= request.expires_in <= MAX_EXPIRATION:
        raise Unprocessable("Validation failed: Poll duration is out of range")
    return PollRequest(options, request.expires_in, request.multiple, request.hide_totals)


async def create_local(conn: AsyncConnection, status: Status, request: PollRequest) -> Poll:
    return await polls_store.create(conn, status_id=status.id, account_id=status.account_id,
                                    titles=request.options, multiple=request.multiple,
                                    hide_totals=request.hide_totals,
                                    expires_at=status.created_at + request.expires_in)


async def _queue_question_update(conn: AsyncConnection, rt: Runtime, poll: Poll) -> None:
    """Tell whoever has the poll's status its new counts (an Update of the Question)."""
    status = await statuses.get(conn, poll.status_id)
    author = await accounts.get(conn, poll.account_id)
    if status is None or author is None or not status.local or status.visibility == "local":
        return
    mentioned_ids = await statuses.mentioned_ids(conn, status.id)
    mentioned = await accounts.get_many(conn, mentioned_ids)
    tags = (await statuses.tags_of(conn, [status.id])).get(status.id, [])
    note = as2.note_object(status, author, rt.urls, mentioned=mentioned.values(), tags=tags,
                           in_reply_to_uri=status.in_reply_to_uri)
    note = await decorate_note(conn, rt, status, note)
    activity = as2.wrap_note("Update", note, rt.urls.status_update(author.username, status.id, new_id()))
    await outgoing.queue(conn, rt, activity=activity, signer=author,
                       followers_of=author.id if status.visibility != "direct" else None,
                       to_accounts=mentioned_ids)


# --- Voting -------------------------------------------------------------------------------------

def _choices(poll: Poll, raw: list[str]) -> list[int]:
    try:
        choices = [int(c) for c in raw]
    except ValueError:
        raise Unprocessable("Validation failed: choices must be option indexes") from None
    if not choices:
        raise Unprocessable("Validation failed: You must choose an option")
    if len(set(choices)) != len(choices) or any(not 0 <= c < len(poll.options) for c in choices):
        raise Unprocessable("Validation failed: The chosen option does not exist")
    if len(choices) > 1 and not poll.multiple:
        raise Unprocessable("Validation failed: This poll takes one choice only")
    return choices


async def visible_poll(conn: AsyncConnection, poll_id: int, viewer: Account | None) -> tuple[Poll, Status]:
    poll = await polls_store.get(conn, poll_id)
    status = await statuses.get(conn, poll.status_id) if poll else None
    if poll is None or status is None or not await statuses.can_see(
            conn, status, viewer.id if viewer else None, viewer is not None and viewer.local):
        raise NotFound("Record not found")
    return poll, status


async def vote(rt: Runtime, voter: Account, poll_id: int, raw_choices: list, *,
               vote_uri: str | None = None) -> Poll:
    """Vote: a local person through the client API (all choices at once), or a remote account whose
    server sent its answer (one Note per choice, known by `vote_uri`). On a local poll the votes are
    counted here and everyone who has the poll hears the new counts; a local person's vote on a
    remote poll goes to the poll's server."""
    async with rt.db.write() as conn:
        poll, status = await visible_poll(conn, poll_id, voter)
        if poll.account_id == voter.id:
            raise Unprocessable("Validation failed: You cannot vote in your own poll")
        if poll.expired():
            raise Unprocessable("Validation failed: The poll has already ended")
        # A remote voter's choices in a multiple-choice poll arrive one by one.
        if (voter.local or not poll.multiple) and await polls_store.has_voted(conn, poll.id, voter.id):
            raise Unprocessable("Validation failed: You have already voted on this poll")
        choices = _choices(poll, raw_choices)
        if status.local:
            added = [await polls_store.add_vote(conn, poll, voter.id, choice, vote_uri) for choice in choices]
            if any(added):
                await polls_store.recount(conn, poll.id)
                await _queue_question_update(conn, rt, await polls_store.get(conn, poll.id))  # type: ignore[arg-type]
        elif voter.local:
            await _send_votes(conn, rt, voter, poll, status, choices)
        return await polls_store.get(conn, poll.id)  # type: ignore[return-value]


async def _send_votes(conn: AsyncConnection, rt: Runtime, voter: Account, poll: Poll, status: Status,
                      choices: list[int]) -> None:
    author = await accounts.get(conn, poll.account_id)
    for choice in choices:
        vote_id = rt.urls.activity(voter.uri, new_id())
        await polls_store.add_vote(conn, poll, voter.id, choice, vote_id)
        note = vote_note(vote_id, voter.uri, status.uri, author.uri if author else "",
                         poll.options[choice]["title"])
        activity = as2.activity("Create", rt.urls.activity(voter.uri, new_id()), voter.uri, note, to=note["to"], cc=[])
        await outgoing.queue(conn, rt, activity=activity, signer=voter, to_accounts=[poll.account_id])
    # Counted here at once; the author's server sends the true counts in its next Update.
    counts = [o["votes_count"] + (1 if i in choices else 0) for i, o in enumerate(poll.options)]
    await polls_store.refresh(conn, poll.id, titles=[o["title"] for o in poll.options], counts=counts,
                              voters_count=(poll.voters_count or 0) + 1, expires_at=poll.expires_at)


async def receive_vote(rt: Runtime, note: dict, voter: Account) -> bool:
    """A remote answer to a local poll (a Note with a name in reply to the Question), counted by
    `vote` as a local person's would be. True when the Note answered a local poll (counted or
    refused), so it is not stored as a post."""
    question_uri = object_id(note.get("inReplyTo")) or ""
    async with rt.db.read() as conn:
        status = await statuses.by_uri(conn, question_uri)
        poll = await polls_store.of_status(conn, status.id) if status is not None and status.local else None
    if poll is None:
        return False
    titles = [o["title"] for o in poll.options]
    if object_id(note.get("attributedTo")) not in (None, voter.uri) or note.get("name") not in titles:
        return True
    try:
        await vote(rt, voter, poll.id, [titles.index(note["name"])], vote_uri=object_id(note))
    except ServiceError:
        pass  # refused (ended, not visible to the voter, voted already): nothing is counted
    return True


# --- Ended polls ----------------------------------------------------------------------------------

async def notify_ended(rt: Runtime) -> None:
    """A `poll` notification to the local voters and the local author of every poll that has ended
    since the last call (cheap when there is none)."""
    async with rt.db.write() as conn:
        for poll in await polls_store.ended_unnotified(conn, time.time()):
            author = await accounts.get(conn, poll.account_id)
            voters = await accounts.get_many(conn, await polls_store.voter_ids(conn, poll.id))
            for voter in voters.values():
                if voter.local:
                    await social.notify(conn, account_id=voter.id, from_account_id=poll.account_id,
                                        type="poll", status_id=poll.status_id)
            if author and author.local:
                await _notify_self(conn, author.id, poll.status_id)
            await polls_store.mark_notified(conn, poll.id)


async def _notify_self(conn: AsyncConnection, account_id: int, status_id: int) -> None:
    """models.social.notify skips notifications from oneself; a poll's end is one the author wants."""
    from sqlalchemy import insert, select

    from models.schema import notifications

    if (await conn.execute(select(notifications.c.id).where(
            notifications.c.account_id == account_id, notifications.c.type == "poll",
            notifications.c.status_id == status_id))).first():
        return
    await conn.execute(insert(notifications).values(
        id=new_id(), account_id=account_id, from_account_id=account_id, type="poll", status_id=status_id,
        created_at=time.time(), read=False))

