"""The streaming API over WebSocket and server-sent events: who gets which event, and only what they
may see."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp

WS = "/api/v1/streaming"


async def connect(person, *streams: str, **query: str):  # noqa: ANN001, ANN201
    """A WebSocket for `person`, subscribed to `streams` by message (the first by query string)."""
    params = {"access_token": person.token, **query}
    ws = await person.node.client.ws_connect(WS, params=params)
    for stream in streams:
        await ws.send_json({"type": "subscribe", "stream": stream, **query})
    await asyncio.sleep(0.1)  # subscriptions are applied in order, before the next event is polled
    return ws


async def next_event(ws, match=lambda m: True, timeout: float = 5.0) -> dict:  # noqa: ANN001
    """The next message satisfying `match`, with its payload parsed."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no matching stream event"
        message = await ws.receive(timeout=left)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        body = json.loads(message.data)
        if "payload" in body and body["event"] not in ("delete",):
            body["payload"] = json.loads(body["payload"])
        if match(body):
            return body


async def nothing_more(ws, wait: float = 1.0) -> list[dict]:  # noqa: ANN001
    """Whatever arrives within `wait` seconds (the hub polls every 250 ms)."""
    got = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await ws.receive(timeout=left)
        except asyncio.TimeoutError:
            break
        got.append(json.loads(message.data))
    return got


async def test_health(node):
    response = await node.client.get("/api/v1/streaming/health")
    assert response.status == 200 and await response.text() == "OK"


async def test_the_hashtag_stream_alone_is_open_without_a_token_and_carries_public_posts_only(node):
    # Given an anonymous reader of the hashtag stream (a chat's live page)
    response = await node.client.get("/api/v1/streaming/hashtag", params={"tag": "TalkTech"})
    assert response.status == 200
    alice = await node.person("alice")
    # When posts with the tag are made: local-only, followers-only, unlisted, then public
    for visibility in ("local", "private", "unlisted"):
        await alice.post_status(f"{visibility} #TalkTech", visibility=visibility)
    public = await alice.post_status("public #TalkTech")
    # Then the first update it hears is the public post
    data = ""
    while not data.startswith("data: "):
        data = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\n")
    assert json.loads(data[len("data: "):])["id"] == public["id"]
    response.close()
    # and no other stream, nor the WebSocket, opens without a token
    for path in ("/api/v1/streaming/hashtag/local", "/api/v1/streaming/public", "/api/v1/streaming/user"):
        assert (await node.client.get(path, params={"tag": "TalkTech"})).status == 401, path


