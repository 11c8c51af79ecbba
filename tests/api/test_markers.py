"""/api/v1/markers: read positions with a version counter."""
from __future__ import annotations


async def test_markers_save_and_read(node):
    alice = await node.person("alice")
    empty = await alice.get("/api/v1/markers", params=[("timeline[]", "home"), ("timeline[]", "notifications")])
    assert empty.status == 200 and await empty.json() == {}

    # Form fields, then JSON
    saved = await (await alice.post("/api/v1/markers", data={"home[last_read_id]": "103"})).json()
    assert list(saved) == ["home"]
    assert saved["home"]["last_read_id"] == "103" and saved["home"]["version"] == 0
    assert saved["home"]["updated_at"].endswith("Z")
    again = await (await alice.post("/api/v1/markers", json={"home": {"last_read_id": "105"},
                                                             "notifications": {"last_read_id": 7}})).json()
    assert again["home"] == {**again["home"], "last_read_id": "105", "version": 1}
    assert again["notifications"]["last_read_id"] == "7" and again["notifications"]["version"] == 0

    both = await (await alice.get("/api/v1/markers?timeline[]=home&timeline[]=notifications")).json()
    assert both == again
    only_home = await (await alice.get("/api/v1/markers?timeline[]=home")).json()
    assert list(only_home) == ["home"]

    # Someone else's markers are their own
    bob = await node.person("bob")
    assert await (await bob.get("/api/v1/markers?timeline[]=home")).json() == {}


async def test_markers_need_a_token_and_the_scope(node):
    alice = await node.person("alice", scopes="read")
    assert (await node.client.get("/api/v1/markers?timeline[]=home")).status == 401
    response = await alice.post("/api/v1/markers", json={"home": {"last_read_id": "1"}})
    assert response.status == 403 and "error" in await response.json()
    bad = await (await node.person("bob")).post("/api/v1/markers", json={"home": {"last_read_id": "x"}})
    assert bad.status == 422
