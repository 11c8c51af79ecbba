"""OAuth scopes, endpoint by endpoint: a token without the scope an endpoint needs gets 403, a token
with only that scope gets 2xx, and a `read` token never writes.

One line per endpoint: (method, path, the granular scope it needs, body). Paths name the fixtures
`{status}` (bob's public post), `{own}` (a post of the viewer's, fresh for each line), `{bob}`,
`{carol}`, `{dave}` (account ids), `{notification}` and `{list}` (one of the viewer's lists). Lines
run in order, against one node; string values in a body are filled in the same way.
"""
from __future__ import annotations

from tests.api.conftest import eventually

ENDPOINTS = [
    # Accounts
    ("GET", "/api/v1/accounts/verify_credentials", "read:accounts", None),
    ("GET", "/api/v1/accounts/{bob}", "read:accounts", None),
    ("GET", "/api/v1/accounts/lookup?acct=bob", "read:accounts", None),
    ("GET", "/api/v1/accounts/search?q=bob", "read:accounts", None),
    ("GET", "/api/v1/accounts/{bob}/statuses", "read:statuses", None),
    ("GET", "/api/v1/accounts/{bob}/followers", "read:accounts", None),
    ("GET", "/api/v1/accounts/{bob}/following", "read:accounts", None),
    ("GET", "/api/v1/accounts/relationships?id[]={bob}", "read:follows", None),
    ("POST", "/api/v1/accounts/{bob}/follow", "write:follows", None),
    ("POST", "/api/v1/accounts/{bob}/unfollow", "write:follows", None),
    ("POST", "/api/v1/accounts/{dave}/block", "write:blocks", None),
    ("POST", "/api/v1/accounts/{dave}/unblock", "write:blocks", None),
    ("GET", "/api/v1/domain_blocks", "read:blocks", None),
    ("POST", "/api/v1/domain_blocks", "write:blocks", {"domain": "spam.example"}),
    ("DELETE", "/api/v1/domain_blocks", "write:blocks", {"domain": "spam.example"}),
    ("GET", "/api/v1/blocks", "read:blocks", None),
    ("POST", "/api/v1/accounts/{dave}/mute", "write:mutes", None),
    ("POST", "/api/v1/accounts/{dave}/unmute", "write:mutes", None),
    ("POST", "/api/v1/reports", "write:reports", {"account_id": "{dave}", "comment": "spam"}),
    # Follow requests (the viewer is locked; bob and carol asked to follow)
    ("GET", "/api/v1/follow_requests", "read:follows", None),
    ("POST", "/api/v1/follow_requests/{bob}/authorize", "write:follows", None),
    ("POST", "/api/v1/follow_requests/{carol}/reject", "write:follows", None),
    # Statuses
    ("POST", "/api/v1/statuses", "write:statuses", {"status": "scoped post"}),
    ("GET", "/api/v1/statuses/{status}", "read:statuses", None),
    ("GET", "/api/v1/statuses?id[]={status}", "read:statuses", None),
    ("GET", "/api/v1/statuses/{status}/context", "read:statuses", None),
    ("GET", "/api/v1/statuses/{own}/source", "read:statuses", None),
    ("PUT", "/api/v1/statuses/{own}", "write:statuses", {"status": "edited"}),
    ("DELETE", "/api/v1/statuses/{own}", "write:statuses", None),
    ("GET", "/api/v1/statuses/{status}/favourited_by", "read:accounts", None),
    ("GET", "/api/v1/statuses/{status}/reblogged_by", "read:accounts", None),
    # Favourites and boosts
    ("POST", "/api/v1/statuses/{status}/favourite", "write:favourites", None),
    ("POST", "/api/v1/statuses/{status}/unfavourite", "write:favourites", None),
    ("POST", "/api/v1/statuses/{status}/reblog", "write:statuses", None),
    ("POST", "/api/v1/statuses/{status}/unreblog", "write:statuses", None),
    ("GET", "/api/v1/favourites", "read:favourites", None),
    # Bookmarks and pins
    ("POST", "/api/v1/statuses/{status}/bookmark", "write:bookmarks", None),
    ("GET", "/api/v1/bookmarks", "read:bookmarks", None),
    ("POST", "/api/v1/statuses/{status}/unbookmark", "write:bookmarks", None),
    ("POST", "/api/v1/statuses/{own}/pin", "write:accounts", None),
    # Lists
    ("GET", "/api/v1/lists", "read:lists", None),
    ("POST", "/api/v1/lists", "write:lists", {"title": "Scoped"}),
    ("GET", "/api/v1/lists/{list}", "read:lists", None),
    ("PUT", "/api/v1/lists/{list}", "write:lists", {"title": "Renamed"}),
    ("GET", "/api/v1/lists/{list}/accounts", "read:lists", None),
    ("GET", "/api/v1/accounts/{bob}/lists", "read:lists", None),
    ("GET", "/api/v1/timelines/list/{list}", "read:lists", None),
    # Direct conversations
    ("GET", "/api/v1/conversations", "read:statuses", None),
    # Timelines
    ("GET", "/api/v1/timelines/home", "read:statuses", None),
    ("GET", "/api/v1/timelines/public", "read:statuses", None),
    ("GET", "/api/v1/timelines/tag/news", "read:statuses", None),
    # Notifications
    ("GET", "/api/v1/notifications", "read:notifications", None),
    ("GET", "/api/v1/notifications/{notification}", "read:notifications", None),
    ("POST", "/api/v1/notifications/{notification}/dismiss", "write:notifications", None),
    ("POST", "/api/v1/notifications/clear", "write:notifications", None),
    # Search
    ("GET", "/api/v2/search?q=bob", "read:search", None),
    # Mutes, filters, markers, preferences
    ("GET", "/api/v1/mutes", "read:mutes", None),
    ("GET", "/api/v2/filters", "read:filters", None),
    ("GET", "/api/v1/markers", "read:statuses", None),
    ("GET", "/api/v1/preferences", "read:accounts", None),
    # Streaming (server-sent events answer 401 without the scope, as Mastodon's streaming server)
    ("STREAM", "/api/v1/streaming/user", "read:statuses", None),
    ("STREAM", "/api/v1/streaming/user/notification", "read:notifications", None),
]


