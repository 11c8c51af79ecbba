"""Grouped notifications (v2), unread counts, and the default notification policy."""
from __future__ import annotations


async def _busy_morning(node):  # noqa: ANN001, ANN202
    """Given alice's post liked and boosted by bob and carol, both following her, and a mention."""
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    post = await alice.post_status("a post worth liking")
    for fan in (bob, carol):
        assert (await fan.post(f"/api/v1/accounts/{alice.id}/follow")).status == 200
        assert (await fan.post(f"/api/v1/statuses/{post['id']}/favourite")).status == 200
        assert (await fan.post(f"/api/v1/statuses/{post['id']}/reblog")).status == 200
    mention = await bob.post_status("@alice did you see this?")
    return alice, bob, carol, post, mention


async def test_favourites_boosts_and_follows_are_grouped(node):
    alice, bob, carol, post, mention = await _busy_morning(node)

    response = await alice.get("/api/v2/notifications")
    assert response.status == 200
    body = await response.json()
    groups = body["notification_groups"]
    assert [g["type"] for g in groups] == ["mention", "reblog", "favourite", "follow"]
    by_type = {g["type"]: g for g in groups}
    for kind in ("reblog", "favourite"):
        group = by_type[kind]
        assert group["notifications_count"] == 2
        assert group["status_id"] == post["id"]
        assert group["sample_account_ids"] == [carol.id, bob.id]
        assert group["group_key"].startswith(f"{kind}-{post['id']}-")
        assert int(group["page_min_id"]) < int(group["page_max_id"]) == int(group["most_recent_notification_id"])
        assert group["latest_page_notification_at"].endswith("Z")
    assert by_type["follow"]["notifications_count"] == 2 and "status_id" not in by_type["follow"]
    assert by_type["mention"]["notifications_count"] == 1
    assert by_type["mention"]["group_key"] == f"ungrouped-{by_type['mention']['most_recent_notification_id']}"
    assert by_type["mention"]["status_id"] == mention["id"]
    assert {a["acct"] for a in body["accounts"]} == {"bob", "carol"}
    assert {s["id"] for s in body["statuses"]} == {post["id"], mention["id"]}

    # The v1 list still has every notification on its own.
    assert len(await (await alice.get("/api/v1/notifications")).json()) == 7


async def test_grouped_types_limits_grouping_and_pages_follow_groups(node):
    alice, *_ = await _busy_morning(node)
    only_follows = await (await alice.get("/api/v2/notifications",
                                          params={"grouped_types[]": "follow"})).json()
    assert [g["type"] for g in only_follows["notification_groups"]] == [
        "mention", "reblog", "favourite", "follow", "reblog", "favourite"]

    first = await alice.get("/api/v2/notifications", params={"limit": "2"})
    page = await first.json()
    assert [g["type"] for g in page["notification_groups"]] == ["mention", "reblog"]
    link = first.headers["Link"]
    assert 'rel="next"' in link and "max_id=" in link and "limit=2" in link
    oldest = min(int(g["page_min_id"]) for g in page["notification_groups"])
    second = await (await alice.get("/api/v2/notifications",
                                    params={"limit": "2", "max_id": str(oldest)})).json()
    assert [g["type"] for g in second["notification_groups"]] == ["favourite", "follow"]


async def test_one_group_and_dismissing_it(node):
    alice, bob, carol, post, _ = await _busy_morning(node)
    groups = (await (await alice.get("/api/v2/notifications")).json())["notification_groups"]
    favourites = next(g for g in groups if g["type"] == "favourite")

    one = await (await alice.get(f"/api/v2/notifications/{favourites['group_key']}")).json()
    assert [g["group_key"] for g in one["notification_groups"]] == [favourites["group_key"]]
    assert one["notification_groups"][0]["notifications_count"] == 2
    assert (await bob.get(f"/api/v2/notifications/{favourites['group_key']}")).status == 404
    people = await (await alice.get(f"/api/v2/notifications/{favourites['group_key']}/accounts")).json()
    assert [a["acct"] for a in people] == ["carol", "bob"]
    assert (await alice.get("/api/v2/notifications/nonsense-key")).status == 404

    assert (await bob.post(f"/api/v2/notifications/{favourites['group_key']}/dismiss")).status == 404
    assert (await alice.post(f"/api/v2/notifications/{favourites['group_key']}/dismiss")).status == 200
    left = await (await alice.get("/api/v1/notifications")).json()
    assert "favourite" not in [n["type"] for n in left] and len(left) == 5
    assert (await alice.get(f"/api/v2/notifications/{favourites['group_key']}")).status == 404


async def test_unread_counts_follow_the_notifications_marker(node):
    alice, *_ = await _busy_morning(node)
    assert await (await alice.get("/api/v1/notifications/unread_count")).json() == {"count": 7}
    assert await (await alice.get("/api/v2/notifications/unread_count")).json() == {"count": 4}
    assert await (await alice.get("/api/v1/notifications/unread_count?limit=3")).json() == {"count": 3}
    assert await (await alice.get("/api/v1/notifications/unread_count",
                                  params={"types[]": "follow"})).json() == {"count": 2}

    everything = await (await alice.get("/api/v1/notifications")).json()
    from models import markers
    async with node.rt.db.write() as conn:
        await markers.save(conn, alice.account.id, "notifications", int(everything[2]["id"]))
    assert await (await alice.get("/api/v1/notifications/unread_count")).json() == {"count": 2}
    assert await (await alice.get("/api/v2/notifications/unread_count")).json() == {"count": 2}


async def test_policy_and_requests_are_the_documented_defaults(node):
    alice = await node.person("alice")
    policy = await (await alice.get("/api/v2/notifications/policy")).json()
    assert policy == {"for_not_following": "accept", "for_not_followers": "accept",
                      "for_new_accounts": "accept", "for_private_mentions": "accept",
                      "for_limited_accounts": "filter",
                      "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}}
    changed = await alice.node.client.patch("/api/v2/notifications/policy", headers=alice.headers(),
                                            json={"for_not_following": "filter"})
    assert changed.status == 200 and await changed.json() == policy
    assert await (await alice.get("/api/v1/notifications/requests")).json() == []


async def test_scopes_and_anonymous_callers(node):
    alice = await node.person("alice", scopes="read:statuses")
    assert (await alice.get("/api/v2/notifications")).status == 403
    assert (await alice.get("/api/v1/notifications/unread_count")).status == 403
    assert (await node.client.get("/api/v2/notifications")).status == 401
    assert (await node.client.get("/api/v2/notifications/policy")).status == 401
