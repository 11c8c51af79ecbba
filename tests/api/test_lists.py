"""Lists: create, rename, delete; members (only followed accounts); the list timeline with its
replies policy; which of my lists an account is on."""
from __future__ import annotations

from tests.api.conftest import eventually


async def test_list_crud_and_members(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")

    created = await (await alice.post("/api/v1/lists", json={"title": "Experts"})).json()
    assert created == {"id": created["id"], "title": "Experts", "replies_policy": "list", "exclusive": False,
                       "public": False}
    assert (await alice.post("/api/v1/lists", json={"title": " "})).status == 422
    assert (await alice.post("/api/v1/lists", json={"title": "x", "replies_policy": "all"})).status == 422
    renamed = await (await alice.put(f"/api/v1/lists/{created['id']}",
                                     json={"title": "Gurus", "replies_policy": "none", "exclusive": True})).json()
    assert renamed["title"] == "Gurus" and renamed["replies_policy"] == "none" and renamed["exclusive"] is True
    assert [item["title"] for item in await (await alice.get("/api/v1/lists")).json()] == ["Gurus"]
    assert (await bob.get(f"/api/v1/lists/{created['id']}")).status == 404
    assert await (await bob.get("/api/v1/lists")).json() == []

    members = f"/api/v1/lists/{created['id']}/accounts"
    assert (await alice.post(members, json={"account_ids": [carol.id]})).status == 422  # not followed
    assert (await bob.post(members, json={"account_ids": [bob.id]})).status == 404  # not bob's list
    assert (await alice.post(members, data={"account_ids[]": bob.id})).status == 200
    assert [a["acct"] for a in await (await alice.get(members)).json()] == ["bob"]
    on = await (await alice.get(f"/api/v1/accounts/{bob.id}/lists")).json()
    assert [item["id"] for item in on] == [created["id"]]
    assert await (await alice.get(f"/api/v1/accounts/{carol.id}/lists")).json() == []

    assert (await alice.delete(members, json={"account_ids": [bob.id]})).status == 200
    assert await (await alice.get(members)).json() == []
    assert (await alice.delete(f"/api/v1/lists/{created['id']}")).status == 200
    assert (await alice.get(f"/api/v1/lists/{created['id']}")).status == 404


async def test_list_timeline_and_replies_policy(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    dave = await node.person("dave")
    for target in (bob, carol):
        await alice.post(f"/api/v1/accounts/{target.id}/follow")
    await dave.post(f"/api/v1/accounts/{bob.id}/follow")
    listed = await (await alice.post("/api/v1/lists", json={"title": "Bob"})).json()
    await alice.post(f"/api/v1/lists/{listed['id']}/accounts", json={"account_ids": [bob.id]})

    dave_post = await dave.post_status("dave's question")
    carol_post = await carol.post_status("carol's question")
    plain = await bob.post_status("bob's post")
    to_dave = await bob.post_status("@dave answer", in_reply_to_id=dave_post["id"])
    to_carol = await bob.post_status("@carol answer", in_reply_to_id=carol_post["id"])
    await bob.post_status("for followers", visibility="private")
    await carol.post_status("carol is not on the list")

    timeline = f"/api/v1/timelines/list/{listed['id']}"

    async def seen() -> list[str]:
        return [s["content"] for s in await (await alice.get(timeline)).json()]

    # "list": replies only to list members (or to alice) show; bob's followers-only post shows.
    contents = await seen()
    assert contents == ["<p>for followers</p>", plain["content"]]

    await alice.put(f"/api/v1/lists/{listed['id']}", json={"replies_policy": "followed"})
    contents = await seen()
    assert to_carol["content"] in contents and to_dave["content"] not in contents

    await alice.put(f"/api/v1/lists/{listed['id']}", json={"replies_policy": "none"})
    contents = await seen()
    assert to_carol["content"] not in contents and plain["content"] in contents
    assert (await dave.get(timeline)).status == 404

    await alice.post(f"/api/v1/lists/{listed['id']}/accounts", json={"account_ids": [carol.id]})
    await eventually(lambda: _has(alice, timeline, "carol is not on the list"))


async def _has(person, path: str, text: str) -> bool:
    return any(text in s["content"] for s in await (await person.get(path)).json())


async def test_an_exclusive_list_keeps_its_members_out_of_home(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    for target in (bob, carol):
        await alice.post(f"/api/v1/accounts/{target.id}/follow")
    listed = await (await alice.post("/api/v1/lists", json={"title": "Bob", "exclusive": True})).json()
    await alice.post(f"/api/v1/lists/{listed['id']}/accounts", json={"account_ids": [bob.id]})
    await bob.post_status("only in the list")
    last = await carol.post_status("in home")

    async def home() -> list[str]:
        return [s["account"]["acct"] for s in await (await alice.get("/api/v1/timelines/home")).json()]
    await eventually(lambda: _has(alice, "/api/v1/timelines/home", last["content"]))
    assert await home() == ["carol"]
    assert await _has(alice, f"/api/v1/timelines/list/{listed['id']}", "only in the list")
