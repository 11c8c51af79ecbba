"""The profile directory and follow suggestions."""
from __future__ import annotations


async def test_directory_lists_discoverable_accounts(node):
    alice, bob, carol = await node.person("alice"), await node.person("bob"), await node.person("carol")
    await carol.node.client.patch("/api/v1/accounts/update_credentials", headers=carol.headers(),
                                  json={"discoverable": False})
    await bob.post_status("recently active")
    active = await (await node.client.get("/api/v1/directory", params={"local": "true"})).json()
    assert [a["username"] for a in active][:2] == ["bob", "alice"]
    assert "carol" not in [a["username"] for a in active]
    new = await (await alice.get("/api/v1/directory", params={"order": "new"})).json()
    assert [a["username"] for a in new] == ["bob", "alice"]
    page = await (await alice.get("/api/v1/directory", params={"order": "new", "offset": "1", "limit": "1"})).json()
    assert [a["username"] for a in page] == ["alice"]
    assert (await alice.get("/api/v1/directory", params={"order": "odd"})).status == 422


async def test_suggestions_friends_of_friends_first_then_active_and_dismiss(node):
    alice, bob, carol, dave = [await node.person(n) for n in ("alice", "bob", "carol", "dave")]
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")
    await bob.post(f"/api/v1/accounts/{carol.id}/follow")
    await dave.post_status("active")
    found = await (await alice.get("/api/v2/suggestions")).json()
    assert [s["account"]["username"] for s in found] == ["carol", "dave"]
    assert found[0]["sources"] == ["friends_of_friends"] and found[0]["source"] == "past_interactions"
    assert found[1]["source"] == "global"
    v1 = await (await alice.get("/api/v1/suggestions")).json()
    assert [a["username"] for a in v1] == ["carol", "dave"]
    response = await alice.delete(f"/api/v1/suggestions/{carol.id}")
    assert response.status == 200
    found = await (await alice.get("/api/v2/suggestions")).json()
    assert [s["account"]["username"] for s in found] == ["dave"]
    assert (await node.client.get("/api/v2/suggestions")).status == 401
