"""Filters v2 (keywords, statuses, contexts, warn/hide, expiry), the v1 view, `filtered` on statuses
and the `filters_changed` stream event."""
from __future__ import annotations

import time

from sqlalchemy import update

from models.schema import filters as filters_table
from tests.api.conftest import eventually
from tests.api.test_streaming import connect, next_event


async def _follow(a, b) -> None:  # noqa: ANN001
    assert (await a.post(f"/api/v1/accounts/{b.id}/follow")).status == 200


async def _home(person) -> list[dict]:  # noqa: ANN001
    return await (await person.get("/api/v1/timelines/home")).json()


async def test_create_read_update_delete(node):
    alice = await node.person("alice")
    response = await alice.post("/api/v2/filters", json={
        "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn", "expires_in": 3600,
        "keywords_attributes": [{"keyword": "finale", "whole_word": True}, {"keyword": "plot"}]})
    assert response.status == 200, await response.text()
    made = await response.json()
    assert set(made) == {"id", "title", "context", "expires_at", "filter_action", "keywords", "statuses"}
    assert made["title"] == "Spoilers" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "warn" and made["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [("finale", True), ("plot", True)]
    assert made["statuses"] == []

    assert [f["id"] for f in await (await alice.get("/api/v2/filters")).json()] == [made["id"]]
    assert await (await alice.get(f"/api/v2/filters/{made['id']}")).json() == made

    finale, plot = made["keywords"]
    changed = await (await alice.put(f"/api/v2/filters/{made['id']}", json={
        "title": "No spoilers", "filter_action": "hide", "context": ["thread"], "expires_in": "",
        "keywords_attributes": [{"id": finale["id"], "keyword": "ending", "whole_word": False},
                                {"id": plot["id"], "_destroy": True}, {"keyword": "twist"}]})).json()
    assert changed["title"] == "No spoilers" and changed["filter_action"] == "hide"
    assert changed["context"] == ["thread"] and changed["expires_at"] is None
    assert [(k["keyword"], k["whole_word"]) for k in changed["keywords"]] == [("ending", False), ("twist", True)]

    # The v1 view: one filter per keyword
    v1 = await (await alice.get("/api/v1/filters")).json()
    assert [(f["phrase"], f["irreversible"], f["context"]) for f in v1] == [
        ("ending", True, ["thread"]), ("twist", True, ["thread"])]

    # Keyword endpoints
    keyword = await (await alice.post(f"/api/v2/filters/{made['id']}/keywords",
                                      data={"keyword": "cliffhanger", "whole_word": "false"})).json()
    assert keyword["keyword"] == "cliffhanger" and keyword["whole_word"] is False
    assert len(await (await alice.get(f"/api/v2/filters/{made['id']}/keywords")).json()) == 3
    assert (await alice.delete(f"/api/v2/filters/keywords/{keyword['id']}")).status == 200
    assert (await alice.get(f"/api/v2/filters/keywords/{keyword['id']}")).status == 404

    # Another person sees none of it
    bob = await node.person("bob")
    assert (await bob.get(f"/api/v2/filters/{made['id']}")).status == 404
    assert (await bob.put(f"/api/v2/filters/{made['id']}", json={"title": "x"})).status == 404
    assert (await bob.delete(f"/api/v2/filters/{made['id']}")).status == 404
    assert await (await bob.get("/api/v2/filters")).json() == []

    assert (await alice.delete(f"/api/v2/filters/{made['id']}")).status == 200
    assert await (await alice.get("/api/v2/filters")).json() == []


async def test_form_encoded_create(node):
    alice = await node.person("alice")
    made = await (await alice.post("/api/v2/filters", data=[
        ("title", "Form"), ("context[]", "home"), ("context[]", "notifications"),
        ("keywords_attributes[][keyword]", "one"), ("keywords_attributes[][whole_word]", "false"),
        ("keywords_attributes[][keyword]", "two"), ("keywords_attributes[][whole_word]", "true")])).json()
    assert made["context"] == ["home", "notifications"]
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [("one", False), ("two", True)]


async def test_validation_and_scopes(node):
    alice = await node.person("alice")
    bad = [{"context": ["home"]}, {"title": "x"}, {"title": "x", "context": ["elsewhere"]},
           {"title": "x", "context": ["home"], "filter_action": "explode"},
           {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}]
    for body in bad:
        response = await alice.post("/api/v2/filters", json=body)
        assert response.status == 422, body
        assert "error" in await response.json()
    reader = await node.person("reader", scopes="read")
    assert (await reader.get("/api/v2/filters")).status == 200
    assert (await reader.post("/api/v2/filters", json={"title": "x", "context": ["home"]})).status == 403
    assert (await node.client.get("/api/v2/filters")).status == 401
    assert (await node.client.get("/api/v1/filters")).status == 401


async def test_warn_marks_and_hide_removes_in_context(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    await _follow(alice, bob)
    cats = await bob.post_status("I love cats")
    catalog = await bob.post_status("New catalog out")
    dogs = await bob.post_status("Dogs are fine")
    await eventually(lambda: _has(alice, 3))

    warn = await (await alice.post("/api/v2/filters", json={
        "title": "Cats", "context": ["home"], "keywords_attributes": [{"keyword": "cats", "whole_word": True}]})).json()
    home = {s["id"]: s for s in await _home(alice)}
    result = home[cats["id"]]["filtered"]
    assert result == [{"filter": {"id": warn["id"], "title": "Cats", "context": ["home"], "expires_at": None,
                                  "filter_action": "warn"},
                       "keyword_matches": ["cats"], "status_matches": None}]
    assert home[catalog["id"]]["filtered"] == [] and home[dogs["id"]]["filtered"] == []

    # Not in the public context, and not on the author's own view
    public = {s["id"]: s for s in await (await alice.get("/api/v1/timelines/public")).json()}
    assert public[cats["id"]]["filtered"] == []
    own = {s["id"]: s for s in await (await bob.get("/api/v1/timelines/home")).json()}
    assert own.get(cats["id"], {"filtered": []})["filtered"] == []

    # A hide filter on a status leaves it out of the timeline
    hide = await (await alice.post("/api/v2/filters", json={
        "title": "Dogs", "context": ["home", "public"], "filter_action": "hide"})).json()
    added = await (await alice.post(f"/api/v2/filters/{hide['id']}/statuses", json={"status_id": dogs["id"]})).json()
    assert added["status_id"] == dogs["id"]
    assert [s["status_id"] for s in await (await alice.get(f"/api/v2/filters/{hide['id']}/statuses")).json()] == [dogs["id"]]
    assert (await alice.get(f"/api/v2/filters/statuses/{added['id']}")).status == 200
    assert dogs["id"] not in {s["id"] for s in await _home(alice)}
    assert dogs["id"] not in {s["id"] for s in await (await alice.get("/api/v1/timelines/public")).json()}
    # …but a single status is still shown
    assert (await alice.get(f"/api/v1/statuses/{dogs['id']}")).status == 200

    assert (await alice.delete(f"/api/v2/filters/statuses/{added['id']}")).status == 200
    assert dogs["id"] in {s["id"] for s in await _home(alice)}

    # An expired filter no longer applies
    async with node.rt.db.write() as conn:
        await conn.execute(update(filters_table).values(expires_at=time.time() - 1))
    assert all(s["filtered"] == [] for s in await _home(alice))


async def _has(person, count: int) -> bool:  # noqa: ANN001
    return len(await _home(person)) >= count


async def test_whole_word_and_boosts(node):
    alice, bob, carol = await node.person("alice"), await node.person("bob"), await node.person("carol")
    await _follow(alice, bob)
    await (await alice.post("/api/v2/filters", json={
        "title": "T", "context": ["home", "account"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "cat", "whole_word": True}, {"keyword": "dog", "whole_word": False}]})).json()
    posted = await carol.post_status("a catalog of hotdogs")
    assert (await bob.post(f"/api/v1/statuses/{posted['id']}/reblog")).status == 200
    await eventually(lambda: _has(alice, 1))
    boost = (await _home(alice))[0]
    assert boost["reblog"]["id"] == posted["id"]
    assert boost["reblog"]["filtered"][0]["keyword_matches"] == ["dog"]
    assert boost["filtered"][0]["keyword_matches"] == ["dog"]
    profile = await (await alice.get(f"/api/v1/accounts/{carol.id}/statuses")).json()
    assert profile[0]["filtered"][0]["keyword_matches"] == ["dog"]


async def test_filters_changed_is_streamed(node):
    alice = await node.person("alice")
    ws = await connect(alice, "user")
    await alice.post("/api/v2/filters", json={"title": "x", "context": ["home"]})
    event = await next_event(ws, lambda m: m["event"] == "filters_changed")
    assert event == {"stream": ["user"], "event": "filters_changed"}
    await ws.close()
