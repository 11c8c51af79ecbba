"""Posting, reading back, visibility, editing, deleting, likes, boosts and threads."""
from __future__ import annotations

from tests.api.conftest import eventually


async def test_post_and_read_back(node):
    alice = await node.person("alice")
    posted = await alice.post_status("Hello #Learning", spoiler_text="cw", language="en")
    assert posted["account"]["acct"] == "alice"
    assert posted["visibility"] == "public" and posted["local_only"] is False
    assert posted["spoiler_text"] == "cw" and posted["sensitive"] is True
    assert posted["tags"] == [{"name": "learning", "url": "http://acme.test/tags/learning"}]
    assert "text" not in posted

    mine = await (await alice.get(f"/api/v1/statuses/{posted['id']}")).json()
    anonymous = await (await node.client.get(f"/api/v1/statuses/{posted['id']}")).json()
    assert mine == posted
    assert anonymous["content"] == posted["content"]
    assert anonymous["favourited"] is False

    listed = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert [s["id"] for s in listed] == [posted["id"]]


async def test_form_encoded_post(node):
    alice = await node.person("alice")
    response = await alice.post("/api/v1/statuses", data={"status": "form post", "visibility": "unlisted",
                                                          "sensitive": "true"})
    body = await response.json()
    assert body["visibility"] == "unlisted" and body["sensitive"] is True


async def test_blank_and_bad_posts_are_422(node):
    alice = await node.person("alice")
    assert (await alice.post("/api/v1/statuses", json={"status": "  "})).status == 422
    assert (await alice.post("/api/v1/statuses", json={"status": "x", "visibility": "friends"})).status == 422
    assert (await alice.post("/api/v1/statuses", json={"status": "x" * 501})).status == 422
    assert (await alice.post("/api/v1/statuses", json={"status": "x", "media_ids": ["1"]})).status == 422


async def test_garbage_and_unknown_ids_are_404(node):
    alice = await node.person("alice")
    for path in ("/api/v1/statuses/abc", "/api/v1/statuses/123", "/api/v1/accounts/-1",
                 "/api/v1/statuses/99999999999999999999999"):
        response = await alice.get(path)
        assert response.status == 404, path
        assert "error" in await response.json()


