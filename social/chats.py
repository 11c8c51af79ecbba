"""Weekly hashtag chats, once for everyone: scheduling one, cancelling it, saying you will attend, and
the chat queue that makes it run itself (the announcement, the reminder, each question at its time,
and the next week's occurrence).

The queue is the `chat_jobs` table, claimed like the other queues. A job that posts chooses its
status id on its first attempt and keeps it (models.chats.job_status_id), and post_status returns the
status made earlier under that id: a worker that dies after posting and before marking the job done
leaves a job that is claimed again when its lock expires, finds the post, and only finishes. Each
post is made once across crashes and restarts, and never lost.

Reminders reach the people who said they would attend (`chat_rsvps`, local accounts) as a `status`
notification of the host's reminder post, the type Mastodon uses for "someone you asked to hear
from has posted", which Tusky, Elk and the other Mastodon apps render (they drop types they do not
know); the notification brings Web Push with it (models.social.notify). Followers of the host see the
announcement and the reminder in their home timelines, wherever they are.

A chat may belong to a group (FEP-1b12, social.groups): the group is its host, and the moderator who
scheduled it posts the announcement, the reminder and the questions in the group (addressed to it),
so the group relays them to every member on every node, and relays the members' answers in those
threads; the chat's live page and transcript, on the group's node, get everything the group relays.
A post a group moderator removed is not in the transcript (models.chats.window_posts).
"""
from __future__ import annotations

import datetime
import logging
import math
import time
from dataclasses import dataclass

from federation import as2
from federation.content import find_hashtags
from federation.runtime import Runtime
from models import account_domain_blocks, accounts, chats, groups
from models import social as social_store
from models.accounts import Account
from models.chats import Chat, Job
from models.ids import new_id
from models.schema import chat_jobs
from social import outgoing
from social import statuses as status_uc
from social.errors import Forbidden, NotFound, ServiceError, Unprocessable

log = logging.getLogger(__name__)

MAX_TOPICS = 10
MAX_TITLE = 200
MAX_HASHTAG = 60
MAX_WINDOW = 24 * 3600.0
MAX_AHEAD = 366 * 24 * 3600.0
WEEK = 7 * 24 * 3600.0
BATCH = 20
LOCK_SECONDS = 120.0
MAX_ATTEMPTS = 8
GROUP_MENTION_ROOM = 40  # "\n\n@" and a group's name (at most 30 characters), with room to spare


@dataclass(frozen=True)
class TopicRequest:
    text: str
    starts_at: float | None = None


@dataclass(frozen=True)
class ChatRequest:
    hashtag: str
    title: str
    starts_at: float
    ends_at: float
    topics: tuple[TopicRequest, ...]
    recurrence: str | None = None
    group: str | None = None  # the group's acct, when the chat belongs to one


@dataclass(frozen=True)
class Plan:
    """A checked request: what is stored."""
    hashtag: str
    title: str
    starts_at: float
    ends_at: float
    topics: list[tuple[str, float]]


def _fail(message: str) -> Unprocessable:
    return Unprocessable(f"Validation failed: {message}")


def whole(ts: float) -> float:
    """A chat's times are whole seconds (rounded up). A remote post's time is its `published`, which
    Mastodon and most servers give to the second (the fraction dropped): against a whole-second
    opening time the comparison is exact, since a post written at or after the opening is published at
    or after it, and one written before is published before it. A fractional opening would put a post
    written in its first second under the previous topic."""
    return float(math.ceil(ts))


