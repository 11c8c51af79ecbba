"""Hashtags: the Tag entity, following (posts with the tag reach the home timeline, local and
remote), followed_tags pages, and featured tags."""
from __future__ import annotations

from federation import deref
from social import remote
from tests.api.conftest import eventually


async def home_ids(person) -> list[str]:  # noqa: ANN001
    return [s["id"] for s in await (await person.get("/api/v1/timelines/home")).json()]


async def test_tag_entity_and_follow_unfollow(node):
    alice = await node.person("alice")
    body = await (await alice.get("/api/v1/tags/Learning")).json()
    assert body == {"name": "learning", "url": "http://acme.test/tags/learning", "history": [],
                    "following": False}
    anonymous = await (await node.client.get("/api/v1/tags/learning")).json()
    assert "following" not in anonymous
    response = await alice.post("/api/v1/tags/learning/follow")
    assert response.status == 200 and (await response.json())["following"] is True
    assert (await (await alice.get("/api/v1/tags/learning")).json())["following"] is True
    response = await alice.post("/api/v1/tags/learning/unfollow")
    assert (await response.json())["following"] is False
    assert (await node.client.get("/api/v1/tags/no%20tag")).status == 404


async def test_following_a_tag_needs_write_follows(node):
    alice = await node.person("alice", scopes="read")
    response = await alice.post("/api/v1/tags/learning/follow")
    assert response.status == 403 and "error" in await response.json()


async def test_followed_tags_pages_with_link_headers(node):
    alice = await node.person("alice")
    for name in ("one", "two", "three"):
        await alice.post(f"/api/v1/tags/{name}/follow")
    response = await alice.get("/api/v1/followed_tags", params={"limit": "2"})
    first = await response.json()
    assert [t["name"] for t in first] == ["three", "two"] and all(t["following"] for t in first)
    assert 'rel="next"' in response.headers["Link"]
    next_url = response.headers["Link"].split(">")[0].lstrip("<")
    rest = await (await alice.get("/api/v1/followed_tags?" + next_url.split("?", 1)[1])).json()
    assert [t["name"] for t in rest] == ["one"]


async def test_local_post_with_followed_tag_reaches_home(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    await alice.post("/api/v1/tags/learning/follow")
    tagged = await bob.post_status("what I learned today #Learning")
    other = await bob.post_status("nothing tagged")
    private = await bob.post_status("private #learning", visibility="private")

    async def arrived():  # noqa: ANN202
        return tagged["id"] in await home_ids(alice)
    await eventually(arrived)
    ids = await home_ids(alice)
    assert other["id"] not in ids and private["id"] not in ids


async def test_remote_post_with_followed_tag_reaches_home(node):
    alice = await node.person("alice")
    await alice.post("/api/v1/tags/learning/follow")
    rt = node.rt
    actor = await deref.store_actor(rt, {
        "uri": "https://globex.test/users/guru", "username": "guru", "domain": "globex.test",
        "inbox_url": "https://globex.test/users/guru/inbox", "display_name": "Guru",
        "followers_url": "https://globex.test/users/guru/followers"})
    note = {"id": "https://globex.test/notes/1", "type": "Note", "attributedTo": actor.uri,
            "content": "<p>#learning at globex</p>", "published": "2026-01-01T00:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [],
            "tag": [{"type": "Hashtag", "name": "#learning", "href": "https://globex.test/tags/learning"}]}
    status = await remote.store_note(rt, note, actor)
    # Home rows come from the fan-out job the post queued, for remote posts as for local ones.
    await eventually(lambda: _has(alice, str(status.id)))


async def _has(person, status_id: str) -> bool:  # noqa: ANN001
    return status_id in await home_ids(person)


async def test_featured_tags(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    await alice.post_status("#docs are fun")
    await alice.post_status("more #docs and #cats")
    suggestions = await (await alice.get("/api/v1/featured_tags/suggestions")).json()
    assert [t["name"] for t in suggestions] == ["docs", "cats"]
    response = await alice.post("/api/v1/featured_tags", json={"name": "#Docs"})
    featured = await response.json()
    assert response.status == 200, featured
    assert featured["name"] == "docs" and featured["statuses_count"] == 2
    assert featured["url"] == "http://acme.test/@alice/tagged/docs"
    assert featured["last_status_at"] and len(featured["last_status_at"]) == 10
    assert (await alice.post("/api/v1/featured_tags", json={"name": "docs"})).status == 422
    assert (await alice.post("/api/v1/featured_tags", json={"name": "no way"})).status == 422
    assert [t["id"] for t in await (await alice.get("/api/v1/featured_tags")).json()] == [featured["id"]]
    shown = await (await bob.get(f"/api/v1/accounts/{alice.id}/featured_tags")).json()
    assert shown == [featured]
    assert [t["name"] for t in await (await alice.get("/api/v1/featured_tags/suggestions")).json()] == ["cats"]
    assert (await bob.delete(f"/api/v1/featured_tags/{featured['id']}")).status == 404
    response = await alice.delete(f"/api/v1/featured_tags/{featured['id']}")
    assert response.status == 200 and await response.json() == {}
    assert await (await alice.get("/api/v1/featured_tags")).json() == []