async def test_private_status_is_404_to_a_non_follower(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    secret = await alice.post_status("followers only", visibility="private")

    assert (await carol.get(f"/api/v1/statuses/{secret['id']}")).status == 404
    assert (await node.client.get(f"/api/v1/statuses/{secret['id']}")).status == 404
    assert (await carol.post(f"/api/v1/statuses/{secret['id']}/favourite")).status == 404
    assert (await bob.get(f"/api/v1/statuses/{secret['id']}")).status == 200
    carol_sees = await (await carol.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert carol_sees == []


async def test_several_statuses_by_id_come_in_the_order_asked_once_each_and_only_those_the_reader_may_see(node):
    alice, bob, carol = await node.person("alice"), await node.person("bob"), await node.person("carol")
    await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    public = await alice.post_status("for everyone")
    secret = await alice.post_status("followers only", visibility="private")
    gone = await alice.post_status("deleted soon")
    assert (await alice.delete(f"/api/v1/statuses/{gone['id']}")).status == 200
    boost = await (await bob.post(f"/api/v1/statuses/{public['id']}/reblog")).json()
    asked = [secret["id"], "123", public["id"], gone["id"], boost["id"], secret["id"], public["id"]]
    query = "&".join(f"id[]={i}" for i in asked)
    # The follower sees the private post; carol and anyone signed out do not; the deleted and the
    # unknown post are left out for everyone, and an id asked twice comes once
    for reader, shown in ((bob.get, [secret["id"], public["id"], boost["id"]]),
                          (carol.get, [public["id"], boost["id"]]), (node.client.get, [public["id"], boost["id"]])):
        found = await (await reader(f"/api/v1/statuses?{query}")).json()
        assert [s["id"] for s in found] == shown
        assert found[-1]["reblog"]["id"] == public["id"]


async def test_local_only_posts(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    posted = await alice.post_status("just us", local_only=True)
    assert posted["visibility"] == "public" and posted["local_only"] is True
    also = await alice.post_status("just us too", visibility="local")
    assert also["local_only"] is True
    assert (await bob.get(f"/api/v1/statuses/{posted['id']}")).status == 200
    assert (await node.client.get(f"/api/v1/statuses/{posted['id']}")).status == 404
    public = await (await bob.get("/api/v1/timelines/public")).json()
    assert {s["id"] for s in public} == {posted["id"], also["id"]}
    assert await (await node.client.get("/api/v1/timelines/public")).json() == []


async def test_edit_source_and_delete(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    posted = await alice.post_status("first draft")
    edited = await (await alice.put(f"/api/v1/statuses/{posted['id']}", json={"status": "second draft"})).json()
    assert "second draft" in edited["content"] and edited["edited_at"]
    source = await (await alice.get(f"/api/v1/statuses/{posted['id']}/source")).json()
    assert source == {"id": posted["id"], "text": "second draft", "spoiler_text": ""}

    assert (await bob.delete(f"/api/v1/statuses/{posted['id']}")).status == 403
    deleted = await alice.delete(f"/api/v1/statuses/{posted['id']}")
    assert deleted.status == 200
    assert (await deleted.json())["text"] == "second draft"
    assert (await alice.get(f"/api/v1/statuses/{posted['id']}")).status == 404


async def test_favourite_and_reblog(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    posted = await alice.post_status("worth sharing")

    liked = await (await bob.post(f"/api/v1/statuses/{posted['id']}/favourite")).json()
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    boost = await (await bob.post(f"/api/v1/statuses/{posted['id']}/reblog")).json()
    assert boost["reblog"]["id"] == posted["id"]
    assert boost["reblog"]["reblogged"] is True and boost["account"]["acct"] == "bob"

    seen_by_alice = await (await alice.get(f"/api/v1/statuses/{posted['id']}")).json()
    assert seen_by_alice["favourited"] is False and seen_by_alice["reblogs_count"] == 1
    likers = await alice.get(f"/api/v1/statuses/{posted['id']}/favourited_by")
    assert [a["acct"] for a in await likers.json()] == ["bob"]
    boosters = await alice.get(f"/api/v1/statuses/{posted['id']}/reblogged_by")
    assert [a["acct"] for a in await boosters.json()] == ["bob"]

    undone = await (await bob.post(f"/api/v1/statuses/{posted['id']}/unreblog")).json()
    assert undone["reblogged"] is False and undone["reblogs_count"] == 0
    unliked = await (await bob.post(f"/api/v1/statuses/{posted['id']}/unfavourite")).json()
    assert unliked["favourited"] is False and unliked["favourites_count"] == 0


async def test_pages_show_an_edit_a_new_count_and_a_new_name_at_once(node):
    # Given a post read once through a page and by id (its entity is kept as JSON: api.entities.cache)
    alice = await node.person("alice")
    bob = await node.person("bob")
    posted = await alice.post_status("first words")
    page = f"/api/v1/accounts/{alice.id}/statuses"
    assert (await (await bob.get(page)).json())[0]["favourites_count"] == 0
    assert (await bob.get(f"/api/v1/statuses/{posted['id']}")).status == 200
    # When it is edited and liked, and its author renames herself
    assert (await alice.put(f"/api/v1/statuses/{posted['id']}", json={"status": "second words"})).status == 200
    assert (await bob.post(f"/api/v1/statuses/{posted['id']}/favourite")).status == 200
    assert (await alice.patch("/api/v1/accounts/update_credentials", data={"display_name": "Al"})).status == 200
    # Then the next read shows all of it, to every reader, with each reader's own facts
    for reader in (bob, alice):
        for shown in ((await (await reader.get(page)).json())[0],
                      await (await reader.get(f"/api/v1/statuses/{posted['id']}")).json()):
            assert "second words" in shown["content"] and shown["favourites_count"] == 1, shown
            assert shown["account"]["display_name"] == "Al" and shown["favourited"] is (reader is bob)
    # And once deleted it is gone from the page
    assert (await alice.delete(f"/api/v1/statuses/{posted['id']}")).status == 200
    assert await (await bob.get(page)).json() == []


async def test_context(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    root = await alice.post_status("a question")
    reply = await bob.post_status("@alice an answer", in_reply_to_id=root["id"])
    assert reply["in_reply_to_id"] == root["id"] and reply["in_reply_to_account_id"] == alice.id
    private_reply = await alice.post_status("@bob thanks", in_reply_to_id=reply["id"], visibility="direct")

    context = await (await bob.get(f"/api/v1/statuses/{reply['id']}/context")).json()
    assert [s["id"] for s in context["ancestors"]] == [root["id"]]
    assert [s["id"] for s in context["descendants"]] == [private_reply["id"]]
    anonymous = await (await node.client.get(f"/api/v1/statuses/{root['id']}/context")).json()
    assert [s["id"] for s in anonymous["descendants"]] == [reply["id"]]

    async def replies_counted():
        return (await (await bob.get(f"/api/v1/statuses/{root['id']}")).json())["replies_count"] == 1
    await eventually(replies_counted)


async def test_unexpected_errors_are_logged_and_answered_500(node, monkeypatch, caplog):
    alice = await node.person("alice")

    async def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom")
    monkeypatch.setattr("social.statuses.post_status", broken)
    response = await alice.post("/api/v1/statuses", json={"status": "hello"})
    assert response.status == 500
    assert await response.json() == {"error": "internal error"}
    assert "boom" in caplog.text
