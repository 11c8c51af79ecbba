"""A hashtag chat run end to end on two real nodes, watched in headless Chromium.

alice@acme.test hosts #TalkTech: three questions over a 30-second window (the nodes allow chats
that short). carol (acme) said she would attend; bob (globex.test) follows alice, and alice follows
him, so his posts reach acme. The reminder reaches carol before the start as a notification; each
question is posted at its time by alice's account; posts from both nodes appear on the live page as
they arrive; the transcript has exactly the posts inside the window, under their topics.
"""
from __future__ import annotations

import re
import time

import pytest

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, post_signed
from tests.rig.http import api, get_json
from tests.api.conftest import PASSWORD
from tests.rig.chromium import chromium, require_chromium
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test"]
LEAD, WINDOW, REMINDER = 10.0, 30.0, 6.0  # seconds: start after creation, length, reminder before start
ENV = {"BACKCHANNEL_CHAT_MIN_WINDOW_SECONDS": "30", "BACKCHANNEL_CHAT_REMINDER_SECONDS": str(REMINDER),
       "BACKCHANNEL_CHAT_POLL_SECONDS": "0.3"}

sync_api = require_chromium()


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def events():
    """A server of people who RSVP as Mobilizon and Friendica do (tests.rig.fake_remote)."""
    server = FakeRemote("events.test").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, events):
    cluster = start_cluster(DOMAINS, tmp_path_factory.mktemp("chat"), extra_env=ENV,
                            also_resolve={"events.test": events.port})
    yield cluster
    for node in cluster.values():
        node.stop()


@pytest.fixture(scope="module")
def tokens(nodes):
    """Made before the browser starts: Playwright's loop would stop make_people's asyncio.run."""
    made = make_people(nodes["acme.test"], ["alice", "carol", "dave"], password=PASSWORD)
    return made | make_people(nodes["globex.test"], ["bob"])


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as browser:
        yield browser


def until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def rsvp(node, actor, kind: str, chat_url: str, *, invite: bool = False) -> dict:  # noqa: ANN001
    """`actor` on another server answers the chat's Event as its software does: Mobilizon's Join and
    Leave; Friendica's Accept, TentativeAccept and Reject of the Event (Zap's: of an Invite of it)."""
    obj = {"type": "Invite", "actor": f"http://{node.domain}/users/alice", "object": chat_url} if invite else chat_url
    activity = {"@context": AS_CONTEXT, "id": f"{actor.uri}/rsvp/{time.time_ns()}", "type": kind,
                "actor": actor.uri, "object": obj}
    status, text = post_signed(node.base, node.domain, "/inbox", activity, actor)
    assert status == 202, text
    return activity


