"""The smaller Mastodon endpoints that Mastodon.py and other apps call: several accounts at once,
/api/v1/filters writes (the v1 view of v2 filters), notification requests (never any pending),
yearly reports (never generated), the language list and /health."""
from __future__ import annotations


async def test_several_accounts_at_once_in_the_order_asked(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    response = await alice.get("/api/v1/accounts", params=[("id[]", carol.id), ("id[]", "999999"),
                                                          ("id[]", bob.id), ("id[]", carol.id), ("id[]", "x")])
    assert response.status == 200
    assert [a["username"] for a in await response.json()] == ["carol", "bob"]


async def test_v1_filters_create_update_and_delete_through_v2(node):
    alice = await node.person("alice")
    made = await alice.post("/api/v1/filters", data={"phrase": "finale", "context[]": ["home", "public"],
                                                     "irreversible": "true", "whole_word": "false"})
    assert made.status == 200, await made.text()
    v1 = await made.json()
    assert (v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"]) == (
        "finale", ["home", "public"], True, False)
    # Seen through v2: one filter titled by the phrase, hiding, with that one keyword
    [v2] = await (await alice.get("/api/v2/filters")).json()
    assert (v2["title"], v2["filter_action"], [k["keyword"] for k in v2["keywords"]]) == ("finale", "hide", ["finale"])

    changed = await alice.put(f"/api/v1/filters/{v1['id']}", json={"phrase": "season finale", "context": ["thread"],
                                                                     "irreversible": False})
    assert changed.status == 200
    assert (await changed.json())["phrase"] == "season finale"
    [v2] = await (await alice.get("/api/v2/filters")).json()
    assert (v2["context"], v2["filter_action"]) == (["thread"], "warn")
    assert await (await alice.get(f"/api/v1/filters/{v1['id']}")).json() == await changed.json()

    # A keyword of a filter with several keywords can change, but not that filter's settings
    shared = await (await alice.post("/api/v2/filters", json={
        "title": "Sport", "context": ["home"], "keywords_attributes": [{"keyword": "goal"}, {"keyword": "match"}]})).json()
    goal = shared["keywords"][0]["id"]
    assert (await alice.put(f"/api/v1/filters/{goal}", json={"phrase": "goals"})).status == 200
    refused = await alice.put(f"/api/v1/filters/{goal}", json={"context": ["public"]})
    assert refused.status == 422 and "v2" in (await refused.json())["error"]

    # Someone else's filter is not found; a missing phrase is refused
    bob = await node.person("bob")
    assert (await bob.put(f"/api/v1/filters/{v1['id']}", json={"phrase": "x"})).status == 404
    assert (await bob.delete(f"/api/v1/filters/{v1['id']}")).status == 404
    assert (await bob.post("/api/v1/filters", json={"phrase": " ", "context": ["home"]})).status == 422
    assert (await bob.post("/api/v1/filters", json={"phrase": "x", "context": ["nowhere"]})).status == 422

    assert (await alice.delete(f"/api/v1/filters/{v1['id']}")).status == 200
    assert (await alice.get(f"/api/v1/filters/{v1['id']}")).status == 404
    assert sorted(f["phrase"] for f in await (await alice.get("/api/v1/filters")).json()) == ["goals", "match"]


async def test_notification_requests_and_annual_reports_answer_as_mastodon_with_none(node):
    alice = await node.person("alice")
    assert await (await alice.get("/api/v1/notifications/requests/merged")).json() == {"merged": True}
    for path in ("/api/v1/notifications/requests/accept", "/api/v1/notifications/requests/dismiss"):
        answer = await alice.post(path, data={"id[]": ["1", "2"]})
        assert (answer.status, await answer.json()) == (200, {})
    assert (await alice.get("/api/v1/notifications/requests/5")).status == 404
    assert (await alice.post("/api/v1/notifications/requests/5/accept")).status == 404
    assert await (await alice.get("/api/v1/annual_reports")).json() == {
        "annual_reports": [], "accounts": [], "statuses": []}
    assert (await alice.get("/api/v1/annual_reports/2026")).status == 404
    # Without a token: refused, as every notification endpoint
    assert (await node.client.get("/api/v1/notifications/requests/merged")).status == 401


async def test_languages_and_health(node):
    languages = await (await node.client.get("/api/v1/instance/languages")).json()
    codes = {entry["code"]: entry["name"] for entry in languages}
    assert codes["en"] == "English" and codes["de"] == "German" and len(codes) == len(languages) > 180
    health = await node.client.get("/health")
    assert (health.status, await health.text()) == (200, "OK")