def check(rt: Runtime, req: ChatRequest, now: float) -> Plan:
    """The hashtag as it will be posted and each topic's (text, opening time), every time a whole
    second (whole()); 422 saying what is wrong."""
    hashtag = req.hashtag.strip().lstrip("#")
    if not hashtag:
        raise _fail("Hashtag can't be blank")
    if len(hashtag) > MAX_HASHTAG or find_hashtags("#" + hashtag) != [hashtag.lower()]:
        raise _fail(f"Hashtag must be letters, digits and underscores, at most {MAX_HASHTAG}")
    title = req.title.strip()
    if not title:
        raise _fail("Title can't be blank")
    if len(title) > MAX_TITLE:
        raise _fail(f"Title is too long (at most {MAX_TITLE} characters)")
    if req.recurrence not in (None, "weekly"):
        raise _fail("Recurrence must be weekly or absent")
    if req.starts_at < now:
        raise _fail("Starts at must be in the future")
    starts_at, ends_at = whole(req.starts_at), whole(req.ends_at)
    if req.starts_at > now + MAX_AHEAD:
        raise _fail("Starts at must be within a year")
    if ends_at <= starts_at:
        raise _fail("Ends at must be after starts at")
    length = ends_at - starts_at
    if length < rt.config.chat_min_window_seconds:
        raise _fail(f"A chat lasts at least {int(rt.config.chat_min_window_seconds)} seconds")
    if length > MAX_WINDOW:
        raise _fail("A chat lasts at most 24 hours")
    if not req.topics:
        raise _fail("Topics can't be empty")
    if len(req.topics) > MAX_TOPICS:
        raise _fail(f"At most {MAX_TOPICS} topics")
    room = rt.config.max_status_chars - len(hashtag) - 16 - GROUP_MENTION_ROOM  # "Q10: …\n\n#tag\n\n@group"
    for topic in req.topics:
        if not topic.text.strip():
            raise _fail("Topic text can't be blank")
        if len(topic.text.strip()) > room:
            raise _fail(f"Topic text is too long (at most {room} characters)")
    given = [t.starts_at for t in req.topics if t.starts_at is not None]
    if given and len(given) != len(req.topics):
        raise _fail("Give every topic a starts_at, or none")
    if not given:
        step = length / len(req.topics)
        times = [whole(starts_at + round(i * step, 6)) for i in range(len(req.topics))]
    else:
        times = [whole(at) for at in given]
        for at in times:
            if not starts_at <= at < ends_at:
                raise _fail("Each topic's starts_at must be inside the chat's window")
        if any(b <= a for a, b in zip(times, times[1:])):
            raise _fail("Topics must open one after another")
    return Plan(hashtag, title, starts_at, ends_at, [(t.text.strip(), at) for t, at in zip(req.topics, times)])


async def schedule(rt: Runtime, author: Account, req: ChatRequest) -> Chat:
    """Store the chat and its queue: the announcement now, the reminder before the start, each
    question at its time, and for a weekly chat the next occurrence when this one ends."""
    now = time.time()
    plan = check(rt, req, now)
    host = await _host(rt, author, req.group) if req.group else author
    async with rt.db.write() as conn:
        chat_id = await chats.insert_chat(
            conn, account_id=host.id, created_by_id=author.id, hashtag=plan.hashtag, title=plan.title,
            starts_at=plan.starts_at, ends_at=plan.ends_at, recurrence=req.recurrence, topics=plan.topics)
        await chats.add_job(conn, chat_id, "announce", now)
        await _queue_occurrence(rt, conn, chat_id, now)
        chat = await chats.get(conn, chat_id)
    return chat  # type: ignore[return-value]


async def _host(rt: Runtime, author: Account, acct: str) -> Account:
    """The group a chat belongs to: one of this node's groups, which the author moderates."""
    name, _, domain = acct.lstrip("@").partition("@")
    if domain and domain.lower() != rt.config.domain.lower():
        raise _fail("Group must be a group on this node")
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, name, None)
        group = await groups.get(conn, account.id) if account is not None else None
    if group is None or group.account.suspended_at is not None:
        raise _fail(f"Group {acct} is not a group on this node")
    if author.id not in group.moderator_ids:
        raise Forbidden("Only the group's moderators can schedule its chats")
    return group.account


async def _queue_occurrence(rt: Runtime, conn, chat_id: int, now: float, *, reminder: bool = True) -> None:  # noqa: ANN001
    chat = await chats.get(conn, chat_id)
    assert chat is not None
    if reminder:
        await chats.add_job(conn, chat.id, "reminder", max(now, chat.starts_at - rt.config.chat_reminder_seconds))
    for topic in chat.topics:
        await chats.add_job(conn, chat.id, "question", topic.starts_at, topic_id=topic.id)
    if chat.recurrence == "weekly":
        await chats.add_job(conn, chat.id, "next", chat.ends_at)


async def _hosted(conn, actor: Account, chat_id: int) -> Chat:  # noqa: ANN001
    chat = await chats.get(conn, chat_id)
    if chat is None:
        raise NotFound("Record not found")
    if chat.created_by_id != actor.id:
        raise Forbidden("Only the chat's host can change it")
    return chat


