"""Issue 9 item 9, stale access: whatever list a status id comes from (bookmarks, favourites,
notifications, the home timeline, a thread, conversations), the visibility rule is applied when it is
read, so someone who may no longer see a post does not read it, nor its later edits, anywhere.

Runs on SQLite and on PostgreSQL (a node of the real app over real HTTP on each)."""
from __future__ import annotations

from tests.api.conftest import eventually


async def ids(person, path: str, key: str | None = None) -> list[str]:  # noqa: ANN001
    response = await person.get(path)
    assert response.status == 200, await response.text()
    items = await response.json()
    return [(item[key] or {}).get("id") if key else item["id"] for item in items]


async def texts(person, path: str) -> str:  # noqa: ANN001
    return (await (await person.get(path)).text())


async def test_a_removed_follower_no_longer_reads_the_post_nor_its_edits(db_node):
    # Given bob follows alice (asking to be told of her posts), and a followers-only post of hers
    # that bob bookmarked, favourited and was notified of
    alice = await db_node.person("alice")
    bob = await db_node.person("bob")
    assert (await bob.post(f"/api/v1/accounts/{alice.id}/follow", json={"notify": True})).status == 200
    secret = await alice.post_status("for followers: first draft", visibility="private")
    assert (await bob.post(f"/api/v1/statuses/{secret['id']}/bookmark")).status == 200
    assert (await bob.post(f"/api/v1/statuses/{secret['id']}/favourite")).status == 200
    assert await eventually(lambda: ids(bob, "/api/v1/notifications?types[]=status", "status"))
    assert await ids(bob, "/api/v1/bookmarks") == [secret["id"]]
    assert await ids(bob, "/api/v1/favourites") == [secret["id"]]
    assert secret["id"] in await ids(bob, "/api/v1/timelines/home")
    made = await bob.post("/api/v1/lists", json={"title": "colleagues"})
    list_id = (await made.json())["id"]
    assert (await bob.post(f"/api/v1/lists/{list_id}/accounts", json={"account_ids": [alice.id]})).status == 200
    assert await ids(bob, f"/api/v1/timelines/list/{list_id}") == [secret["id"]]
    search = f"/api/v2/search?type=statuses&q={secret['uri']}"
    assert [s["id"] for s in (await (await bob.get(search)).json())["statuses"]] == [secret["id"]]

    # When alice removes bob from her followers and edits the post
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/remove_from_followers")).status == 200
    edited = await alice.put(f"/api/v1/statuses/{secret['id']}", json={"status": "for followers: the real plan"})
    assert edited.status == 200

    # Then bob reads it nowhere: not by id, not in his bookmarks, favourites, notifications (v1 and
    # grouped), home or list timeline, search or her profile, and the edited text appears in none
    assert (await bob.get(f"/api/v1/statuses/{secret['id']}")).status == 404
    for path in ("/api/v1/bookmarks", "/api/v1/favourites", "/api/v1/timelines/home",
                 "/api/v1/notifications", "/api/v2/notifications", f"/api/v1/timelines/list/{list_id}",
                 search, f"/api/v1/statuses?id[]={secret['id']}", f"/api/v1/accounts/{alice.id}/statuses"):
        body = await texts(bob, path)
        assert "real plan" not in body and "first draft" not in body, path
    assert await ids(bob, "/api/v1/bookmarks") == []
    assert await ids(bob, "/api/v1/favourites") == []
    assert await ids(bob, "/api/v1/notifications") == []
    grouped = await (await bob.get("/api/v2/notifications")).json()
    assert grouped["notification_groups"] == [] and grouped["statuses"] == []
    # And alice, its author, still sees her post with bob's favourite counted
    mine = await (await alice.get(f"/api/v1/statuses/{secret['id']}")).json()
    assert mine["content"].endswith("the real plan</p>") and mine["favourites_count"] == 1


async def test_a_blocked_correspondent_no_longer_reads_the_conversation(db_node):
    # Given alice and bob wrote to each other directly, alice last, and bob bookmarked her message
    alice = await db_node.person("alice")
    bob = await db_node.person("bob")
    ask = await bob.post_status("@alice what is the plan?", visibility="direct")
    note = await alice.post_status("@bob the real plan", visibility="direct", in_reply_to_id=ask["id"])
    assert (await bob.post(f"/api/v1/statuses/{note['id']}/bookmark")).status == 200
    conversations = await (await bob.get("/api/v1/conversations")).json()
    assert [c["last_status"]["id"] for c in conversations] == [note["id"]]

    # When alice blocks bob
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/block")).status == 200

    # Then bob's conversations, bookmarks and his own post's thread no longer show her message
    assert "real plan" not in await texts(bob, "/api/v1/conversations")
    assert await ids(bob, "/api/v1/bookmarks") == []
    assert (await bob.get(f"/api/v1/statuses/{note['id']}")).status == 404
    thread = await (await bob.get(f"/api/v1/statuses/{ask['id']}/context")).json()
    assert thread["descendants"] == []
