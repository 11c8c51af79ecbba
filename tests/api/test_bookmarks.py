"""Bookmarks, the favourites list, pinned posts, mutes, the blocks list and direct conversations."""
from __future__ import annotations

from tests.api.conftest import eventually


async def ids(person, path: str) -> list[str]:
    response = await person.get(path)
    assert response.status == 200, await response.text()
    return [item["id"] for item in await response.json()]


async def test_bookmarks_and_favourites_are_listed_newest_first(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    first = await bob.post_status("first")
    second = await bob.post_status("second")
    secret = await bob.post_status("secret", visibility="private")

    marked = await (await alice.post(f"/api/v1/statuses/{first['id']}/bookmark")).json()
    assert marked["bookmarked"] is True
    await alice.post(f"/api/v1/statuses/{second['id']}/bookmark")
    await alice.post(f"/api/v1/statuses/{second['id']}/bookmark")  # twice is once
    assert (await alice.post(f"/api/v1/statuses/{secret['id']}/bookmark")).status == 404
    assert await ids(alice, "/api/v1/bookmarks") == [second["id"], first["id"]]
    page = await alice.get("/api/v1/bookmarks?limit=1")
    assert [s["id"] for s in await page.json()] == [second["id"]]
    assert 'rel="next"' in page.headers["Link"]
    unmarked = await (await alice.post(f"/api/v1/statuses/{second['id']}/unbookmark")).json()
    assert unmarked["bookmarked"] is False
    assert await ids(alice, "/api/v1/bookmarks") == [first["id"]]
    assert await ids(bob, "/api/v1/bookmarks") == []

    await alice.post(f"/api/v1/statuses/{second['id']}/favourite")
    await alice.post(f"/api/v1/statuses/{first['id']}/favourite")
    assert await ids(alice, "/api/v1/favourites") == [first["id"], second["id"]]
    assert (await node.client.get("/api/v1/favourites")).status == 401


async def test_pins(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    posts = [await alice.post_status(f"post {n}") for n in range(6)]
    private = await alice.post_status("followers only", visibility="private")
    pinned = await (await alice.post(f"/api/v1/statuses/{posts[0]['id']}/pin")).json()
    assert pinned["pinned"] is True
    for post in posts[1:5]:
        assert (await alice.post(f"/api/v1/statuses/{post['id']}/pin")).status == 200
    assert (await alice.post(f"/api/v1/statuses/{posts[5]['id']}/pin")).status == 422  # five at most
    assert (await alice.post(f"/api/v1/statuses/{private['id']}/pin")).status == 422
    assert (await bob.post(f"/api/v1/statuses/{posts[5]['id']}/pin")).status == 422  # not bob's

    anonymous = await node.client.get(f"/api/v1/accounts/{alice.id}/statuses?pinned=true")
    listed = [s["id"] for s in await anonymous.json()]
    assert listed == [p["id"] for p in reversed(posts[:5])]
    await alice.post(f"/api/v1/statuses/{posts[4]['id']}/unpin")
    assert len(await ids(bob, f"/api/v1/accounts/{alice.id}/statuses?pinned=true")) == 4
    assert (await (await alice.get(f"/api/v1/statuses/{posts[4]['id']}")).json())["pinned"] is False

    featured = await (await node.client.get("/users/alice/collections/featured",
                                            headers={"Accept": "application/activity+json"})).json()
    assert featured["totalItems"] == 4
    assert [n["id"] for n in featured["orderedItems"]] == [p["uri"] for p in reversed(posts[:4])]


async def test_mutes(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    for target in (bob, carol):
        await alice.post(f"/api/v1/accounts/{target.id}/follow")
    said = await bob.post_status("before the mute")
    await carol.post_status("carol talks")
    await eventually(lambda: _home_has(alice, said["id"]))

    rel = await (await alice.post(f"/api/v1/accounts/{bob.id}/mute", json={"notifications": True})).json()
    assert rel["muting"] is True and rel["muting_notifications"] is True
    await bob.post_status("after the mute")
    await bob.post_status("@alice hello?")
    home = await (await alice.get("/api/v1/timelines/home")).json()
    assert {s["account"]["acct"] for s in home} == {"carol"}
    notes = await (await alice.get("/api/v1/notifications")).json()
    assert all(n["account"]["acct"] != "bob" for n in notes)
    muted = await (await alice.get("/api/v1/mutes")).json()
    assert [a["acct"] for a in muted] == ["bob"] and muted[0]["mute_expires_at"] is None
    # Their profile still shows their posts.
    assert len(await ids(alice, f"/api/v1/accounts/{bob.id}/statuses")) == 3

    rel = await (await alice.post(f"/api/v1/accounts/{carol.id}/mute",
                                  json={"notifications": False, "duration": 3600})).json()
    assert rel["muting"] is True and rel["muting_notifications"] is False
    await carol.post_status("@alice still notified")
    notes = await (await alice.get("/api/v1/notifications")).json()
    assert [n["account"]["acct"] for n in notes] == ["carol"]
    muted = await (await alice.get("/api/v1/mutes")).json()
    assert [a["acct"] for a in muted] == ["carol", "bob"] and muted[0]["mute_expires_at"]

    rel = await (await alice.post(f"/api/v1/accounts/{bob.id}/unmute")).json()
    assert rel["muting"] is False
    notes = await (await alice.get("/api/v1/notifications")).json()
    assert "bob" in {n["account"]["acct"] for n in notes}
    assert (await alice.post(f"/api/v1/accounts/{alice.id}/mute")).status == 422


async def _home_has(person, status_id: str) -> bool:
    return status_id in [s["id"] for s in await (await person.get("/api/v1/timelines/home")).json()]


async def test_blocks_list(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    await alice.post(f"/api/v1/accounts/{bob.id}/block")
    await alice.post(f"/api/v1/accounts/{carol.id}/block")
    assert [a["acct"] for a in await (await alice.get("/api/v1/blocks")).json()] == ["carol", "bob"]
    page = await alice.get("/api/v1/blocks?limit=1")
    assert [a["acct"] for a in await page.json()] == ["carol"] and "Link" in page.headers
    await alice.post(f"/api/v1/accounts/{carol.id}/unblock")
    assert [a["acct"] for a in await (await alice.get("/api/v1/blocks")).json()] == ["bob"]


async def test_conversations(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    opening = await alice.post_status("@bob @carol a private word", visibility="direct")
    await alice.post_status("a public word")
    reply = await bob.post_status("@alice @carol answer", visibility="direct", in_reply_to_id=opening["id"])
    other = await carol.post_status("@alice just us", visibility="direct")

    conversations = await (await alice.get("/api/v1/conversations")).json()
    assert [c["last_status"]["id"] for c in conversations] == [other["id"], reply["id"]]
    assert [c["id"] for c in conversations][1] == opening["id"]
    assert {a["acct"] for a in conversations[1]["accounts"]} == {"bob", "carol"}
    assert [c["unread"] for c in conversations] == [True, True]
    bobs = await (await bob.get("/api/v1/conversations")).json()
    assert [c["last_status"]["id"] for c in bobs] == [reply["id"]] and bobs[0]["unread"] is False

    read = await (await alice.post(f"/api/v1/conversations/{conversations[1]['id']}/read")).json()
    assert read["unread"] is False
    assert (await alice.delete(f"/api/v1/conversations/{conversations[0]['id']}")).status == 200
    after = await (await alice.get("/api/v1/conversations")).json()
    assert [(c["id"], c["unread"]) for c in after] == [(opening["id"], False)]
    # A new message brings a deleted conversation back, unread.
    again = await carol.post_status("@alice are you there?", visibility="direct", in_reply_to_id=other["id"])
    after = await (await alice.get("/api/v1/conversations")).json()
    assert [(c["last_status"]["id"], c["unread"]) for c in after][0] == (again["id"], True)
    assert (await bob.post(f"/api/v1/conversations/{other['id']}/read")).status == 404


async def test_muting_a_conversation_stops_its_notifications(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    root = await alice.post_status("a thread")
    reply = await bob.post_status("@alice first reply", in_reply_to_id=root["id"])
    muted = await (await alice.post(f"/api/v1/statuses/{reply['id']}/mute")).json()
    assert muted["muted"] is True
    assert (await (await alice.get(f"/api/v1/statuses/{root['id']}")).json())["muted"] is True
    await bob.post_status("@alice a second reply", in_reply_to_id=reply["id"])
    await bob.post(f"/api/v1/statuses/{root['id']}/favourite")
    elsewhere = await bob.post_status("@alice somewhere else")
    notes = await (await alice.get("/api/v1/notifications")).json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("mention", elsewhere["id"]),
                                                                ("mention", reply["id"])]
    unmuted = await (await alice.post(f"/api/v1/statuses/{root['id']}/unmute")).json()
    assert unmuted["muted"] is False
