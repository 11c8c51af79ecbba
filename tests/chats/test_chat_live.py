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

from tests.rig.http import api, get_json
from tests.rig.chromium import chromium, require_chromium
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test"]
LEAD, WINDOW, REMINDER = 8.0, 30.0, 4.0  # seconds: start after creation, length, reminder before start
ENV = {"BACKCHANNEL_CHAT_MIN_WINDOW_SECONDS": "30", "BACKCHANNEL_CHAT_REMINDER_SECONDS": str(REMINDER),
       "BACKCHANNEL_CHAT_POLL_SECONDS": "0.3"}

sync_api = require_chromium()


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    cluster = start_cluster(DOMAINS, tmp_path_factory.mktemp("chat"), extra_env=ENV)
    yield cluster
    for node in cluster.values():
        node.stop()


@pytest.fixture(scope="module")
def tokens(nodes):
    """Made before the browser starts: Playwright's loop would stop make_people's asyncio.run."""
    made = make_people(nodes["acme.test"], ["alice", "carol", "dave"])
    return made | make_people(nodes["globex.test"], ["bob"])


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as browser:
        yield browser


def until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def test_a_chat_runs_itself_across_two_nodes(nodes, tokens, browser, tmp_path):
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
    assert [round(o - starts) for o in opens] == [0, 10, 20]
    # and carol says she will attend
    status, seen = api(acme.base, tokens["carol"], "POST", f"/api/v1/chats/{chat_id}/rsvp")
    assert status == 200 and seen["attending"] and seen["attendees_count"] == 1

    # Then it is announced by alice, with the calendar link
    announced = eventually(lambda: get_json(f"{acme.base}/api/v1/chats/{chat_id}")[1]["announcement_status_id"],
                           message="the announcement")
    announcement = alice.status(announced)
    assert f"/chats/{chat_id}.ics" in announcement.content and "TalkTech" in announcement.content

    # When a visitor opens the live page before the start
    context = browser.new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" or "Refused" in m.text else None)
    page.goto(f"{acme.base}/chats/{chat_id}")
    assert page.locator("h1").inner_text().startswith("Talk Tech")
    page.wait_for_selector("#chat.streaming")
    early = carol.status_post("Warming up for #TalkTech")  # before the window: not in it

    # Then the reminder reaches carol before the start, as a notification her app shows
    reminder = eventually(lambda: next((n for n in carol.notifications() if n.type == "status"), None),
                          timeout=LEAD, interval=0.3, message="carol's reminder")
    assert time.time() < starts and reminder.created_at.timestamp() < starts
    assert reminder.account.acct == "alice" and f"/chats/{chat_id}" in reminder.status.content

    # And each question is posted by alice at its time
    def question(position: int) -> dict:
        def posted():  # noqa: ANN202
            topic = get_json(f"{acme.base}/api/v1/chats/{chat_id}")[1]["topics"][position - 1]
            return topic["status_id"] and alice.status(topic["status_id"])
        q = eventually(posted, timeout=WINDOW, interval=0.3, message=f"question {position}")
        assert opens[position - 1] - 0.5 <= q.created_at.timestamp() <= opens[position - 1] + 3
        assert q.content.startswith(f"<p>Q{position}:") and [t.name for t in q.tags] == ["talktech"]
        return q

    q1 = question(1)
    a1 = carol.status_post("Tests that run real nodes #TalkTech", in_reply_to_id=q1.id)
    hidden = carol.status_post("Followers only #TalkTech", visibility="private")
    removed = dave.status_post("Soon removed by a moderator #TalkTech")
    # A remote post's time arrives to the second (its `published`): one written in the topic's first
    # second could read as before it opened (a known limit, in the note), so bob waits it out.
    time.sleep(max(0.0, opens[0] + 1.2 - time.time()))
    b1 = bob.status_post("Browsers as test rigs #TalkTech")
    b1_here = eventually(lambda: next((s for s in carol.timeline_hashtag("talktech") if s.uri == b1.uri), None),
                         message="bob's post at acme")
    reply = carol.status_post("@bob@globex.test same here #TalkTech", in_reply_to_id=b1_here.id)
    # Then the live page shows them as they arrive, under the first topic (carol's reply under bob's)
    for post in (a1, b1_here):
        page.wait_for_selector(f"#topic-1 #post-{post.id}", timeout=30000)
    page.wait_for_selector(f"#topic-1 #post-{b1_here.id} ol.replies #post-{reply.id}", timeout=30000)
    assert page.locator(f"#post-{hidden.id}").count() == 0
    acme.cli("account", "suspend", "dave")

    q2 = question(2)
    b2 = bob.status_post("Flaky clocks #TalkTech")
    b2_here = eventually(lambda: next((s for s in carol.timeline_hashtag("talktech") if s.uri == b2.uri), None),
                         message="bob's second post at acme")
    page.wait_for_selector(f"#topic-2 #post-{b2_here.id}", timeout=30000)
    q3 = question(3)
    c3 = carol.status_post("Fewer sleeps in tests #TalkTech")
    page.wait_for_selector(f"#topic-3 #post-{c3.id}", timeout=30000)
    page.screenshot(path=str(tmp_path / "chat-live.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    context.close()

    until(ends + 0.5)
    late = carol.status_post("Missed it, sorry #TalkTech")

    # Then the transcript lists exactly the posts inside the window, under the right topics
    status, transcript = get_json(f"{acme.base}/chats/{chat_id}/transcript.json")
    assert status == 200

    def tree(posts: list[dict]) -> list:
        # Remote posts carry their `published` time to the second: near-simultaneous ones may swap.
        return sorted((p["id"], tree(p["replies"])) for p in posts)
    assert [t["position"] for t in transcript["topics"]] == [1, 2, 3]
    assert [t["question"]["id"] for t in transcript["topics"]] == [str(q1.id), str(q2.id), str(q3.id)]
    assert tree(transcript["topics"][0]["posts"]) == sorted([(str(a1.id), []), (str(b1_here.id), [(str(reply.id), [])])])
    assert tree(transcript["topics"][1]["posts"]) == [(str(b2_here.id), [])]
    assert tree(transcript["topics"][2]["posts"]) == [(str(c3.id), [])]
    everything = str(transcript)
    for left_out in (early, hidden, removed, late):
        assert str(left_out.id) not in everything
    assert {p["account"] for p in transcript["participants"]} == {"@carol@acme.test", "@bob@globex.test"}
    # and the HTML and Markdown transcripts say the same
    markdown = get_json(f"{acme.base}/chats/{chat_id}/transcript.md", accept="text/markdown")[1]["_text"]
    sections = markdown.split("\n## ")
    first = next(part for part in sections if part.startswith("1. What did you learn this week?"))
    assert "Tests that run real nodes" in first and "Browsers as test rigs" in first
    assert "\n  - **@carol@acme.test**" in first and "same here" in first  # the reply, nested
    assert "Flaky clocks" in next(part for part in sections if part.startswith("2. "))
    assert "Missed it" not in markdown and "Warming up" not in markdown