async def edit(rt: Runtime, actor: Account, chat_id: int, req: ChatRequest) -> Chat:
    """PUT: a new title, window and topics for an occurrence that has not started, checked as a new
    chat is; a weekly chat's later weeks are made from it, so they follow. Its queue is made again:
    the questions at their new times, and the reminder unless it went out already. The hashtag,
    the host and the recurrence stay."""
    now = time.time()
    async with rt.db.read() as conn:
        chat = await _hosted(conn, actor, chat_id)
    if chat.state(now) != "scheduled":
        raise Unprocessable("This chat has started: its questions not yet asked can be changed with PATCH")
    plan = check(rt, ChatRequest(chat.hashtag, req.title, req.starts_at, req.ends_at, req.topics,
                                 recurrence=chat.recurrence), now)
    async with rt.db.write() as conn:
        chat = await _hosted(conn, actor, chat_id)
        if chat.state(time.time()) != "scheduled":
            raise Unprocessable("This chat has started: its questions not yet asked can be changed with PATCH")
        pending = await chats.replace_plan(conn, chat.id, title=plan.title, starts_at=plan.starts_at,
                                           ends_at=plan.ends_at, topics=plan.topics)
        await _queue_occurrence(rt, conn, chat.id, now, reminder="reminder" in pending)
        chat = await chats.get(conn, chat.id)
    await _reannounce(rt, actor, chat)  # type: ignore[arg-type]
    return chat  # type: ignore[return-value]


async def _reannounce(rt: Runtime, poster: Account, chat: Chat) -> None:
    """An announcement already posted is edited to say what changed (Update{Note} to every server)."""
    if chat.announcement_status_id is None:
        return
    async with rt.db.read() as conn:
        host = await accounts.get(conn, chat.account_id)
    if host is not None:
        await status_uc.edit_status(rt, poster, chat.announcement_status_id,
                                    text=in_group(announcement_text(rt, chat), host))


async def edit_topics(rt: Runtime, actor: Account, chat_id: int, texts: dict[int, str]) -> Chat:
    """PATCH: new wording for some of one occurrence's questions (by position), only those not yet
    asked; the weeks after keep asking the series' questions (Topic.series_text)."""
    room = rt.config.max_status_chars - 16 - GROUP_MENTION_ROOM
    async with rt.db.write() as conn:
        chat = await _hosted(conn, actor, chat_id)
        if chat.state(time.time()) == "ended":
            raise Unprocessable("This chat has ended")
        by_position = {t.position: t for t in chat.topics}
        for position, text in texts.items():
            topic = by_position.get(position)
            if topic is None:
                raise _fail(f"There is no topic {position}")
            if topic.status_id is not None:
                raise _fail(f"Topic {position} was asked already")
            if not text.strip():
                raise _fail("Topic text can't be blank")
            if len(text.strip()) > room - len(chat.hashtag):
                raise _fail(f"Topic text is too long (at most {room - len(chat.hashtag)} characters)")
            await chats.edit_topic(conn, topic, text.strip())
        chat = await chats.get(conn, chat.id)
    await _reannounce(rt, actor, chat)  # type: ignore[arg-type]
    return chat  # type: ignore[return-value]


async def cancel(rt: Runtime, actor: Account, chat_id: int) -> None:
    """Cancel a chat (and, for a weekly one, the weeks after it): only who scheduled it may."""
    async with rt.db.write() as conn:
        chat = await chats.get(conn, chat_id)
        if chat is None:
            raise NotFound("Record not found")
        if chat.created_by_id != actor.id:
            raise Forbidden("Only the chat's host can cancel it")
        await chats.cancel(conn, chat_id)


async def attend(rt: Runtime, account: Account, chat_id: int, attending: bool = True, *,
                 join: dict | None = None) -> Chat:
    """Say you will (or no longer) attend: who does gets the reminder, as a notification here or, for
    someone on another server (an RSVP through the inbox, federation.chat_events), as a direct
    message from the host. A remote `join` (Mobilizon's Join) is answered with the host's Accept."""
    async with rt.db.write() as conn:
        chat = await chats.get(conn, chat_id)
        if chat is None:
            raise NotFound("Record not found")
        if attending:
            if chat.state(time.time()) == "ended":
                raise Unprocessable("This chat has ended")
            if await _kept_apart(conn, chat.account_id, account):
                raise NotFound("Record not found")  # as for no chat: a block hides it
            if account.domain and (await chats.rsvps_from(conn, chat_id, account.domain, besides=account.id)
                                   >= rt.config.chat_rsvps_per_server):
                raise Unprocessable(f"This chat has all the attendees from {account.domain} it takes")
            await chats.add_rsvp(conn, chat_id, account.id)
        else:
            await chats.remove_rsvp(conn, chat_id, account.id)
        if join is not None and attending and not account.local:
            host = await accounts.get(conn, chat.account_id)
            if host is not None:
                activity = as2.activity("Accept", rt.urls.activity(host.uri, new_id()), host.uri, join,
                                        to=[account.uri])
                await outgoing.queue(conn, rt, activity=activity, signer=host, to_accounts=[account.id])
    return chat


