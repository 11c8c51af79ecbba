"""Accounts, relationships, follows and follow requests between local accounts."""
from __future__ import annotations

import time

from sqlalchemy import update

from models.schema import accounts
from tests.api.conftest import settle
from tests.api.test_media import png, upload


async def test_relationship_after_a_local_follow(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    followed = await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    assert followed.status == 200
    rel = await followed.json()
    assert rel["id"] == alice.id
    assert rel["following"] is True and rel["requested"] is False and rel["followed_by"] is False
    assert rel["muting"] is False and rel["note"] == ""

    seen_by_alice = await (await alice.get("/api/v1/accounts/relationships",
                                           params={"id[]": bob.id})).json()
    assert seen_by_alice[0]["followed_by"] is True and seen_by_alice[0]["following"] is False

    followers = await (await node.client.get(f"/api/v1/accounts/{alice.id}/followers")).json()
    assert [a["acct"] for a in followers] == ["bob"]
    following = await (await node.client.get(f"/api/v1/accounts/{bob.id}/following")).json()
    assert [a["acct"] for a in following] == ["alice"]
    shown = await (await node.client.get(f"/api/v1/accounts/{alice.id}")).json()
    assert shown["followers_count"] == 1

    unfollowed = await (await bob.post(f"/api/v1/accounts/{alice.id}/unfollow")).json()
    assert unfollowed["following"] is False


async def test_locked_account_follow_request(node):
    alice = await node.person("alice", locked=True)
    bob = await node.person("bob")
    rel = await (await bob.post(f"/api/v1/accounts/{alice.id}/follow")).json()
    assert rel["following"] is False and rel["requested"] is True

    me = await (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert me["source"]["follow_requests_count"] == 1 and me["locked"] is True
    requests = await (await alice.get("/api/v1/follow_requests")).json()
    assert [a["acct"] for a in requests] == ["bob"]
    accepted = await (await alice.post(f"/api/v1/follow_requests/{bob.id}/authorize")).json()
    assert accepted["followed_by"] is True and accepted["requested_by"] is False
    assert await (await alice.get("/api/v1/follow_requests")).json() == []


async def test_block(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    bobs = await bob.post_status("hello world")
    rel = await (await alice.post(f"/api/v1/accounts/{bob.id}/block")).json()
    assert rel["blocking"] is True
    assert await (await alice.get("/api/v1/timelines/public")).json() == []
    public_to_bob = await (await bob.get("/api/v1/timelines/public")).json()
    assert [s["id"] for s in public_to_bob] == [bobs["id"]]
    assert (await bob.post(f"/api/v1/accounts/{alice.id}/follow")).status == 403
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/unblock")).status == 200


async def test_follow_yourself_or_nobody(node):
    alice = await node.person("alice")
    assert (await alice.post(f"/api/v1/accounts/{alice.id}/follow")).status == 422
    assert (await alice.post("/api/v1/accounts/12345/follow")).status == 404


async def test_lookup_and_search(node):
    alice = await node.person("alice")
    await node.person("alfred")
    for acct in ("alice", "@alice", "alice@acme.test", "ALICE"):
        found = await node.client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert (await found.json())["id"] == alice.id, acct
    assert (await node.client.get("/api/v1/accounts/lookup", params={"acct": "nobody"})).status == 404

    found = await (await alice.get("/api/v1/accounts/search", params={"q": "al"})).json()
    assert {a["acct"] for a in found} == {"alice", "alfred"}
    v2 = await (await alice.get("/api/v2/search", params={"q": "alf", "type": "accounts"})).json()
    assert [a["acct"] for a in v2["accounts"]] == ["alfred"]
    assert v2["statuses"] == [] and v2["hashtags"] == []


async def test_search_hashtags_and_status_urls(node):
    alice = await node.person("alice")
    posted = await alice.post_status("on #learning")
    tags = await (await alice.get("/api/v2/search", params={"q": "#lea"})).json()
    assert [t["name"] for t in tags["hashtags"]] == ["learning"]
    by_url = await (await alice.get("/api/v2/search", params={"q": posted["url"], "type": "statuses"})).json()
    assert [s["id"] for s in by_url["statuses"]] == [posted["id"]]


async def test_account_statuses_filters(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    root = await bob.post_status("root")
    plain = await alice.post_status("plain")
    await alice.post_status("@bob reply", in_reply_to_id=root["id"])
    await alice.post(f"/api/v1/statuses/{root['id']}/reblog")
    path = f"/api/v1/accounts/{alice.id}/statuses"
    assert len(await (await node.client.get(path)).json()) == 3
    no_replies = await (await node.client.get(path, params={"exclude_replies": "true",
                                                            "exclude_reblogs": "1"})).json()
    assert [s["id"] for s in no_replies] == [plain["id"]]
    assert await (await node.client.get(path, params={"pinned": "true"})).json() == []


async def test_account_statuses_of_an_unknown_or_suspended_account_are_404_and_a_block_hides_them_all(node):
    alice, bob, carol = await node.person("alice"), await node.person("bob"), await node.person("carol")
    pinned = await alice.post_status("pinned, with nothing attached")
    await alice.post(f"/api/v1/statuses/{pinned['id']}/pin")
    media = await upload(alice, png(), name="dot.png", ctype="image/png", description="a dot")
    with_media = await alice.post_status("a picture", media_ids=[media["id"]])
    path = f"/api/v1/accounts/{alice.id}/statuses"
    lists = ("", "?pinned=true", "?only_media=true")
    # Bob sees each list; then alice blocks bob, and carol blocks alice
    for query, shown in zip(lists, ([with_media["id"], pinned["id"]], [pinned["id"]], [with_media["id"]])):
        assert [s["id"] for s in await (await bob.get(path + query)).json()] == shown, query
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/block")).status == 200
    assert (await carol.post(f"/api/v1/accounts/{alice.id}/block")).status == 200
    for query in lists:
        for reader in (bob, carol):  # blocked by alice; blocking alice
            answer = await reader.get(path + query)
            assert answer.status == 200 and await answer.json() == [], (reader.account.username, query)
    # An account that does not exist, or is suspended, has no statuses to show: 404, for anyone
    for query in lists:
        assert (await bob.get(f"/api/v1/accounts/{int(alice.id) + 12345}/statuses{query}")).status == 404
    async with node.rt.db.write() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == alice.account.id).values(suspended_at=time.time()))
    for query in lists:
        assert (await node.client.get(path + query)).status == 404, query  # anonymous
        assert (await bob.get(path + query)).status == 404, query


async def test_follow_options_reblogs_and_notify(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    answer = await alice.post(f"/api/v1/accounts/{bob.id}/follow", json={"reblogs": False, "notify": True})
    relationship = await answer.json()
    assert relationship["following"] and relationship["showing_reblogs"] is False and relationship["notifying"]
    await alice.post(f"/api/v1/accounts/{carol.id}/follow")
    post = await bob.post_status("news from bob")
    carols = await carol.post_status("carol's own")
    await bob.post(f"/api/v1/statuses/{carols['id']}/reblog")
    await settle(node.rt)
    home = await (await alice.get("/api/v1/timelines/home")).json()
    assert [s["id"] for s in home] == [carols["id"], post["id"]]  # bob's boost is not shown
    notes = await (await alice.get("/api/v1/notifications?types[]=status")).json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("status", post["id"])]
    # Following again changes the options.
    changed = await (await alice.post(f"/api/v1/accounts/{bob.id}/follow", json={"reblogs": True})).json()
    assert changed["showing_reblogs"] is True and changed["notifying"] is True
