"""Notifications after local mentions, follows and likes."""
from __future__ import annotations


async def test_mention_notifies_the_local_account(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    mention = await bob.post_status("hello @alice, a question")
    assert [m["acct"] for m in mention["mentions"]] == ["alice"]

    response = await alice.get("/api/v1/notifications")
    notifications = await response.json()
    assert len(notifications) == 1
    note = notifications[0]
    assert note["type"] == "mention"
    assert note["account"]["acct"] == "bob"
    assert note["status"]["id"] == mention["id"]
    assert note["group_key"] == f"ungrouped-{note['id']}"
    assert await (await bob.get("/api/v1/notifications")).json() == []

    one = await (await alice.get(f"/api/v1/notifications/{note['id']}")).json()
    assert one == note
    assert (await bob.get(f"/api/v1/notifications/{note['id']}")).status == 404


async def test_types_filters_and_dismissing(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    posted = await alice.post_status("likeable")
    await bob.post(f"/api/v1/statuses/{posted['id']}/favourite")
    await bob.post_status("@alice hi")

    everything = await (await alice.get("/api/v1/notifications")).json()
    assert [n["type"] for n in everything] == ["mention", "favourite", "follow"]
    only = await (await alice.get("/api/v1/notifications?types[]=follow&types[]=favourite")).json()
    assert [n["type"] for n in only] == ["favourite", "follow"]
    without = await (await alice.get("/api/v1/notifications", params={"exclude_types[]": "mention"})).json()
    assert [n["type"] for n in without] == ["favourite", "follow"]

    assert (await alice.post(f"/api/v1/notifications/{everything[0]['id']}/dismiss")).status == 200
    assert len(await (await alice.get("/api/v1/notifications")).json()) == 2
    assert (await alice.post("/api/v1/notifications/clear")).status == 200
    assert await (await alice.get("/api/v1/notifications")).json() == []
