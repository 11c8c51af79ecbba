"""Hashtag chats in-process: the API's answers and 422s, the calendar files (parsed with the
icalendar package), the chat queue's once-only posts across a crash, the weekly series, and what a
transcript leaves out. Storage-touching tests run on SQLite and on PostgreSQL. The scheduler is run
by hand (workers off), so nothing here waits for a clock."""
from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone
from xml.etree import ElementTree

import icalendar
import pytest
from sqlalchemy import func, select, update

from backchannel.app import create_app
from backchannel.config import Config
from backchannel.keys import RUNTIME
from models import accounts, moderation
from models import chats as chat_store
from models.chats import insert_chat
from models.schema import chat_jobs, chats, notifications, push_deliveries, statuses
from social import chats as chats_uc
from social import statuses as status_uc
from social.errors import NotFound, Unprocessable
from social.errors import NotFound
from tests.api.conftest import ApiNode
from tests.api.test_push import Browser, subscribe_body


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


# Rules and formats that no query decides run on SQLite alone (overriding the `backend` fixture's params).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
async def node(aiohttp_client, tmp_path, database_factory):  # noqa: ANN001, ANN201
    app = create_app(Config(domain="acme.test", data=str(tmp_path), insecure_http=True, workers=False,
                            database=database_factory() or "", chat_min_window_seconds=60,
                            chat_reminder_seconds=600, count_statements=True))
    yield ApiNode(await aiohttp_client(app), app[RUNTIME])


def body(start_in: float = 3600, length: float = 1800, **extra) -> dict:  # noqa: ANN003
    start = time.time() + start_in
    return {"hashtag": "#TalkTech", "title": "Talk Tech", "starts_at": iso(start), "ends_at": iso(start + length),
            "topics": ["One?", "Two?", "Three?"], **extra}


async def create(person, **extra) -> dict:  # noqa: ANN001, ANN003
    response = await person.post("/api/v1/chats", json=body(**extra))
    assert response.status == 200, await response.text()
    return await response.json()


@SQLITE_ONLY
async def test_bad_chats_are_422_with_the_reason(node):
    alice = await node.person("alice")
    start = time.time() + 3600
    cases = {
        "Ends at must be after starts at": body(length=-60),
        "inside the chat's window": body(topics=[{"text": "a", "starts_at": iso(start - 60)},
                                                 {"text": "b", "starts_at": iso(start + 60)}]),
        "every topic a starts_at, or none": body(topics=[{"text": "a", "starts_at": iso(start)}, "b"]),
        "one after another": body(topics=[{"text": "a", "starts_at": iso(start + 60)},
                                          {"text": "b", "starts_at": iso(start + 30)}]),
        "must be in the future": body(start_in=-60),
        "at least 60 seconds": body(length=30),
        "at most 24 hours": body(length=25 * 3600),
        "At most 10 topics": body(topics=[f"q{i}" for i in range(11)]),
        "Topic text is too long": body(topics=["x" * 600]),
        "Topics can't be empty": body(topics=[]),
        "Title can't be blank": body(title="  "),
        "Title is too long": body(title="t" * 201),
        "Hashtag must be letters": body(hashtag="no spaces"),
        "Recurrence must be weekly": body(recurrence="daily"),
        "Starts at is invalid": body(starts_at="next tuesday"),
    }
    for reason, sent in cases.items():
        response = await alice.post("/api/v1/chats", json=sent)
        assert response.status == 422, (reason, await response.text())
        assert reason in (await response.json())["error"], reason
    assert (await node.client.post("/api/v1/chats", json=body())).status == 401
    assert await (await node.client.get("/api/v1/chats")).json() == []


