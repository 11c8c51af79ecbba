"""Routes: ids in paths are constrained to digits, so a malformed id is a 404 (never a 500) and a
fixed path such as /api/v1/accounts/lookup reaches its own handler whatever order the routes were
registered in."""
from __future__ import annotations

import pytest

import api
from backchannel.app import create_app
from backchannel.keys import RUNTIME
from tests.api.conftest import ApiNode, node_config, settle

MALFORMED_IDS = ["abc", "-1", "1e5", "0x10", "%F0%9F%92%A9", "%D9%A3", "99999999999999999999999", "1%20"]
ID_ROUTES = ["/api/v1/statuses/{}", "/api/v1/statuses/{}/context", "/api/v1/accounts/{}",
             "/api/v1/accounts/{}/statuses", "/api/v1/lists/{}", "/api/v1/notifications/{}",
             "/api/v1/polls/{}", "/api/v2/filters/{}", "/api/v1/media/{}", "/api/v1/scheduled_statuses/{}",
             "/api/v2/notifications/{}"]


@pytest.fixture(params=["as declared", "reversed"])
async def ordered_node(request, aiohttp_client, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """A node whose API modules, and the routes inside each, are registered in the given order."""
    if request.param == "reversed":
        monkeypatch.setattr(api, "MODULES", tuple(reversed(api.MODULES)))
        for module in api.MODULES:
            monkeypatch.setattr(module, "ROUTES", list(reversed(module.ROUTES)))
    app = create_app(node_config(tmp_path))
    client = await aiohttp_client(app)
    node = ApiNode(client, app[RUNTIME])
    yield node
    await settle(node.rt)


async def test_a_malformed_id_is_a_404_not_a_500(ordered_node):
    # Given a signed-in person
    alice = await ordered_node.person("alice")
    for route in ID_ROUTES:
        for bad in MALFORMED_IDS:
            # When they ask for a record by something that is not an id
            response = await alice.get(route.format(bad))
            # Then the answer is Mastodon's 404, as JSON
            assert response.status == 404, (route, bad, response.status)
            assert (await response.json())["error"] == "Record not found", (route, bad)


async def test_fixed_paths_reach_their_own_handlers_in_any_order(ordered_node):
    # Given two people, one following the other, a thread and a list
    alice = await ordered_node.person("alice")
    bob = await ordered_node.person("bob")
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/follow")).status == 200
    first = await bob.post_status("first")
    reply = await alice.post_status("a reply", in_reply_to_id=first["id"])

    # When the fixed paths next to /{id} routes are asked for, Then each answers as itself
    me = await (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert me["id"] == alice.id and "source" in me
    found = await (await alice.get("/api/v1/accounts/lookup", params={"acct": "bob"})).json()
    assert found["id"] == bob.id
    matches = await (await alice.get("/api/v1/accounts/search", params={"q": "bob"})).json()
    assert [a["id"] for a in matches] == [bob.id]
    rels = await (await alice.get("/api/v1/accounts/relationships", params={"id[]": bob.id})).json()
    assert rels[0]["id"] == bob.id and rels[0]["following"] is True
    familiar = await alice.get("/api/v1/accounts/familiar_followers", params={"id[]": bob.id})
    assert familiar.status == 200 and (await familiar.json())[0]["id"] == bob.id
    context = await (await alice.get(f"/api/v1/statuses/{first['id']}/context")).json()
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert (await (await alice.get(f"/api/v1/statuses/{first['id']}")).json())["id"] == first["id"]
    unread = await (await bob.get("/api/v1/notifications/unread_count")).json()
    assert set(unread) == {"count"}
    policy = await (await bob.get("/api/v2/notifications/policy")).json()
    assert "for_not_following" in policy
    assert await (await bob.get("/api/v1/featured_tags/suggestions")).json() == []
    assert await (await alice.get("/api/v1/notifications/requests")).json() == []


async def test_every_route_answers_the_same_with_a_trailing_slash(ordered_node):
    # Given a signed-in person (Mastodon.py adds a trailing slash to some paths; Mastodon accepts one
    # on every route)
    alice = await ordered_node.person("alice")
    fixed = sorted({info["path"] for route in ordered_node.client.app.router.routes()
                    if route.method == "GET" and "path" in (info := route.resource.get_info())
                    and info["path"].startswith("/api/") and not info["path"].endswith("/")})
    assert len(fixed) > 50, fixed
    for path in fixed:
        # When a fixed API path is asked for with and without the slash, Then both answer alike
        bare, slashed = await alice.get(path), await alice.get(path + "/")
        assert (slashed.status, slashed.content_type) == (bare.status, bare.content_type), path
    # A POST keeps its body (no redirect), and a route with an id takes the slash too
    created = await alice.post("/api/v1/statuses/", json={"status": "with a slash"})
    assert created.status == 200
    status_id = (await created.json())["id"]
    again = await alice.get(f"/api/v1/statuses/{status_id}/")
    assert again.status == 200 and (await again.json())["content"] == (await created.json())["content"]
    # Only one slash is forgiven, and an unknown path stays Mastodon's 404
    assert (await alice.get("/api/v1/instance//")).status == 404
    unknown = await alice.get("/api/v1/no_such_thing/")
    assert unknown.status == 404 and (await unknown.json())["error"] == "Record not found"