def _without(scope: str) -> str:
    """A token that lacks `scope`: the other family entirely (so read tokens are tried on writes).
    Not `follow`, which also grants read:follows, read:blocks and read:mutes."""
    return "write push" if scope.startswith("read") else "read"


async def test_every_endpoint_checks_its_scope(node):
    alice = await node.person("alice", locked=True)
    bob = await node.person("bob")
    carol = await node.person("carol")
    dave = await node.person("dave")
    status = await bob.post_status("a public post #news")
    assert (await bob.post(f"/api/v1/accounts/{alice.id}/follow")).status == 200
    assert (await carol.post(f"/api/v1/accounts/{alice.id}/follow")).status == 200
    await bob.post_status("@alice hello")

    async def notification_id():
        found = await (await alice.get("/api/v1/notifications", params={"types[]": "mention"})).json()
        return found and found[0]["id"]
    notification = await eventually(notification_id)
    made = await alice.post("/api/v1/lists", json={"title": "Experts"})
    assert made.status == 200, await made.text()
    fill = {"status": status["id"], "bob": bob.id, "carol": carol.id, "dave": dave.id,
            "notification": notification, "list": (await made.json())["id"]}

    failures = []
    for method, template, scope, body in ENDPOINTS:
        own = (await alice.post_status("mine")) if "{own}" in template else {"id": "0"}
        path = template.format(own=own["id"], **fill)
        if body:
            body = {k: v.format(**fill) if isinstance(v, str) else v for k, v in body.items()}
        for granted, expected in ((_without(scope), {401, 403} if method == "STREAM" else {403}),
                                  (scope, None)):
            token = await node.token(alice, granted)
            headers = {"Authorization": f"Bearer {token}"}
            if method == "STREAM":
                response = await node.client.get(path, headers=headers)
                got = response.status
                response.close()
            else:
                response = await node.client.request(method, path, headers=headers, json=body)
                got = response.status
            ok = got in expected if expected else 200 <= got < 300
            if not ok:
                failures.append(f"{method} {template} with {granted!r}: {got}"
                                f"{'' if method == 'STREAM' else ' ' + (await response.text())[:120]}")
    assert not failures, "\n".join(failures)


async def test_top_level_scopes_cover_their_family(node):
    alice = await node.person("alice")
    for granted, path, expected in (
            ("read", "/api/v1/timelines/home", 200),
            ("read:statuses", "/api/v1/timelines/home", 200),
            ("read:accounts", "/api/v1/timelines/home", 403),
            ("follow", "/api/v1/accounts/relationships", 200),  # the legacy scope grants read:follows
            ("profile", "/api/v1/accounts/verify_credentials", 200),
            ("profile", "/api/v1/accounts/relationships", 403)):
        token = await node.token(alice, granted)
        response = await node.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status == expected, (granted, path, await response.text())


async def test_read_token_never_writes(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    status = await bob.post_status("hello")
    token = await node.token(alice, "read")
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (("POST", "/api/v1/statuses"), ("POST", f"/api/v1/accounts/{bob.id}/follow"),
                         ("POST", f"/api/v1/statuses/{status['id']}/favourite"),
                         ("POST", f"/api/v1/statuses/{status['id']}/reblog"),
                         ("DELETE", f"/api/v1/statuses/{status['id']}"),
                         ("POST", "/api/v1/notifications/clear")):
        response = await node.client.request(method, path, headers=headers, json={"status": "x"})
        assert response.status == 403, (method, path)
    home = await (await bob.get(f"/api/v1/accounts/{alice.id}/statuses")).json()
    assert home == []


async def test_admin_api_needs_admin_scopes_and_an_admin(node):
    admin = await node.person("root", admin=True)
    plain = await node.person("alice")
    for person, granted, expected in ((admin, "admin:read", 200), (admin, "admin:read:accounts", 200),
                                      (admin, "read write follow", 403), (plain, "admin:read", 403)):
        token = await node.token(person, granted)
        response = await node.client.get("/api/v1/admin/accounts", headers={"Authorization": f"Bearer {token}"})
        assert response.status == expected, (person.account.username, granted, await response.text())
