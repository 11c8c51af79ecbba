"""Trends from this node's own posts of the last 7 days."""
from __future__ import annotations

import time

from models import trends


async def test_tags_rank_by_distinct_accounts_with_a_daily_history(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    await alice.post_status("#Python is nice")
    await alice.post_status("more #python and #rust")
    await bob.post_status("#python too")
    await carol.post_status("#rust here")
    await carol.post_status("#python #secret", visibility="private")  # not public: does not count
    await carol.post_status("#secret", visibility="direct")

    response = await node.client.get("/api/v1/trends/tags")
    assert response.status == 200
    found = await response.json()
    assert [t["name"] for t in found] == ["python", "rust"]
    python = found[0]
    assert python["url"].endswith("/tags/python")
    assert len(python["history"]) == 7
    today = trends.day_starts(time.time())[0]
    assert python["history"][0] == {"day": str(today), "uses": "3", "accounts": "2"}
    assert all(h["uses"] == "0" for h in python["history"][1:])
    assert found[1]["history"][0] == {"day": str(today), "uses": "2", "accounts": "2"}

    assert [t["name"] for t in await (await node.client.get("/api/v1/trends/tags?limit=1")).json()] == ["python"]
    assert [t["name"] for t in await (await node.client.get("/api/v1/trends/tags?offset=1")).json()] == ["rust"]
    assert [t["name"] for t in await (await node.client.get("/api/v1/trends")).json()] == ["python", "rust"]


async def test_statuses_rank_by_favourites_and_boosts(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    quiet = await alice.post_status("nobody notices")
    liked = await alice.post_status("liked once")
    loved = await bob.post_status("liked and boosted")
    hidden = await bob.post_status("followers only, liked", visibility="private")
    await carol.post(f"/api/v1/statuses/{liked['id']}/favourite")
    await carol.post(f"/api/v1/statuses/{loved['id']}/favourite")
    await carol.post(f"/api/v1/statuses/{loved['id']}/reblog")
    await alice.post(f"/api/v1/statuses/{hidden['id']}/favourite")

    found = await (await node.client.get("/api/v1/trends/statuses")).json()
    assert [s["id"] for s in found] == [loved["id"], liked["id"]]
    assert found[0]["reblogs_count"] == 1 and found[0]["favourites_count"] == 1
    assert quiet["id"] not in [s["id"] for s in found]
    # A signed-in viewer sees its own favourite and boost flags.
    mine = await (await carol.get("/api/v1/trends/statuses?limit=1")).json()
    assert [s["id"] for s in mine] == [loved["id"]] and mine[0]["favourited"] and mine[0]["reblogged"]


async def test_links_are_always_empty(node):
    await node.person("alice")
    assert await (await node.client.get("/api/v1/trends/links")).json() == []