async def _kept_apart(conn, host_id: int, account: Account) -> bool:  # noqa: ANN001
    """The host and `account` block each other, or the host blocked its server: no RSVP, so the host
    sends it no reminder (a blocked person on another server asked for direct messages)."""
    return (await social_store.is_blocked_either_way(conn, host_id, account.id)
            or bool(await account_domain_blocks.blocking(conn, [host_id], account.domain)))


# --- What the host posts ---------------------------------------------------------------------------

def _clock(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%H:%M")


def _day(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%A %Y-%m-%d")


def announcement_text(rt: Runtime, chat: Chat) -> str:
    """The schedule, the questions if they fit, the live page and the calendar link."""
    every = ", every week" if chat.recurrence == "weekly" else ""
    head = (f"{chat.title}: a #{chat.hashtag} chat on {_day(chat.starts_at)}, "
            f"{_clock(chat.starts_at)} to {_clock(chat.ends_at)} UTC{every}.")
    calendar = rt.urls.chat_series_calendar(chat.id) if chat.recurrence == "weekly" else rt.urls.chat_calendar(chat.id)
    links = f"Follow along: {rt.urls.chat(chat.id)}\nCalendar: {calendar}"
    topics = "\n".join(f"{t.position}. {t.text} ({_clock(t.starts_at)})" for t in chat.topics)
    for text in (f"{head}\n\n{topics}\n\n{links}", f"{head}\n\n{links}"):
        if len(text) <= rt.config.max_status_chars - GROUP_MENTION_ROOM:
            return text
    return f"#{chat.hashtag} chat, {_day(chat.starts_at)} {_clock(chat.starts_at)} UTC.\n\n{links}"


def reminder_text(rt: Runtime, chat: Chat, now: float) -> str:
    minutes = max(0, round((chat.starts_at - now) / 60))
    when = f"in {minutes} minutes" if minutes else "now"
    text = (f"Starting {when}: {chat.title} (#{chat.hashtag}), {_clock(chat.starts_at)} to "
            f"{_clock(chat.ends_at)} UTC. Follow along: {rt.urls.chat(chat.id)}")
    return text if len(text) <= rt.config.max_status_chars - GROUP_MENTION_ROOM else (
        f"Starting {when}: #{chat.hashtag} {rt.urls.chat(chat.id)}")


def direct_reminder_text(rt: Runtime, chat: Chat, person: Account, now: float) -> str:
    """The reminder for an attendee on another server: a direct message mentioning them."""
    text = f"@{person.full_acct(rt.config.domain)} {reminder_text(rt, chat, now)}"
    return text if len(text) <= rt.config.max_status_chars else (
        f"@{person.full_acct(rt.config.domain)} #{chat.hashtag} {rt.urls.chat(chat.id)}")


def question_text(chat: Chat, position: int, text: str) -> str:
    return f"Q{position}: {text}\n\n#{chat.hashtag}"


def in_group(text: str, host: Account) -> str:
    """A group's chat posts in the group: addressed to it, so the group relays it to its members."""
    return f"{text}\n\n@{host.username}" if host.actor_type == "Group" else text


# --- The chat queue --------------------------------------------------------------------------------

async def run_due(rt: Runtime) -> None:
    """The periodic job: claim due chat jobs and run each (see the module's note on crashes)."""
    rows = await rt.db.claim(chat_jobs, limit=BATCH, lock_seconds=LOCK_SECONDS)
    for row in rows:
        job = chats.job_from_row(row)
        try:
            await run_job(rt, job)
        except ServiceError as err:
            log.info("chat job %s (%s) cannot run: %s", job.id, job.kind, err)
            async with rt.db.write() as conn:
                await chats.finish_job(conn, job.id, state="failed", error=err.message)
        except Exception as err:  # noqa: BLE001 - retried when its lock expires; others go on
            log.exception("chat job %s (%s) failed", job.id, job.kind)
            if job.attempts >= MAX_ATTEMPTS:
                async with rt.db.write() as conn:
                    await chats.finish_job(conn, job.id, state="failed", error=repr(err)[:500])


async def run_job(rt: Runtime, job: Job) -> None:
    async with rt.db.read() as conn:
        chat = await chats.get(conn, job.chat_id)
        people = await accounts.get_many(conn, {chat.account_id, chat.created_by_id}) if chat else {}
    # The host posts; in a group's chat, the moderator who scheduled it posts in the group.
    host, poster = (people.get(chat.account_id), people.get(chat.created_by_id)) if chat else (None, None)
    if chat is None or host is None or poster is None or (host.suspended_at or poster.suspended_at) is not None:
        async with rt.db.write() as conn:
            await chats.finish_job(conn, job.id, state="cancelled")
        return
    if job.kind == "next":
        await _next_occurrence(rt, job, chat)
        return
    async with rt.db.write() as conn:
        status_id = await chats.job_status_id(conn, job.id)
    if job.kind == "announce":
        await status_uc.post_status(rt, poster, text=in_group(announcement_text(rt, chat), host), visibility="public",
                                    status_id=status_id)
        async with rt.db.write() as conn:
            await chats.set_announcement(conn, chat.id, status_id)
            await chats.finish_job(conn, job.id)
    elif job.kind == "question":
        topic = next((t for t in chat.topics if t.id == job.topic_id), None)
        if topic is None:
            raise NotFound("the topic is gone")
        await status_uc.post_status(rt, poster, text=in_group(question_text(chat, topic.position, topic.text), host),
                                    visibility="public", status_id=status_id)
        async with rt.db.write() as conn:
            await chats.set_topic_status(conn, topic.id, status_id)
            await chats.finish_job(conn, job.id)
    elif job.kind == "reminder":
        await status_uc.post_status(rt, poster, text=in_group(reminder_text(rt, chat, time.time()), host),
                                    visibility="unlisted", status_id=status_id)
        async with rt.db.write() as conn:
            here, elsewhere = await chats.rsvps_by_place(conn, chat.id)
            for account_id in here:
                # Once per person: notify() keeps one (recipient, sender, type, status) notification.
                await social_store.notify(conn, account_id=account_id, from_account_id=poster.id,
                                          type="status", status_id=status_id)
            # Notifications do not cross servers: each remote attendee gets a direct message, one job
            # each (so each is posted once, whatever crashes), made once with this job's end.
            if await chats.finish_job(conn, job.id, only_pending=True):
                await chats.add_jobs(conn, chat.id, "remind", time.time(), elsewhere)
    elif job.kind == "remind":
        async with rt.db.read() as conn:
            person = await accounts.get(conn, job.account_id) if job.account_id else None
            apart = person is not None and await _kept_apart(conn, chat.account_id, person)
        if person is None or person.local or apart:  # blocked since the RSVP: no message either
            async with rt.db.write() as conn:
                await chats.finish_job(conn, job.id, state="cancelled")
            return
        await status_uc.post_status(rt, poster, text=direct_reminder_text(rt, chat, person, time.time()),
                                    visibility="direct", status_id=status_id)
        async with rt.db.write() as conn:
            await chats.finish_job(conn, job.id)
    else:
        raise Unprocessable(f"unknown chat job {job.kind!r}")


async def _next_occurrence(rt: Runtime, job: Job, chat: Chat) -> None:
    """A week later, the same questions at the same offsets; who attended is asked again. Made in
    the transaction that finishes the job, so it is made once."""
    async with rt.db.write() as conn:
        if not await chats.finish_job(conn, job.id, only_pending=True):
            return
        next_id = await chats.insert_chat(
            conn, account_id=chat.account_id, created_by_id=chat.created_by_id, hashtag=chat.hashtag,
            title=chat.title, starts_at=chat.starts_at + WEEK, ends_at=chat.ends_at + WEEK,
            recurrence=chat.recurrence, topics=[(t.next_text, t.starts_at + WEEK) for t in chat.topics],
            series_id=chat.series_id, occurrence=chat.occurrence + 1)
        for account_id in await chats.rsvp_ids(conn, chat.id):
            await chats.add_rsvp(conn, next_id, account_id)
        await _queue_occurrence(rt, conn, next_id, time.time())