async def test_schedule_read_attend_and_cancel(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    # A form with topics[N][text] and topics[N][starts_at], as a web form or a Rails-minded client sends
    start = time.time() + 3600
    form = {"hashtag": "TalkTech", "title": "Talk Tech", "starts_at": iso(start), "ends_at": iso(start + 1800),
            "topics[0][text]": "One?", "topics[0][starts_at]": iso(start),
            "topics[1][text]": "Two?", "topics[1][starts_at]": iso(start + 900)}
    response = await alice.post("/api/v1/chats", data=form)
    assert response.status == 200, await response.text()
    chat = await response.json()
    assert chat["host"]["acct"] == "alice" and chat["hashtag"] == "TalkTech" and chat["state"] == "scheduled"
    assert [(t["position"], t["text"]) for t in chat["topics"]] == [(1, "One?"), (2, "Two?")]
    assert chat["calendar_url"] == f"http://acme.test/chats/{chat['id']}.ics"
    # Evenly split when topics are plain strings
    even = await create(alice, start_in=7200, length=1800)
    gaps = [datetime.fromisoformat(t["starts_at"].replace("Z", "+00:00")).timestamp() for t in even["topics"]]
    assert [round(b - a) for a, b in zip(gaps, gaps[1:])] == [600, 600]

    # Anyone may read them, soonest first; carol says she will attend
    listed = await (await node.client.get("/api/v1/chats")).json()
    assert [c["id"] for c in listed] == [chat["id"], even["id"]]
    assert (await (await node.client.get("/api/v1/chats?scope=past")).json()) == []
    attending = await (await carol.post(f"/api/v1/chats/{chat['id']}/rsvp")).json()
    assert attending["attending"] and attending["attendees_count"] == 1
    assert (await (await alice.get(f"/api/v1/chats/{chat['id']}")).json())["attending"] is False

    # Only the host cancels; a cancelled chat is gone
    assert (await carol.delete(f"/api/v1/chats/{chat['id']}")).status == 403
    assert (await alice.delete(f"/api/v1/chats/{chat['id']}")).status == 200
    assert (await node.client.get(f"/api/v1/chats/{chat['id']}")).status == 404
    assert (await node.client.get(f"/chats/{chat['id']}")).status == 404
    async with node.rt.db.read() as conn:
        states = set((await conn.execute(select(chat_jobs.c.state).where(
            chat_jobs.c.chat_id == int(chat["id"])))).scalars())
    assert states == {"cancelled"}


@SQLITE_ONLY
async def test_calendar_files_parse_with_an_alarm_and_a_weekly_rule(node):
    alice = await node.person("alice")
    once = await create(alice)
    weekly = await create(alice, start_in=7200, recurrence="weekly")
    response = await node.client.get(f"/chats/{once['id']}.ics")
    assert response.status == 200 and response.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(await response.read())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART").timestamp() == pytest.approx(
        datetime.fromisoformat(once["starts_at"].replace("Z", "+00:00")).timestamp(), abs=1)
    assert str(event["SUMMARY"]) == "Talk Tech (#TalkTech)" and "Three?" in str(event["DESCRIPTION"])
    assert "RRULE" not in event
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER").total_seconds() == -600
    series = icalendar.Calendar.from_ical(await (await node.client.get(f"/chats/{weekly['id']}/series.ics")).read())
    [event] = series.walk("VEVENT")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event.walk("VALARM")


async def run_jobs(node, **where) -> None:  # noqa: ANN001, ANN003
    """Make the named jobs due now and run the chat queue once."""
    async with node.rt.db.write() as conn:
        await conn.execute(update(chat_jobs).where(*[chat_jobs.c[k] == v for k, v in where.items()])
                           .values(next_attempt_at=time.time() - 1))
    await chats_uc.run_due(node.rt)