def test_a_chat_runs_itself_across_two_nodes(nodes, tokens, browser, tmp_path, events):
    acme, globex = nodes["acme.test"], nodes["globex.test"]
    alice, carol, dave = (acme.mastodon(tokens[n]) for n in ("alice", "carol", "dave"))
    bob = globex.mastodon(tokens["bob"])
    # Given bob on globex follows alice, and alice follows bob (so his posts reach acme)
    bob.account_follow(bob.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0].id)
    bob_at_acme = alice.search("bob@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(bob_at_acme.id)
    eventually(lambda: alice.account_relationships(bob_at_acme.id)[0].following, message="alice follows bob")
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="bob follows alice")

    # When alice schedules a chat with three questions, the window split evenly between them
    created = time.time()
    starts, ends = created + LEAD, created + LEAD + WINDOW
    status, chat = api(acme.base, tokens["alice"], "POST", "/api/v1/chats", {
        "hashtag": "TalkTech", "title": "Talk Tech", "starts_at": iso(starts), "ends_at": iso(ends),
        "topics": ["What did you learn this week?", "What slowed you down?", "What will you try next?"]})
    assert status == 200, chat
    chat_id = chat["id"]
    opens = [epoch(t["starts_at"]) for t in chat["topics"]]
    starts, ends = epoch(chat["starts_at"]), epoch(chat["ends_at"])  # stored to the whole second
    assert starts == int(starts) and [o - starts for o in opens] == [0, 10, 20]
    # and carol says she will attend
    status, seen = api(acme.base, tokens["carol"], "POST", f"/api/v1/chats/{chat_id}/rsvp")
    assert status == 200 and seen["attending"] and seen["attendees_count"] == 1

    # and it is an ActivityPub Event at its page's address, which people on other servers answer
    status, event = get_json(f"{acme.base}/chats/{chat_id}", accept="application/activity+json")
    assert status == 200 and event["type"] == "Event" and event["id"] == chat["url"] == event["url"]
    assert (event["name"], event["attributedTo"]) == ("Talk Tech", "http://acme.test/users/alice")
    assert (epoch(event["startTime"]), epoch(event["endTime"])) == (starts, ends)
    assert [(t["type"], t["name"]) for t in event["tag"]] == [("Hashtag", "#TalkTech")]
    mo, fri, zap, gone = (events.add_actor(n) for n in ("mo", "fri", "zap", "gone"))

    def delivered(actor, kind: str) -> list[dict]:  # noqa: ANN001
        return [r.body for r in events.received if r.body.get("type") == kind and actor.uri in str(r.body.get("to"))]

    join = rsvp(acme, mo, "Join", chat["url"])  # Mobilizon
    rsvp(acme, fri, "TentativeAccept", chat["url"])  # Friendica's "maybe"
    rsvp(acme, zap, "Accept", chat["url"], invite=True)  # Zap/Streams: Accept{Invite{Event}}
    rsvp(acme, gone, "Accept", chat["url"])
    rsvp(acme, gone, "Reject", chat["url"])  # changed their mind
    undo = rsvp(acme, gone, "Join", chat["url"])
    status, text = post_signed(acme.base, "acme.test", "/inbox", {
        "@context": AS_CONTEXT, "id": f"{undo['id']}/undo", "type": "Undo", "actor": gone.uri, "object": undo}, gone)
    assert status == 202, text  # and again, taken back with an Undo
    # (gone's Join was applied once it is accepted; the Undo after it, once they are four again)
    eventually(lambda: delivered(gone, "Accept") and
               get_json(f"{acme.base}/api/v1/chats/{chat_id}")[1]["attendees_count"] == 4,
               message="carol and three people elsewhere")

    # Then it is announced by alice, with the calendar link
    announced = eventually(lambda: get_json(f"{acme.base}/api/v1/chats/{chat_id}")[1]["announcement_status_id"],
                           message="the announcement")
    announcement = alice.status(announced)
    assert f"/chats/{chat_id}.ics" in announcement.content and "TalkTech" in announcement.content
    # and, on the wire, it carries the chat's Event as an object link (FEP-e232)
    note = get_json(announcement.uri.replace("http://acme.test", acme.base), accept="application/activity+json")[1]
    assert {"type": "Link", "href": chat["url"]}.items() <= next(t for t in note["tag"] if t["type"] == "Link").items()

    # When a visitor opens the live page before the start
    context = browser.new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" or "Refused" in m.text else None)
    page.goto(f"{acme.base}/chats/{chat_id}")
    assert page.locator("h1").inner_text().startswith("Talk Tech")
    page.wait_for_selector("#chat.streaming")
    # and alice, signed in on the web, opens it too
    mine = browser.new_context()
    alices = mine.new_page()
    alices.goto(f"{acme.base}/auth/sign_in?next=/chats/{chat_id}")
    alices.get_by_label("Username or e-mail").fill("alice")
    alices.get_by_label("Password").fill(PASSWORD)
    alices.get_by_role("button", name="Sign in").click()
    alices.wait_for_selector("#chat.streaming")
    early = carol.status_post("Warming up for #TalkTech")  # before the window: not in it

    # Then the reminder reaches carol before the start, as a notification her app shows
    reminder = eventually(lambda: next((n for n in carol.notifications() if n.type == "status"), None),
                          timeout=WINDOW, interval=0.3, message="carol's reminder")
    assert reminder.created_at.timestamp() < starts
    assert reminder.account.acct == "alice" and f"/chats/{chat_id}" in reminder.status.content

    # and each attendee on another server gets it as a direct message from alice (notifications do not
    # cross servers), and Mobilizon's Join is accepted as Mobilizon expects
    for person in (mo, fri, zap):
        [dm] = eventually(lambda: delivered(person, "Create"), message=f"{person.username}'s reminder")
        assert dm["object"]["tag"][0]["href"] == person.uri and f"/chats/{chat_id}" in dm["object"]["content"]
        assert dm["object"]["to"] == [person.uri] and dm["actor"] == "http://acme.test/users/alice"
    assert not delivered(gone, "Create")
    [accepted] = eventually(lambda: delivered(mo, "Accept"), message="the Accept of mo's Join")
    assert accepted["object"]["id"] == join["id"]

    # And each question is posted by alice at its time
    def question(position: int) -> dict:
        def posted():  # noqa: ANN202
            topic = get_json(f"{acme.base}/api/v1/chats/{chat_id}")[1]["topics"][position - 1]
            return topic["status_id"] and alice.status(topic["status_id"])
        q = eventually(posted, timeout=WINDOW, interval=0.3, message=f"question {position}")
        # never early, and while its own topic is open (the next one opens 10 s later)
        assert opens[position - 1] <= q.created_at.timestamp() < (opens + [ends])[position]
        assert q.content.startswith(f"<p>Q{position}:") and [t.name for t in q.tags] == ["talktech"]
        return q

    # Each topic's posts are made as soon as its question is out (nothing slow in between: the waits
    # for federation and for the page come after), so they are written while their topic is open.
    q1 = question(1)
    a1 = carol.status_post("Tests that run real nodes #TalkTech", in_reply_to_id=q1.id)
    hidden = carol.status_post("Followers only #TalkTech", visibility="private")
    removed = dave.status_post("Soon removed by a moderator #TalkTech")
    # bob answers carol across nodes (his reply is nested under her post)
    a1_at_globex = bob.search(a1.uri, resolve=True, result_type="statuses").statuses[0]
    b1 = bob.status_post("@carol@acme.test Browsers as test rigs #TalkTech", in_reply_to_id=a1_at_globex.id)
    q2 = question(2)
    # bob writes in topic 2's first second or so: his post's `published` is to the second, and the
    # topic opens on a whole second, so it is placed under topic 2 (it once read as topic 1's)
    b2 = bob.status_post("Flaky clocks #TalkTech")
    b2_private = bob.status_post("Only for my followers #TalkTech", visibility="private")  # alice follows bob
    q3 = question(3)
    c3 = carol.status_post("Fewer sleeps in tests #TalkTech")

    def at_acme(post):  # noqa: ANN001, ANN202
        return eventually(lambda: next((s for s in carol.timeline_hashtag("talktech") if s.uri == post.uri), None),
                          message=f"bob's post {post.uri} at acme")
    b1_here, b2_here = at_acme(b1), at_acme(b2)
    # Then the live page shows them as they arrive, under their topics (bob's reply under carol's post)
    for topic, post in ((1, a1), (2, b2_here), (3, c3)):
        page.wait_for_selector(f"#topic-{topic} #post-{post.id}", timeout=30000)
    page.wait_for_selector(f"#topic-1 #post-{a1.id} ol.replies #post-{b1_here.id}", timeout=30000)
    assert page.locator(f"#post-{hidden.id}").count() == 0
    # and alice's page, read as her, also shows bob's followers-only post as it arrives (her home stream)
    private_here = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == b2_private.uri), None),
                              message="bob's followers-only post at acme")
    alices.wait_for_selector(f"#topic-2 #post-{private_here.id}", timeout=30000)
    assert page.locator(f"#post-{private_here.id}").count() == 0
    acme.cli("account", "suspend", "dave")
    page.screenshot(path=str(tmp_path / "chat-live.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    context.close()

    until(ends + 0.5)
    # alice's transcript page has bob's followers-only post; the files anyone may copy do not (below)
    alices.goto(f"{acme.base}/chats/{chat_id}/transcript")
    assert alices.locator(f"#topic-2 #post-{private_here.id}").count() == 1
    mine.close()
    late = carol.status_post("Missed it, sorry #TalkTech")

    # Then the transcript lists exactly the posts inside the window, under the right topics
    status, transcript = get_json(f"{acme.base}/chats/{chat_id}/transcript.json")
    assert status == 200

    def tree(posts: list[dict]) -> list:
        # Remote posts carry their `published` time to the second: near-simultaneous ones may swap.
        return sorted((p["id"], tree(p["replies"])) for p in posts)
    assert [t["position"] for t in transcript["topics"]] == [1, 2, 3]
    assert [t["question"]["id"] for t in transcript["topics"]] == [str(q1.id), str(q2.id), str(q3.id)]
    assert tree(transcript["topics"][0]["posts"]) == [(str(a1.id), [(str(b1_here.id), [])])]
    assert tree(transcript["topics"][1]["posts"]) == [(str(b2_here.id), [])]
    assert tree(transcript["topics"][2]["posts"]) == [(str(c3.id), [])]
    everything = str(transcript)
    for left_out in (early, hidden, removed, late, private_here):
        assert str(left_out.id) not in everything
    assert {p["account"] for p in transcript["participants"]} == {"@carol@acme.test", "@bob@globex.test"}
    # and the HTML and Markdown transcripts say the same
    markdown = get_json(f"{acme.base}/chats/{chat_id}/transcript.md", accept="text/markdown")[1]["_text"]
    sections = markdown.split("\n## ")
    first = next(part for part in sections if part.startswith("1. What did you learn this week?"))
    assert "Tests that run real nodes" in first and "Browsers as test rigs" in first
    assert "\n  - **@bob@globex.test**" in first  # bob's reply, nested under carol's post
    assert "Flaky clocks" in next(part for part in sections if part.startswith("2. "))
    assert "Missed it" not in markdown and "Warming up" not in markdown
