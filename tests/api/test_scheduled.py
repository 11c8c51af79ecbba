"""Scheduled statuses, and the Idempotency-Key of posting."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from models.schema import idempotency_keys, scheduled_statuses
from social import scheduled as scheduled_uc


def later(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def test_schedule_list_reschedule_and_delete(node):
    alice = await node.person("alice")
    # When a post has scheduled_at, a ScheduledStatus comes back and nothing is posted
    response = await alice.post("/api/v1/statuses", json={
        "status": "later on", "scheduled_at": later(10), "visibility": "unlisted", "spoiler_text": "cw",
        "language": "en"})
    assert response.status == 200, await response.text()
    item = await response.json()
    assert set(item) == {"id", "scheduled_at", "params", "media_attachments"}
    assert item["params"]["text"] == "later on" and item["params"]["visibility"] == "unlisted"
    assert item["params"]["spoiler_text"] == "cw" and item["params"]["language"] == "en"
    assert item["params"]["poll"] is None and item["media_attachments"] == []
    assert await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json() == []

    listed = await (await alice.get("/api/v1/scheduled_statuses")).json()
    assert [i["id"] for i in listed] == [item["id"]]
    assert await (await alice.get(f"/api/v1/scheduled_statuses/{item['id']}")).json() == item

    moved = await (await alice.put(f"/api/v1/scheduled_statuses/{item['id']}",
                                   json={"scheduled_at": later(60)})).json()
    assert moved["scheduled_at"] > item["scheduled_at"]
    too_soon = await alice.put(f"/api/v1/scheduled_statuses/{item['id']}", json={"scheduled_at": later(1)})
    assert too_soon.status == 422

    # Others cannot see or touch it
    bob = await node.person("bob")
    assert (await bob.get(f"/api/v1/scheduled_statuses/{item['id']}")).status == 404
    assert (await bob.delete(f"/api/v1/scheduled_statuses/{item['id']}")).status == 404
    assert await (await bob.get("/api/v1/scheduled_statuses")).json() == []

    assert (await alice.delete(f"/api/v1/scheduled_statuses/{item['id']}")).status == 200
    assert (await alice.get(f"/api/v1/scheduled_statuses/{item['id']}")).status == 404


async def test_too_soon_or_garbage_times_are_422(node):
    alice = await node.person("alice")
    for when in (later(2), later(-10), "tomorrow"):
        response = await alice.post("/api/v1/statuses", json={"status": "x", "scheduled_at": when})
        assert response.status == 422 and "error" in await response.json()
    reader = await node.person("reader", scopes="read")
    assert (await reader.post("/api/v1/statuses", json={"status": "x", "scheduled_at": later(10)})).status == 403
    assert (await node.client.get("/api/v1/scheduled_statuses")).status == 401


async def test_due_scheduled_status_is_published(node):
    alice = await node.person("alice")
    first = await alice.post_status("the question")
    item = await (await alice.post("/api/v1/statuses", json={
        "status": "the answer", "scheduled_at": later(6), "in_reply_to_id": first["id"],
        "poll": {"options": ["yes", "no"], "expires_in": 3600}})).json()
    assert item["params"]["poll"]["options"] == ["yes", "no"]
    async with node.rt.db.write() as conn:  # time passes
        await conn.execute(update(scheduled_statuses).values(scheduled_at=time.time() - 1))
    await scheduled_uc.publish_due(node.rt)

    listed = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    answer = next(s for s in listed if "the answer" in s["content"])
    assert answer["in_reply_to_id"] == first["id"]
    assert [o["title"] for o in answer["poll"]["options"]] == ["yes", "no"]
    assert await (await alice.get("/api/v1/scheduled_statuses")).json() == []
    await scheduled_uc.publish_due(node.rt)  # published once only
    listed = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert len(listed) == 2


async def test_idempotency_key_posts_once(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    headers = {**alice.headers(), "Idempotency-Key": "abc-123"}
    first = await (await node.client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)).json()
    second = await (await node.client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)).json()
    assert first["id"] == second["id"]
    other = await (await node.client.post("/api/v1/statuses", json={"status": "once"},
                                          headers={**bob.headers(), "Idempotency-Key": "abc-123"})).json()
    assert other["id"] != first["id"]
    listed = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert len(listed) == 1

    # An hour later the key is free again
    async with node.rt.db.write() as conn:
        await conn.execute(update(idempotency_keys).values(created_at=time.time() - 3601))
    third = await (await node.client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)).json()
    assert third["id"] != first["id"]
    fourth = await (await node.client.post("/api/v1/statuses", json={"status": "once"}, headers=headers)).json()
    assert fourth["id"] == third["id"]


def test_mastodon_py_against_a_real_node(tmp_path):
    """Mastodon.py on a `backchannel serve` process: scheduling, history, filters v2 and markers."""
    from tests.rig.clients import mastodon_py
    from tests.rig.nodes import Node, eventually, free_port

    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme").start()
    try:
        node.create_user("alice")
        alice = mastodon_py(node, node.token("alice"))

        item = alice.status_post("see you later", scheduled_at=datetime.now(timezone.utc) + timedelta(minutes=10))
        assert item.params.text == "see you later"
        assert [s.id for s in alice.scheduled_statuses()] == [item.id]
        moved = alice.scheduled_status_update(item.id, datetime.now(timezone.utc) + timedelta(hours=2))
        assert moved.scheduled_at > item.scheduled_at
        alice.scheduled_status_delete(item.id)
        assert alice.scheduled_statuses() == []

        posted = alice.status_post("first words")
        alice.status_update(posted.id, "second words")
        history = alice.status_history(posted.id)
        assert ["first words" in h.content for h in history] == [True, False]
        assert "second words" in history[-1].content

        made = alice.create_filter_v2("Words", ["home"], filter_action="warn",
                                      keywords_attributes=[{"keyword": "words", "whole_word": True}])
        assert [k.keyword for k in made.keywords] == ["words"]
        assert [f.id for f in alice.filters_v2()] == [made.id]
        node.create_user("bob")
        bob = mastodon_py(node, node.token("bob"))
        alice.account_follow(alice.account_lookup("bob").id)
        theirs = bob.status_post("kind words")  # one's own posts are never filtered
        home = eventually(lambda: [s for s in alice.timeline_home() if s.id == theirs.id], message="bob's post")
        assert home[0].filtered[0].keyword_matches == ["words"]
        alice.delete_filter_v2(made.id)

        saved = alice.markers_set(["home", "notifications"], [posted.id, "1"])
        assert saved.home.last_read_id == posted.id
        assert alice.markers_get(["home"]).home.last_read_id == posted.id
    finally:
        node.stop()


async def test_a_crash_between_publishing_and_removing_posts_once(node):
    """The lease records the status id before publishing; published again after a crash, the same
    id is recognised, so the post appears once — and is never lost."""
    from models import scheduled as scheduled_store

    alice = await node.person("alice")
    response = await alice.post("/api/v1/statuses", json={"status": "exactly once", "scheduled_at": later(10)})
    item_id = int((await response.json())["id"])
    async with node.rt.db.write() as conn:  # it is due now
        await conn.execute(update(scheduled_statuses).where(scheduled_statuses.c.id == item_id)
                           .values(scheduled_at=time.time() - 1))
    # A process leases it and publishes, then dies before removing the row.
    async with node.rt.db.read() as conn:
        [item] = await scheduled_store.due(conn, time.time(), 10)
    status_id = 123456789
    async with node.rt.db.write() as conn:
        assert await scheduled_store.lease(conn, item, until=time.time() - 1, status_id=status_id)
    async with node.rt.db.read() as conn:
        [leased] = await scheduled_store.due(conn, time.time(), 10)
    await scheduled_uc.publish(node.rt, leased, status_id)
    # The next run takes the row again, with the recorded id: one post, and the row is gone.
    await scheduled_uc.publish_due(node.rt)
    posts = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert [p["content"] for p in posts] == ["<p>exactly once</p>"] and posts[0]["id"] == str(status_id)
    assert await (await alice.get("/api/v1/scheduled_statuses")).json() == []
