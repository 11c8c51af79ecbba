"""Issue 9 item 6: streaming subscriptions are bounded. One connection holds at most 100 streams and
one account at most 16 open streams (SECURITY.md, "Limits"); a flood of subscriptions is refused,
not stored, and a public post still reaches its listeners at once. Real WebSockets and server-sent
events against a node of the real app, on SQLite and on PostgreSQL."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.api.test_streaming import WS, connect, next_event, nothing_more

MAX_SUBSCRIPTIONS = 100
MAX_CONNECTIONS_PER_ACCOUNT = 16


async def test_a_connection_holds_at_most_100_subscriptions(db_node):
    # Given alice's WebSocket and bob, who posts in public
    alice = await db_node.person("alice")
    bob = await db_node.person("bob")
    ws = await connect(alice)

    # When she asks for 1,000 hashtag streams on it
    for n in range(1000):
        await ws.send_json({"type": "subscribe", "stream": "hashtag", "tag": f"t{n}"})
    refusals = []
    while len(refusals) < 1000 - MAX_SUBSCRIPTIONS:
        reply = await next_event(ws, timeout=10)
        refusals.append(reply)

    # Then the first 100 are kept and every further one is refused with a 429 naming the stream
    assert all(r["status"] == 429 and "Too many subscriptions" in r["error"] for r in refusals)
    assert [r["stream"] for r in refusals] == [["hashtag", f"t{n}"] for n in range(MAX_SUBSCRIPTIONS, 1000)]
    # And asking again for one she has is no new subscription, so it is not refused
    await ws.send_json({"type": "subscribe", "stream": "hashtag", "tag": "t5"})
    assert await nothing_more(ws, 0.5) == []
    # And a public post reaches the streams she holds at once, and not those refused
    await bob.post_status("#t99 #t100 #t999 hello")
    event = await next_event(ws, timeout=5)
    assert event["stream"] == ["hashtag", "t99"] and "hello" in event["payload"]["content"]
    assert await nothing_more(ws, 0.8) == []
    # And after she drops one, there is room for another
    await ws.send_json({"type": "unsubscribe", "stream": "hashtag", "tag": "t0"})
    await ws.send_json({"type": "subscribe", "stream": "hashtag", "tag": "t100"})
    await asyncio.sleep(0.1)
    await bob.post_status("#t0 #t100 again")
    event = await next_event(ws, timeout=5)
    assert event["stream"] == ["hashtag", "t100"]
    assert await nothing_more(ws, 0.8) == []
    await ws.close()


async def test_an_account_holds_at_most_16_open_streams(db_node):
    # Given alice with 16 open streams: 15 WebSockets and one server-sent event stream
    alice = await db_node.person("alice")
    bob = await db_node.person("bob")
    sockets = [await connect(alice, "public") for _ in range(MAX_CONNECTIONS_PER_ACCOUNT - 1)]
    sse = await db_node.client.get("/api/v1/streaming/public", headers=alice.headers())
    assert sse.status == 200

    # When she opens one more, as a WebSocket or as server-sent events
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await db_node.client.ws_connect(WS, params={"access_token": alice.token, "stream": "public"})
    more_sse = await db_node.client.get("/api/v1/streaming/user", headers=alice.headers())

    # Then both are refused with 429, and her open streams still work
    assert refused.value.status == 429
    assert more_sse.status == 429 and "Too many open streams" in (await more_sse.json())["error"]
    posted = await bob.post_status("still streaming")
    for ws in sockets:
        event = await next_event(ws, timeout=5)
        assert event["payload"]["id"] == posted["id"]
    # And someone else is not limited by her streams
    bobs = await connect(bob, "public")
    # And when she closes one, she may open another
    await sockets.pop().close()
    await asyncio.sleep(0.2)
    again = await connect(alice, "public")
    posted = await bob.post_status("after the reconnect")
    assert (await next_event(again, timeout=5))["payload"]["id"] == posted["id"]
    assert (await next_event(bobs, timeout=5))["payload"]["id"] == posted["id"]
    for ws in [*sockets, again, bobs]:
        await ws.close()
    sse.close()