async def test_a_token_is_required(node):
    response = await node.client.get("/api/v1/streaming/public")
    assert response.status == 401
    bad = await node.client.get("/api/v1/streaming/user", params={"access_token": "nope"})
    assert bad.status == 401
    upgrade = await node.client.get(WS, headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                  "Sec-WebSocket-Version": "13",
                                                  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert upgrade.status == 401


async def test_user_stream_gets_home_updates_notifications_and_deletes(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/follow")).status == 200
    ws = await connect(alice, "user")

    posted = await bob.post_status("hello followers")
    update = await next_event(ws, lambda m: m["event"] == "update")
    assert update["stream"] == ["user"]
    assert update["payload"]["id"] == posted["id"]
    assert update["payload"]["account"]["acct"] == "bob"

    mention = await bob.post_status("@alice look at this")
    notification = await next_event(ws, lambda m: m["event"] == "notification")
    assert notification["payload"]["type"] == "mention"
    assert notification["payload"]["status"]["id"] == mention["id"]

    await bob.delete(f"/api/v1/statuses/{posted['id']}")
    deleted = await next_event(ws, lambda m: m["event"] == "delete")
    assert deleted["payload"] == posted["id"] and deleted["stream"] == ["user"]
    await ws.close()


async def test_status_update_on_edit(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")
    posted = await bob.post_status("first version")
    ws = await connect(alice, "user")
    await bob.put(f"/api/v1/statuses/{posted['id']}", json={"status": "second version"})
    edited = await next_event(ws, lambda m: m["event"] == "status.update")
    assert "second version" in edited["payload"]["content"]
    await ws.close()


async def test_public_streams_carry_only_what_they_should(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    ws = await connect(alice, "public", "public:local", "public:remote")
    await ws.send_json({"type": "subscribe", "stream": "hashtag", "tag": "Cats"})
    await asyncio.sleep(0.1)

    await bob.post_status("followers only", visibility="private")
    await bob.post_status("to nobody in particular", visibility="unlisted")
    await bob.post_status("a secret for alice @alice", visibility="direct")
    public = await bob.post_status("hello world #cats")
    local = await bob.post_status("just for us", visibility="local")

    got = await nothing_more(ws, 1.5)
    seen = {(tuple(m["stream"]), json.loads(m["payload"])["id"]) for m in got if m["event"] == "update"}
    assert seen == {(("public",), public["id"]), (("public:local",), public["id"]),
                    (("hashtag", "cats"), public["id"]),
                    (("public",), local["id"]), (("public:local",), local["id"])}
    await ws.close()


async def test_private_posts_reach_only_followers(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")
    alice_ws = await connect(alice, "user")
    carol_ws = await connect(carol, "user", "public")
    private = await bob.post_status("followers only", visibility="private")
    update = await next_event(alice_ws, lambda m: m["event"] == "update")
    assert update["payload"]["id"] == private["id"]
    assert await nothing_more(carol_ws, 1.0) == []
    await alice_ws.close()
    await carol_ws.close()


async def test_scopes_decide_the_streams(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    only_notifications = await node.token(alice, "read:notifications")
    ws = await node.client.ws_connect(WS, params={"access_token": only_notifications})
    await ws.send_json({"type": "subscribe", "stream": "user"})
    refused = json.loads((await ws.receive(timeout=5)).data)
    assert refused["status"] == 401 and "error" in refused
    await ws.send_json({"type": "subscribe", "stream": "nonsense"})
    assert json.loads((await ws.receive(timeout=5)).data)["status"] == 400
    await ws.send_json({"type": "subscribe", "stream": "user:notification"})
    await asyncio.sleep(0.1)
    await bob.post_status("@alice hi")
    notification = await next_event(ws)
    assert notification["stream"] == ["user:notification"] and notification["event"] == "notification"
    await ws.close()

    write_only = await node.token(alice, "write")
    response = await node.client.get("/api/v1/streaming/user", params={"access_token": write_only})
    assert response.status == 401

    # A user stream without read:notifications carries no notifications.
    statuses_only = await node.token(alice, "read:statuses")
    ws = await node.client.ws_connect(WS, params={"access_token": statuses_only, "stream": "user"})
    await asyncio.sleep(0.1)
    await bob.post_status("@alice again")
    assert [m for m in await nothing_more(ws, 1.0) if m["event"] == "notification"] == []
    await ws.close()


async def test_token_in_the_websocket_protocol_header(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    ws = await node.client.ws_connect(WS, params={"stream": "public:local"}, protocols=(alice.token,))
    assert ws.protocol == alice.token
    posted = await bob.post_status("over the protocol header")
    event = await next_event(ws)
    assert event["payload"]["id"] == posted["id"]
    await ws.close()


async def test_unsubscribe(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    ws = await connect(alice, "public")
    await ws.send_json({"type": "unsubscribe", "stream": "public"})
    await asyncio.sleep(0.1)
    await bob.post_status("nobody is listening")
    assert await nothing_more(ws, 1.0) == []
    await ws.close()


async def test_server_sent_events(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    response = await node.client.get("/api/v1/streaming/hashtag", params={"tag": "news"},
                                     headers=alice.headers())
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    await bob.post_status("no tag here")
    posted = await bob.post_status("breaking #news")
    lines: list[str] = []
    while "" not in lines or not any(line.startswith("data: ") for line in lines):
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith(":"):
            continue
        lines.append(line)
    assert lines[0] == "event: update"
    assert json.loads(lines[1][len("data: "):])["id"] == posted["id"]
    response.close()


async def test_direct_stream_gets_conversations_of_participants_only(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    alice_ws = await connect(alice, "direct")
    carol_ws = await connect(carol, "direct", "public", "user")
    posted = await bob.post_status("@alice between us", visibility="direct")
    conversation = await next_event(alice_ws, lambda m: m["event"] == "conversation")
    assert conversation["stream"] == ["direct"]
    assert conversation["payload"]["last_status"]["id"] == posted["id"]
    assert [a["acct"] for a in conversation["payload"]["accounts"]] == ["bob"]
    assert conversation["payload"]["unread"] is True
    assert await nothing_more(carol_ws, 1.0) == []
    await alice_ws.close()
    await carol_ws.close()


async def test_blocked_accounts_stay_off_the_streams(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/block")).status == 200
    ws = await connect(alice, "public", "user")
    await bob.post_status("can anyone hear me")
    await bob.post_status("@alice hello?")
    assert await nothing_more(ws, 1.0) == []
    await ws.close()


async def test_list_stream(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    for other in (bob, carol):
        await alice.post(f"/api/v1/accounts/{other.id}/follow")
    made = await alice.post("/api/v1/lists", json={"title": "Experts"})
    assert made.status == 200, await made.text()
    list_id = (await made.json())["id"]
    added = await alice.post(f"/api/v1/lists/{list_id}/accounts", json={"account_ids": [bob.id]})
    assert added.status == 200, await added.text()
    ws = await connect(alice)
    await ws.send_json({"type": "subscribe", "stream": "list", "list": list_id})
    await asyncio.sleep(0.1)
    await carol.post_status("not on the list")
    posted = await bob.post_status("on the list")
    event = await next_event(ws)
    assert event["stream"] == ["list", list_id] and event["payload"]["id"] == posted["id"]
    assert await nothing_more(ws, 0.8) == []

    # Someone else's list streams nothing.
    carol_ws = await connect(carol)
    await carol_ws.send_json({"type": "subscribe", "stream": "list", "list": list_id})
    await bob.post_status("still on alice's list")
    assert await nothing_more(carol_ws, 1.0) == []
    await ws.close()
    await carol_ws.close()


async def test_a_revoked_token_ends_its_streams(node, monkeypatch):
    from api import streaming
    from models import oauth

    monkeypatch.setattr(streaming, "RECHECK_EVERY", 0.3)
    alice = await node.person("alice")
    ws = await connect(alice, "user")
    sse = await node.client.get("/api/v1/streaming/public", headers=alice.headers())
    async with node.rt.db.write() as conn:
        assert await oauth.revoke_token(conn, alice.token)
    closed = await ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    rest = await asyncio.wait_for(sse.content.read(), 5)  # the server ends the response
    assert b"event:" not in rest