async def test_each_post_is_made_once_across_a_crash(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    chat = await create(alice)
    await carol.post(f"/api/v1/chats/{chat['id']}/rsvp")
    subscribed = await carol.post("/api/v1/push/subscription",
                                  json=subscribe_body("https://push.example/carol", Browser(), status=True))
    assert subscribed.status == 200, await subscribed.text()
    # The announcement is due at once
    await chats_uc.run_due(node.rt)
    announced = await (await node.client.get(f"/api/v1/chats/{chat['id']}")).json()
    assert announced["announcement_status_id"]
    # Given a worker that claimed the reminder and the first question, posted them, and died before
    # marking them done
    async with node.rt.db.write() as conn:
        await conn.execute(update(chat_jobs).where(chat_jobs.c.kind.in_(["reminder", "question"]),
                                                   chat_jobs.c.chat_id == int(chat["id"]))
                           .values(next_attempt_at=time.time() + 3600))
    await run_jobs(node, kind="reminder")
    first = (await (await node.client.get(f"/api/v1/chats/{chat['id']}")).json())["topics"][0]
    async with node.rt.db.write() as conn:
        q1 = (await conn.execute(select(chat_jobs.c.id).where(chat_jobs.c.kind == "question")
                                 .order_by(chat_jobs.c.next_attempt_at))).scalars().first()
        await conn.execute(update(chat_jobs).where(chat_jobs.c.id == q1).values(next_attempt_at=time.time() - 1))
    [claimed] = await node.rt.db.claim(chat_jobs, limit=5, lock_seconds=120)
    job = chat_store.job_from_row(claimed)
    async with node.rt.db.write() as conn:
        status_id = await chat_store.job_status_id(conn, job.id)
    async with node.rt.db.read() as conn:
        host = await accounts.get(conn, int(alice.id))
        chat_row = await chat_store.get(conn, int(chat["id"]))
    await status_uc.post_status(node.rt, host, text=chats_uc.question_text(chat_row, 1, "One?"),
                                         status_id=status_id)
    assert first["status_id"] is None
    # When its lock expires and the queue runs again (twice), and the reminder's job is rerun too
    async with node.rt.db.write() as conn:
        await conn.execute(update(chat_jobs).where(chat_jobs.c.id == q1).values(locked_until=time.time() - 1))
        await conn.execute(update(chat_jobs).where(chat_jobs.c.kind == "reminder")
                           .values(state="pending", locked_until=None))
    await run_jobs(node, kind="reminder")
    await chats_uc.run_due(node.rt)
    # Then the question was posted once, with the id chosen first, and carol was reminded once
    async with node.rt.db.read() as conn:
        posted = (await conn.execute(select(statuses.c.id).where(
            statuses.c.account_id == int(alice.id), statuses.c.content.like("%Q1:%")))).scalars().all()
        reminded = (await conn.execute(select(notifications.c.id).where(
            notifications.c.account_id == int(carol.id), notifications.c.type == "status"))).scalars().all()
        pushed = (await conn.execute(select(func.count()).select_from(push_deliveries).where(
            push_deliveries.c.notification_id.in_(reminded)))).scalar_one()
    assert posted == [status_id] and len(reminded) == 1 and pushed == 1  # and Web Push is queued once
    shown = await (await node.client.get(f"/api/v1/chats/{chat['id']}")).json()
    assert shown["topics"][0]["status_id"] == str(status_id)
    seen = await (await carol.get("/api/v1/notifications")).json()
    assert [(n["type"], n["account"]["acct"]) for n in seen] == [("status", "alice")]
    assert f"/chats/{chat['id']}" in seen[0]["status"]["content"]


async def test_a_weekly_chat_makes_next_week_and_feeds_its_transcripts(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    chat = await create(alice, recurrence="weekly")
    await carol.post(f"/api/v1/chats/{chat['id']}/rsvp")
    await run_jobs(node, kind="next")
    await run_jobs(node, kind="next", chat_id=int(chat["id"]))  # a second run makes nothing more
    listed = await (await carol.get("/api/v1/chats")).json()
    assert [c["occurrence"] for c in listed] == [1, 2]
    this, following = listed
    assert following["series_id"] == this["id"] and following["attending"] is True
    week = [datetime.fromisoformat(c["starts_at"].replace("Z", "+00:00")).timestamp() for c in listed]
    assert week[1] - week[0] == pytest.approx(7 * 24 * 3600)
    # When the first one has happened, the series feed has its transcript
    async with node.rt.db.write() as conn:
        await conn.execute(update(chats).where(chats.c.id == int(this["id"]))
                           .values(starts_at=time.time() - 3600, ends_at=time.time() - 1800))
    response = await node.client.get(f"/chats/{following['id']}/series.rss")
    assert response.status == 200 and response.content_type == "application/rss+xml"
    items = ElementTree.fromstring(await response.read()).findall("./channel/item")
    assert [i.findtext("link") for i in items] == [f"http://acme.test/chats/{this['id']}/transcript"]


async def test_the_transcript_leaves_out_what_the_reader_may_not_see(node):
    alice, carol, dave = [await node.person(n) for n in ("alice", "carol", "dave")]
    # Given a chat whose window is open now, with its first question posted
    async with node.rt.db.write() as conn:
        chat_id = await insert_chat(conn, account_id=int(alice.id), created_by_id=int(alice.id), hashtag="TalkTech",
                                    title="Talk Tech", starts_at=time.time() - 1, ends_at=time.time() + 600,
                                    recurrence=None, topics=[("One?", time.time() - 1), ("Two?", time.time() + 300)])
        await chat_store.add_job(conn, chat_id, "question", time.time() - 1,
                                     topic_id=(await chat_store.get(conn, chat_id)).topics[0].id)
    await chats_uc.run_due(node.rt)
    q1 = (await (await node.client.get(f"/api/v1/chats/{chat_id}")).json())["topics"][0]["status_id"]
    assert q1
    # When people post, some in ways an anonymous reader may not see
    shown = await carol.post_status("Public answer #TalkTech", in_reply_to_id=q1)
    unlisted = await dave.post_status("Quietly #talktech", visibility="unlisted")
    reply = await alice.post_status("@carol agreed #TalkTech", in_reply_to_id=shown["id"])
    hidden = [await carol.post_status("Followers only #TalkTech", visibility="private"),
              await carol.post_status("Direct #TalkTech @alice", visibility="direct"),
              await carol.post_status("Only this node #TalkTech", visibility="local"),
              await carol.post_status("No tag at all", in_reply_to_id=q1)]
    deleted = await carol.post_status("Deleted #TalkTech")
    assert (await carol.delete(f"/api/v1/statuses/{deleted['id']}")).status == 200
    suspended = await (await node.person("mallory")).post_status("Spam #TalkTech")
    async with node.rt.db.write() as conn:
        mallory = (await conn.execute(select(statuses.c.account_id).where(
            statuses.c.id == int(suspended["id"])))).scalar_one()
        await moderation.set_account(conn, mallory, suspended_at=time.time())
    # Then the transcript has the question's thread and the unlisted post, nothing else
    transcript = await (await node.client.get(f"/chats/{chat_id}/transcript.json")).json()
    topic, later = transcript["topics"]
    assert topic["question"]["id"] == q1 and later["question"] is None and later["posts"] == []

    def tree(posts: list[dict]) -> list:
        return [(p["id"], tree(p["replies"])) for p in posts]
    assert tree(topic["posts"]) == [(shown["id"], [(reply["id"], [])]), (unlisted["id"], [])]
    text = str(transcript)
    for gone in [*hidden, deleted, suspended]:
        assert gone["id"] not in text
    assert {p["account"]: p["posts"] for p in transcript["participants"]} == {
        "@carol@acme.test": 1, "@dave@acme.test": 1, "@alice@acme.test": 1}
    page = await node.client.get(f"/chats/{chat_id}/transcript")
    html = await page.text()
    assert page.status == 200 and "Public answer" in html and "Followers only" not in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


@SQLITE_ONLY
async def test_a_transcript_costs_the_same_statements_however_long_it_is(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    async with node.rt.db.write() as conn:
        chat_id = await insert_chat(conn, account_id=int(alice.id), created_by_id=int(alice.id), hashtag="Scale",
                                    title="Scale", starts_at=time.time() - 1, ends_at=time.time() + 600,
                                    recurrence=None, topics=[("One?", time.time() - 1)])

    async def cost(path: str) -> int:
        response = await node.client.get(path)
        assert response.status == 200
        return int(response.headers["X-Statement-Count"])

    await carol.post_status("first #Scale")
    paths = [f"/chats/{chat_id}", f"/chats/{chat_id}/transcript", f"/chats/{chat_id}/transcript.json"]
    few = [await cost(p) for p in paths]
    for i in range(12):
        await (alice if i % 2 else carol).post_status(f"more {i} #Scale")
    assert [await cost(p) for p in paths] == few
    assert max(few) <= 6, few  # the chat, its topics, the posts, their authors (and the request's own)


async def test_a_groups_chat_is_posted_in_the_group_and_leaves_out_what_its_moderators_removed(node):
    from social import groups as groups_uc

    alice, carol, mallory = [await node.person(n) for n in ("alice", "carol", "mallory")]
    group = await groups_uc.create_group(node.rt, None, "practice", title="Practice", moderators=["alice"])
    for member in (carol, mallory):
        await groups_uc.join(node.rt, member.account, group.id)
    # Only the group's moderators schedule its chats, and only for a group on this node
    assert (await carol.post("/api/v1/chats", json=body(group="practice"))).status == 403
    for elsewhere in ("nobody", "practice@globex.test", "carol"):
        refused = await alice.post("/api/v1/chats", json=body(group=elsewhere))
        assert refused.status == 422 and "group" in (await refused.json())["error"].lower(), elsewhere
    scheduled = await create(alice, group="@practice@acme.test", hashtag="Practice")
    assert scheduled["host"]["acct"] == "practice" and scheduled["group"]["acct"] == "practice"

    # Given a group's chat whose window is open now, when its first question is due
    async with node.rt.db.write() as conn:
        chat_id = await insert_chat(conn, account_id=group.id, created_by_id=int(alice.id), hashtag="TalkTech",
                                    title="Practice chat", starts_at=time.time() - 1, ends_at=time.time() + 600,
                                    recurrence=None, topics=[("One?", time.time() - 1)])
        await chat_store.add_job(conn, chat_id, "question", time.time() - 1,
                                 topic_id=(await chat_store.get(conn, chat_id)).topics[0].id)
    await chats_uc.run_due(node.rt)
    q1 = (await (await node.client.get(f"/api/v1/chats/{chat_id}")).json())["topics"][0]["status_id"]
    # Then alice posted it in the group, and the group relayed it to its members
    question = await (await node.client.get(f"/api/v1/statuses/{q1}")).json()
    assert question["account"]["acct"] == "alice" and [m["acct"] for m in question["mentions"]] == ["practice"]
    async with node.rt.db.read() as conn:  # (the workers are off: the boost is there, its fan-out is not run)
        relayed = (await conn.execute(select(statuses.c.account_id).where(statuses.c.reblog_of_id == int(q1)))).scalars()
        assert list(relayed) == [group.id]
    # When members answer, and a moderator removes one answer
    kept = await carol.post_status("Kept #TalkTech", in_reply_to_id=q1)
    gone = await mallory.post_status("Spam #TalkTech", in_reply_to_id=q1)
    under_gone = await carol.post_status("Reply to spam #TalkTech", in_reply_to_id=gone["id"])
    await groups_uc.remove_post(node.rt, alice.account, group.id, int(gone["id"]))
    # Then the transcript has the question and the kept answer only
    transcript = await (await node.client.get(f"/chats/{chat_id}/transcript.json")).json()
    [topic] = transcript["topics"]
    assert topic["question"]["id"] == q1
    assert [p["id"] for p in topic["posts"]] == [kept["id"]]
    assert gone["id"] not in str(transcript) and under_gone["id"] not in str(transcript)


async def test_a_signed_in_reader_sees_on_the_page_what_they_may_see_and_the_files_stay_public(node):
    from tests.pages.test_web_forms import signed_in

    alice, carol, dave = [await node.person(n) for n in ("alice", "carol", "dave")]
    await dave.post(f"/api/v1/accounts/{carol.id}/follow")  # dave follows carol; alice does not
    async with node.rt.db.write() as conn:
        chat_id = await insert_chat(conn, account_id=int(alice.id), created_by_id=int(alice.id), hashtag="TalkTech",
                                    title="Talk Tech", starts_at=time.time() - 1, ends_at=time.time() + 600,
                                    recurrence=None, topics=[("One?", time.time() - 1)])
    await carol.post_status("Public answer #TalkTech")
    await carol.post_status("Followers only #TalkTech", visibility="private")
    paths = [f"/chats/{chat_id}", f"/chats/{chat_id}/transcript"]
    files = [f"/chats/{chat_id}/transcript.json", f"/chats/{chat_id}/transcript.md"]

    async def seen(path: str) -> str:
        response = await node.client.get(path)
        assert response.status == 200
        return await response.text()
    # Anonymous, and signed in as alice (who does not follow carol): the public post only
    for who in (None, "alice"):
        if who:
            await signed_in(node, who)
        for path in paths + files:
            text = await seen(path)
            assert "Public answer" in text and "Followers only" not in text, (who, path)
    # Signed in as dave, who follows carol: the page and the HTML transcript show her followers-only
    # post (visible_to, as everywhere); the files anyone may copy do not
    node.client.session.cookie_jar.clear()
    await signed_in(node, "dave")
    for path in paths:
        assert "Followers only" in await seen(path), path
    for path in files:
        assert "Followers only" not in await seen(path) and "Public answer" in await seen(path), path


async def test_the_host_edits_what_is_to_come_and_one_weeks_questions(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    chat = await create(alice, recurrence="weekly")
    path = f"/api/v1/chats/{chat['id']}"
    start = float(int(time.time()) + 7200)
    new = {"title": "Talk Tech, again", "starts_at": iso(start + 0.25), "ends_at": iso(start + 3600),
           "topics": ["Uno?", {"text": "Dos?"}]}
    await chats_uc.run_due(node.rt)  # its announcement is out
    # Only the host changes it; a bad change is a 422 as a bad new chat is
    assert (await carol.put(path, json=new)).status == 403
    assert (await alice.put(path, json={**new, "ends_at": iso(start - 60)})).status == 422
    # When alice gives it a new title, window and questions
    response = await alice.put(path, json=new)
    assert response.status == 200, await response.text()
    edited = await response.json()
    # Then they are what she gave, the times to the whole second, and the queue asks the new questions
    assert edited["title"] == "Talk Tech, again" and [t["text"] for t in edited["topics"]] == ["Uno?", "Dos?"]
    opens = [datetime.fromisoformat(t["starts_at"].replace("Z", "+00:00")).timestamp() for t in edited["topics"]]
    assert opens == [start + 1, start + 1 + 1800]  # 0.25 s past a second: rounded up
    async with node.rt.db.read() as conn:
        pending = (await conn.execute(select(chat_jobs.c.kind, chat_jobs.c.next_attempt_at).where(
            chat_jobs.c.chat_id == int(chat["id"]), chat_jobs.c.state == "pending"))).all()
    assert sorted(at for kind, at in pending if kind == "question") == opens
    # and the announcement, edited, says so
    announced = await (await node.client.get(f"/api/v1/statuses/{edited['announcement_status_id']}")).json()
    assert "Talk Tech, again" in announced["content"] and "Uno?" in announced["content"] and announced["edited_at"]
    assert [kind for kind, _ in pending].count("reminder") == 1 and [k for k, _ in pending].count("next") == 1
    # When question 1 has been asked, and she rewords question 2 for this week only (PATCH)
    async with node.rt.db.read() as conn:
        first, second = (await chat_store.get(conn, int(chat["id"]))).topics
    await run_jobs(node, kind="question", topic_id=first.id)
    asked = await alice.patch(path, json={"topics": [{"position": 1, "text": "Too late?"}]})
    assert asked.status == 422 and "asked already" in (await asked.json())["error"]
    assert (await carol.patch(path, json={"topics": [{"position": 2, "text": "Mine?"}]})).status == 403
    response = await alice.patch(path, json={"topics": [{"position": 2, "text": "Dos, this week?"}]})
    assert response.status == 200, await response.text()
    assert [t["text"] for t in (await response.json())["topics"]] == ["Uno?", "Dos, this week?"]
    # Then next week asks the series' questions again
    await run_jobs(node, kind="next")
    following = [c for c in await (await node.client.get("/api/v1/chats")).json() if c["occurrence"] == 2]
    assert [t["text"] for t in following[0]["topics"]] == ["Uno?", "Dos?"]
    # and once a chat has started, PUT is refused (its questions not yet asked are PATCHed)
    async with node.rt.db.write() as conn:
        await conn.execute(update(chats).where(chats.c.id == int(chat["id"])).values(starts_at=time.time() - 1))
    started = await alice.put(path, json=new)
    assert started.status == 422 and "PATCH" in (await started.json())["error"]


@SQLITE_ONLY
async def test_a_series_feed_costs_the_same_statements_however_many_weeks(node):
    alice, carol = await node.person("alice"), await node.person("carol")
    now = time.time()
    async with node.rt.db.write() as conn:
        first = await insert_chat(conn, account_id=int(alice.id), created_by_id=int(alice.id), hashtag="Weekly",
                                  title="Weekly", starts_at=now - 1, ends_at=now + 600, recurrence="weekly",
                                  topics=[("One?", now - 1)])
    await carol.post_status("In week 1 #Weekly")

    async def feed() -> tuple[int, list[str]]:
        response = await node.client.get(f"/chats/{first}/series.rss")
        assert response.status == 200
        items = ElementTree.fromstring(await response.read()).findall("./channel/item")
        return int(response.headers["X-Statement-Count"]), [i.findtext("description") for i in items]

    async def week(n: int) -> None:  # the week before, ended (as the queue's "next" makes them)
        async with node.rt.db.write() as conn:
            await conn.execute(update(chats).where(chats.c.series_id == first).values(
                starts_at=chats.c.starts_at + 7 * 24 * 3600, ends_at=chats.c.ends_at + 7 * 24 * 3600))
            await insert_chat(conn, account_id=int(alice.id), created_by_id=int(alice.id), hashtag="Weekly",
                              title="Weekly", starts_at=now - 1, ends_at=now + 600, recurrence="weekly",
                              topics=[("One?", now - 1)], series_id=first, occurrence=n)

    # Make the first week end; each later week has a post of its own
    async with node.rt.db.write() as conn:
        await conn.execute(update(chats).where(chats.c.id == first).values(ends_at=time.time()))
    one, [described] = await feed()
    assert described.startswith("<p>1 posts by 1 people.")
    for n in (2, 3, 4):
        await week(n)
    async with node.rt.db.write() as conn:  # weeks 2-4 end now too (windows stay apart: a week each)
        await conn.execute(update(chats).where(chats.c.series_id == first, chats.c.ends_at > time.time())
                           .values(ends_at=time.time()))
    many, described = await feed()
    assert len(described) == 4 and many == one, (one, many)


# Names a hostile server gives its actors so that "@name@its.host", as the host's direct reminder
# writes it, mentions someone else: a local person (bob), another server's (ceo@victim.test).
HOSTILE_NAMES = ("bob,", "x,@bob,", "bob:", "x)@bob)", "x\u00a0@bob\u00a0", "bob\n", "ceo@victim.test,", "x @bob ",
                 "bob@acme.test,", "bob\u200b")


@SQLITE_ONLY
async def test_a_remote_attendees_name_never_makes_the_host_message_someone_else(node):
    from federation import as2, deref
    from models.schema import mentions

    alice, bob = await node.person("alice"), await node.person("bob")
    chat = await create(alice, start_in=3600)
    await chats_uc.run_due(node.rt)  # the announcement

    def actor(n: int, name: str) -> dict:
        return {"id": f"http://evil.test/users/{n}", "type": "Person", "preferredUsername": name,
                "inbox": f"http://evil.test/users/{n}/inbox"}

    refused = []
    for n, name in enumerate(HOSTILE_NAMES):
        try:  # refused where every remote actor comes in (as Mastodon refuses such usernames)
            values = as2.actor_values(actor(n, name))
        except as2.InvalidDocument:
            refused.append(name)
            continue
        # were it kept, this RSVP's reminder would be a direct message to bob (or victim.test's ceo)
        await chats_uc.attend(node.rt, await deref.store_actor(node.rt, values), int(chat["id"]))
    ann = await deref.store_actor(node.rt, as2.actor_values(actor(99, "ann.lee-2")))  # dots and dashes are fine
    await chats_uc.attend(node.rt, ann, int(chat["id"]))
    await run_jobs(node, kind="reminder")
    await run_jobs(node, kind="remind")
    async with node.rt.db.read() as conn:
        named = set((await conn.execute(select(mentions.c.account_id).join(
            statuses, statuses.c.id == mentions.c.status_id).where(
            statuses.c.account_id == int(alice.id), statuses.c.visibility == "direct"))).scalars())
        told = (await conn.execute(select(func.count()).select_from(notifications).where(
            notifications.c.account_id == int(bob.id)))).scalar_one()
    assert (named, told, refused) == ({ann.id}, 0, list(HOSTILE_NAMES))


@SQLITE_ONLY
async def test_someone_the_host_blocked_cannot_rsvp_for_the_reminder(node):
    from federation import as2, deref

    alice, carol = await node.person("alice"), await node.person("carol")
    chat = await create(alice)
    mallory, eve = [await deref.store_actor(node.rt, as2.actor_values(
        {"id": f"http://{host}/users/{name}", "type": "Person", "preferredUsername": name,
         "inbox": f"http://{host}/users/{name}/inbox"})) for name, host in (("mallory", "evil.test"), ("eve", "spam.test"))]
    await chats_uc.attend(node.rt, mallory, int(chat["id"]))  # before alice blocks her
    assert (await alice.post(f"/api/v1/accounts/{carol.id}/block")).status == 200
    assert (await alice.post(f"/api/v1/accounts/{mallory.id}/block")).status == 200
    assert (await alice.post("/api/v1/domain_blocks", data={"domain": "spam.test"})).status == 200
    assert (await carol.post(f"/api/v1/chats/{chat['id']}/rsvp")).status == 404
    for remote in (mallory, eve):  # what the inbox's RSVP (Join, Accept…) calls
        with pytest.raises(NotFound):
            await chats_uc.attend(node.rt, remote, int(chat["id"]))
    await chats_uc.run_due(node.rt)  # the announcement
    await run_jobs(node, kind="reminder")
    await run_jobs(node, kind="remind")
    async with node.rt.db.read() as conn:
        assert await chat_store.rsvp_ids(conn, int(chat["id"])) == [mallory.id]
        direct = (await conn.execute(select(func.count()).select_from(statuses).where(
            statuses.c.account_id == int(alice.id), statuses.c.visibility == "direct"))).scalar_one()
    assert direct == 0  # mallory's RSVP from before the block brings her no message either


@SQLITE_ONLY
async def test_one_server_rsvps_at_most_so_many_people_to_a_chat(node):
    # Each remote attendee gets a direct reminder from the host: one server's made-up actors would
    # otherwise have the host post as many as it likes
    from federation import as2, deref

    node.rt.config = dataclasses.replace(node.rt.config, chat_rsvps_per_server=3)
    alice = await node.person("alice")
    chat = await create(alice)

    async def actor(host: str, n: int):  # noqa: ANN202
        return await deref.store_actor(node.rt, as2.actor_values(
            {"id": f"http://{host}/users/u{n}", "type": "Person", "preferredUsername": f"u{n}",
             "inbox": f"http://{host}/users/u{n}/inbox"}))

    fakes = [await actor("evil.test", n) for n in range(5)]
    for fake in fakes[:3]:
        await chats_uc.attend(node.rt, fake, int(chat["id"]))
    for fake in fakes[3:]:
        with pytest.raises(Unprocessable):
            await chats_uc.attend(node.rt, fake, int(chat["id"]))
    await chats_uc.attend(node.rt, fakes[0], int(chat["id"]))  # saying it again is fine
    await chats_uc.attend(node.rt, await actor("partner.test", 1), int(chat["id"]))  # another server's count
    async with node.rt.db.read() as conn:
        assert len(await chat_store.rsvp_ids(conn, int(chat["id"]))) == 4
