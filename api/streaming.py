"""The streaming API: /api/v1/streaming over WebSocket, and server-sent events at the per-stream paths
(/api/v1/streaming/user, /public/local, /hashtag?tag=…) that Mastodon.py and older clients use.

Events are rows of `stream_events`, written by the use cases in the transaction that caused them
(models.stream_events), so they reach every API process over the same database. One `Hub` per
process reads new rows from the table (looking back a few seconds, because transactions that took
their ids earlier can commit later): on PostgreSQL as soon as a NOTIFY says a transaction that wrote
some has committed (models.notify; a connection of its own, reopened when it drops), on SQLite every
`stream_poll_interval` seconds (on PostgreSQL every SAFETY_POLL seconds too, in case a notification
was lost with a dropped connection). It renders each event for each connection's own viewer
with api.entities, which re-checks that the viewer may see the status and filters it in the
stream's context (home for user and list streams, public for public and hashtag streams).

Limits (SECURITY.md, "Limits"): a connection holds at most MAX_SUBSCRIPTIONS streams and an account
at most MAX_CONNECTIONS_PER_ACCOUNT open streams per API process; a public post is matched to
subscriptions by looking up the few stream keys it belongs to, so its cost does not grow with the
number of subscriptions.

A token is required, as on Mastodon; every stream needs `read:statuses` except
`user:notification`, which needs `read:notifications` (the `user` stream carries notifications only
when the token also allows those). Public streams need `read:statuses` too, stricter than Mastodon,
because a local viewer's public streams include local-only posts. One exception: the SSE `hashtag`
stream without a token, for the public live page of a hashtag chat (pages/chats.py): it carries what
the anonymous hashtag timeline shows (public posts, never local-only ones), at most
MAX_ANONYMOUS_CONNECTIONS at once per API process.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

from aiohttp import WSMsgType, web
from sqlalchemy.ext.asyncio import AsyncConnection

from api import auth
from api.middleware import error_body
from api.entities.conversations import conversation_entities
from api.entities.notifications import notification_entities
from api.entities.statuses import status_entities
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from models import account_queries, notify, oauth, social, status_queries, stream_events
from models import statuses as statuses_store
from models.accounts import Account
from models.ids import id_floor
from models.stream_events import StreamEvent
from social import streams
from social.collections import thread_root

log = logging.getLogger(__name__)

SAFETY_POLL = 5.0  # seconds between reads of the table on PostgreSQL, where NOTIFY says when to read
LOOKBACK = 10.0  # seconds: a transaction may commit this long after it took its event ids
HEARTBEAT = 15.0  # seconds between SSE comments, so proxies and clients keep the connection
PRUNE_EVERY = 60.0
RECHECK_EVERY = 30.0  # seconds between re-reading each connection's token (revoked: the stream ends)
BATCH = 1000  # events read per query
QUEUE_LIMIT = 500  # events waiting for a slow client; beyond this the connection is dropped
MAX_SUBSCRIPTIONS = 100  # streams one connection may subscribe to
MAX_CONNECTIONS_PER_ACCOUNT = 16  # open WebSocket and SSE streams of one account, per API process
MAX_ANONYMOUS_CONNECTIONS = 500  # token-less hashtag streams (chat pages), per API process
TOO_MANY_STREAMS = f"Too many open streams for this account (at most {MAX_CONNECTIONS_PER_ACCOUNT})"

# Stream name → the scope it needs (any one of them).
STREAMS = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    "public": "read:statuses",
    "public:local": "read:statuses",
    "public:remote": "read:statuses",
    "public:media": "read:statuses",
    "public:local:media": "read:statuses",
    "public:remote:media": "read:statuses",
    "hashtag": "read:statuses",
    "hashtag:local": "read:statuses",
    "list": "read:statuses",
    "direct": "read:statuses",
}
# The SSE paths under /api/v1/streaming/ and the stream each one is.
SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}


class StreamError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Subscription:
    stream: str
    tag: str | None = None  # hashtag streams, lower-case
    list_id: str | None = None

    def name(self) -> list[str]:
        """How the event names its stream: ["user"], ["hashtag", "cats"], ["list", "12"]."""
        if self.tag is not None:
            return [self.stream, self.tag]
        if self.list_id is not None:
            return [self.stream, self.list_id]
        return [self.stream]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(self.name())

    @property
    def public(self) -> bool:
        return self.stream.startswith(("public", "hashtag"))


@dataclass(eq=False)
class Connection:
    viewer: Account | None  # None: an anonymous hashtag stream (no token)
    auth: auth.Auth | None
    token: str
    by_key: dict[tuple[str, ...], Subscription] = field(default_factory=dict)  # the subscriptions
    outbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False
    opened: float = field(default_factory=time.time)

    def push(self, message: dict | None) -> None:
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True  # the sender closes the connection; the client reconnects

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self.by_key.values())

    def subscribe(self, sub: Subscription) -> bool:
        """False when the connection holds MAX_SUBSCRIPTIONS streams already (one it has is fine)."""
        if sub.key not in self.by_key and len(self.by_key) >= MAX_SUBSCRIPTIONS:
            return False
        self.by_key[sub.key] = sub
        return True

    def unsubscribe(self, sub: Subscription) -> None:
        self.by_key.pop(sub.key, None)

    def close(self) -> None:
        """Ask the sender to end the connection (the server is shutting down)."""
        self.overflowed = self.overflowed or self.outbox.full()
        self.push(None)


def subscription(auth_: auth.Auth | None, stream: str, *, tag: str | None = None,
                 list_id: str | None = None) -> Subscription:
    """Validate a requested stream for this token (None: anonymous, the public `hashtag` stream
    only); StreamError says why not."""
    scope = STREAMS.get(stream)
    if scope is None:
        raise StreamError("Unknown stream type", 400)
    if auth_ is None and stream != "hashtag":
        raise StreamError("Missing access token", 401)
    if auth_ is not None and not auth_.allows(scope):
        raise StreamError("Access token does not have the required scopes", 401)
    if stream.startswith("hashtag"):
        tag = (tag or "").lstrip("#").strip().lower()
        if not tag:
            raise StreamError("No tag for stream provided", 400)
        return Subscription(stream, tag=tag)
    if stream == "list":
        if not list_id:
            raise StreamError("No list for stream provided", 400)
        return Subscription(stream, list_id=str(list_id))
    return Subscription(stream)


class Hub:
    """Tails stream_events for this process and hands each connection what its viewer may see."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.connections: set[Connection] = set()
        self.seen: dict[int, float] = {}  # event ids already handled within the look-back window
        self.started = time.time()
        self.wakeup = asyncio.Event()  # set by a NOTIFY: new events have committed
        # On PostgreSQL NOTIFY wakes the hub; reading the table now and then only catches what a
        # dropped listening connection missed.
        interval = rt.config.stream_poll_interval
        self.poll_interval = interval if rt.db.is_sqlite else max(interval, SAFETY_POLL)

    def admit(self, connection: Connection) -> bool:
        """Add the connection, unless its account has MAX_CONNECTIONS_PER_ACCOUNT open already (or,
        anonymous, MAX_ANONYMOUS_CONNECTIONS are open)."""
        if connection.viewer is None:
            if sum(1 for c in self.connections if c.viewer is None) >= MAX_ANONYMOUS_CONNECTIONS:
                return False
        elif sum(1 for c in self.connections
                 if c.viewer is not None and c.viewer.id == connection.viewer.id) >= MAX_CONNECTIONS_PER_ACCOUNT:
            return False
        self.connections.add(connection)
        return True

    def discard(self, connection: Connection) -> None:
        self.connections.discard(connection)

    async def run(self) -> None:
        listener = None
        if not self.rt.db.is_sqlite:
            listener = asyncio.create_task(notify.listen(self.rt.db.url, notify.STREAM_CHANNEL, self.wakeup.set),
                                           name="streaming-listen")
        try:
            await self._loop()
        finally:
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)

    async def _loop(self) -> None:
        last_prune = 0.0
        last_check = time.time()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll_interval)
            self.wakeup.clear()
            try:
                if self.connections:
                    await self.poll()
                if time.time() - last_check > RECHECK_EVERY:
                    last_check = time.time()
                    await self.recheck()
                if time.time() - last_prune > PRUNE_EVERY:
                    last_prune = time.time()
                    await streams.prune_events(self.rt)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad event or a busy database must not stop streaming
                log.exception("streaming poll failed")
                await asyncio.sleep(1)

    async def recheck(self) -> None:
        """End the streams of tokens revoked, and of people disabled or suspended, since they connected."""
        async with self.rt.db.read() as conn:
            for connection in list(self.connections):
                if connection.viewer is None:
                    continue  # anonymous: nothing to revoke
                info = await oauth.token_info(conn, connection.token)
                if info is None or info.user is None or info.user.disabled or (
                        info.account is not None and info.account.suspended_at is not None):
                    self.discard(connection)
                    connection.close()

    async def poll(self) -> None:
        now = time.time()
        floor = id_floor(max(self.started, now - LOOKBACK))
        self.seen = {k: v for k, v in self.seen.items() if k >= floor}
        async with self.rt.db.read() as conn:
            found: list[StreamEvent] = []
            after = floor
            while True:  # page through a burst bigger than one batch
                batch = await stream_events.since(conn, after, limit=BATCH)
                found += batch
                if len(batch) < BATCH:
                    break
                after = batch[-1].id
            fresh = [e for e in found if e.id not in self.seen]
            for event in fresh:
                self.seen[event.id] = now
            if fresh:
                for connection in list(self.connections):
                    if connection.by_key:
                        await self.deliver(conn, connection, fresh)

    async def deliver(self, conn: AsyncConnection, connection: Connection, events: list[StreamEvent]) -> None:
        own = stream_events.user_stream(connection.viewer.id) if connection.viewer else None
        # Older events were meant for earlier listeners; a little slack for a transaction that wrote
        # its event just before this connection opened and committed just after.
        since = connection.opened - 2.0
        for event in events:
            if event.created_at < since:
                continue
            if event.stream == own or event.stream in ("public", "direct", "status"):
                try:
                    for message in await render(conn, self.rt, connection, event):
                        connection.push(message)
                except Exception:  # noqa: BLE001 - one unrenderable event must not end the stream
                    log.exception("cannot render stream event %s", event.id)


async def render(conn: AsyncConnection, rt: Runtime, connection: Connection, event: StreamEvent) -> list[dict]:
    """The messages `event` becomes for this connection: {"stream": [...], "event": …, "payload": str}."""
    viewer = connection.viewer
    subs = connection.subscriptions
    out: list[dict] = []

    def send(sub: Subscription, payload: str) -> None:
        out.append({"stream": sub.name(), "event": event.event, "payload": payload})

    if event.stream.startswith("user:"):
        if viewer is None:
            return out
        if event.event == "notification":
            wants = [s for s in subs if s.stream == "user:notification"
                     or (s.stream == "user" and connection.auth.allows("read:notifications"))]
            if wants:
                row = await social.get_notification(conn, viewer.id, event.ref_id)
                body = await notification_entities(conn, rt, viewer, [row] if row else [])
                for sub in wants if body else []:
                    send(sub, json.dumps(body[0]))
        elif event.event == "delete":
            for sub in subs:
                if sub.stream == "user":
                    send(sub, str(event.ref_id))
        elif event.event == "filters_changed":  # no payload, as on Mastodon (social.filters)
            for sub in subs:
                if sub.stream == "user":
                    out.append({"stream": sub.name(), "event": event.event})
        elif event.event == "update":
            wants = [s for s in subs if s.stream in ("user", "list")]
            if wants:
                body = await _status_for(conn, rt, viewer, event.ref_id, context="home")
                for sub in wants if body else []:
                    if sub.stream == "user" or await _in_list(conn, viewer, sub, body):
                        send(sub, json.dumps(body))
        return out

    if event.stream == "public" and event.event == "delete":
        for sub in subs:
            if sub.public:
                send(sub, str(event.ref_id))
        return out

    if event.stream == "public" and event.event == "update":
        if any(s.public for s in subs):
            status = await statuses_store.get(conn, event.ref_id)
            body = await _status_for(conn, rt, viewer, event.ref_id, status=status, context="public")
            if body and status:
                for sub in _public_subscriptions(connection, status, body):
                    send(sub, json.dumps(body))
        return out

    if event.stream == "direct" and viewer is not None and any(s.stream == "direct" for s in subs):
        status = await statuses_store.get(conn, event.ref_id)
        body = await _status_for(conn, rt, viewer, event.ref_id, status=status, context=None)
        if body and status:
            # As /api/v1/conversations: keyed by the thread's first post, with the other participants.
            others = [status.account_id, *(int(m["id"]) for m in body["mentions"])]
            group = {"id": await thread_root(conn, status), "last": status, "unread": status.account_id != viewer.id,
                     "participants": list(dict.fromkeys(p for p in others if p != viewer.id))}
            for conversation in await conversation_entities(conn, rt, viewer, [group]):
                for sub in subs:
                    if sub.stream == "direct":
                        send(sub, json.dumps(conversation))
        return out

    if event.stream == "status" and event.event == "status.update":
        status = await statuses_store.get(conn, event.ref_id)
        if status is None:
            return out
        if (viewer is not None and any(s.stream == "user" for s in subs)
                and await status_queries.in_home(conn, viewer.id, status.id)):
            body = await _status_for(conn, rt, viewer, event.ref_id, status=status, context="home")
            for sub in subs if body else []:
                if sub.stream == "user":
                    send(sub, json.dumps(body))
        if any(s.public for s in subs):
            body = await _status_for(conn, rt, viewer, event.ref_id, status=status, context="public")
            for sub in _public_subscriptions(connection, status, body) if body else []:
                send(sub, json.dumps(body))
    return out


async def _status_for(conn: AsyncConnection, rt: Runtime, viewer: Account, status_id: int | None, *,
                      context: str | None, status=None) -> dict | None:  # noqa: ANN001
    """The status as `viewer` sees it in `context`, or None if they may not see it (or its author is
    blocked or muted, or a `hide` filter applies)."""
    if status_id is None:
        return None
    status = status or await statuses_store.get(conn, status_id)
    if status is None:
        return None
    found = await status_entities(conn, rt, viewer, [status], context=context)
    return found[0] if found else None


def public_stream_keys(status, body: dict) -> list[tuple[str, ...]]:  # noqa: ANN001
    """The public and hashtag streams a status belongs to, as subscription keys: a handful whatever
    the number of subscriptions (a boost, or a post that is not public, belongs to none)."""
    if status.reblog_of_id is not None or status.visibility not in ("public", "local"):
        return []
    origin = "local" if status.local else "remote"
    streams = ["public", f"public:{origin}"]
    if body.get("media_attachments"):
        streams += ["public:media", f"public:{origin}:media"]
    keys: list[tuple[str, ...]] = [(s,) for s in streams]
    for tag in dict.fromkeys(t["name"].lower() for t in body.get("tags", [])):
        keys.append(("hashtag", tag))
        if status.local:
            keys.append(("hashtag:local", tag))
    return keys


def _public_subscriptions(connection: Connection, status, body: dict) -> list[Subscription]:  # noqa: ANN001
    return [connection.by_key[k] for k in public_stream_keys(status, body) if k in connection.by_key]


async def _in_list(conn: AsyncConnection, viewer: Account, sub: Subscription, body: dict) -> bool:
    """Whether a home-timeline status is by a member of the viewer's own list `sub.list_id`."""
    if not sub.list_id or not sub.list_id.isdigit() or len(sub.list_id) > 18:
        return False
    return await account_queries.in_own_list(conn, viewer.id, int(sub.list_id), int(body["account"]["id"]))


# --- Authentication -------------------------------------------------------------------------------

def _token(request: web.Request) -> tuple[str | None, str | None]:
    """(token, the WebSocket sub-protocol to echo): Authorization, access_token, or the protocol.

    A browser offers the token as its sub-protocol; the handshake must echo the one offered."""
    protocol = request.headers.get("Sec-WebSocket-Protocol", "").split(",")[0].strip() or None
    return auth.bearer_token(request) or protocol, protocol


async def _authenticate(request: web.Request, token: str | None) -> auth.Auth:
    if not token:
        raise StreamError("Missing access token", 401)
    async with request.app[RUNTIME].db.read() as conn:
        info = await oauth.token_info(conn, token)
    if info is None:
        raise StreamError("Invalid access token", 401)
    if info.account is None or info.user is None:
        raise StreamError("This method requires an authenticated user", 401)
    if info.user.disabled or info.account.suspended_at is not None:
        raise StreamError("Your login is currently disabled", 403)
    return auth.Auth(info.user, info.account, frozenset(info.scopes), info.app)


# --- Handlers -------------------------------------------------------------------------------------

HUB = web.AppKey("streaming_hub", Hub)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="OK", content_type="text/plain")


async def websocket_or_sse(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/streaming: a WebSocket when the client asks to upgrade, else SSE of `stream`."""
    ws = web.WebSocketResponse(heartbeat=30.0, protocols=())
    if not ws.can_prepare(request).ok:
        return await _sse(request, request.query.get("stream", ""))
    token, protocol = _token(request)
    try:
        auth_ = await _authenticate(request, token)
        initial = None
        if request.query.get("stream"):
            initial = subscription(auth_, request.query["stream"], tag=request.query.get("tag"),
                                   list_id=request.query.get("list"))
    except StreamError as err:
        return error_body(err.message, err.status)
    connection = Connection(auth_.account, auth_, token)  # type: ignore[arg-type]
    if initial:
        connection.subscribe(initial)
    hub = request.app[HUB]
    if not hub.admit(connection):
        return error_body(TOO_MANY_STREAMS, 429)
    if protocol:
        ws = web.WebSocketResponse(heartbeat=30.0, protocols=(protocol,))
    try:
        await ws.prepare(request)
    except BaseException:
        hub.discard(connection)
        raise
    sender = asyncio.create_task(_send_ws(ws, connection))
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                reply = _on_ws_message(connection, message.data)
                if reply:
                    await ws.send_str(json.dumps(reply))
            elif message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        hub.discard(connection)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
    return ws


def _on_ws_message(connection: Connection, raw: str) -> dict | None:
    """A subscribe or unsubscribe request; an error object to send back, or None."""
    try:
        message = json.loads(raw)
    except ValueError:
        return {"error": "Invalid JSON", "status": 400}
    if not isinstance(message, dict):
        return {"error": "Invalid message", "status": 400}
    kind, stream = message.get("type"), message.get("stream")
    if kind not in ("subscribe", "unsubscribe") or not isinstance(stream, str):
        return {"error": "Unknown message type", "status": 400}
    try:
        tag, list_id = message.get("tag"), message.get("list")
        sub = subscription(connection.auth, stream, tag=None if tag is None else str(tag),
                           list_id=None if list_id is None else str(list_id))
    except StreamError as err:
        return {"error": err.message, "status": err.status, "stream": [stream]}
    if kind == "unsubscribe":
        connection.unsubscribe(sub)
    elif not connection.subscribe(sub):
        return {"error": f"Too many subscriptions on one connection (at most {MAX_SUBSCRIPTIONS})",
                "status": 429, "stream": sub.name()}
    return None


async def _send_ws(ws: web.WebSocketResponse, connection: Connection) -> None:
    while not ws.closed:
        message = await connection.outbox.get()
        if connection.overflowed:
            await ws.close(code=1013, message=b"too slow")  # "try again later": the client reconnects
            return
        if message is None:
            await ws.close(code=1001, message=b"stream ended")
            return
        await ws.send_str(json.dumps(message))


async def sse_path(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/streaming/user, /public/local, /hashtag?tag=…: server-sent events of one stream."""
    stream = SSE_PATHS.get(request.match_info["path"].strip("/"))
    if stream is None:
        return error_body("Unknown stream type", 404)
    if request.query.get("only_media", "").lower() in ("1", "true") and stream.startswith("public"):
        stream += ":media"
    return await _sse(request, stream)


async def _sse(request: web.Request, stream: str) -> web.StreamResponse:
    token, _ = _token(request)
    try:
        if token is None and stream == "hashtag":
            sub = subscription(None, stream, tag=request.query.get("tag"))
            connection = Connection(None, None, "", {sub.key: sub})
        else:
            auth_ = await _authenticate(request, token)
            sub = subscription(auth_, stream, tag=request.query.get("tag"), list_id=request.query.get("list"))
            connection = Connection(auth_.account, auth_, token, {sub.key: sub})  # type: ignore[arg-type]
    except StreamError as err:
        return error_body(err.message, err.status)
    hub = request.app[HUB]
    if not hub.admit(connection):
        return error_body(TOO_MANY_STREAMS, 429)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no", "Access-Control-Allow-Origin": "*"})
    try:
        await response.prepare(request)
        await response.write(b":)\n")
        while not connection.overflowed:
            try:
                message = await asyncio.wait_for(connection.outbox.get(), HEARTBEAT)
            except asyncio.TimeoutError:
                await response.write(b":thump\n")
                continue
            if message is None:
                break
            data = "\n".join(f"data: {line}" for line in message.get("payload", "undefined").split("\n"))
            await response.write(f"event: {message['event']}\n{data}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.discard(connection)
    return response


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = Hub(app[RUNTIME])
    app[HUB] = hub
    task = asyncio.create_task(hub.run(), name="streaming-hub")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup(app: web.Application) -> None:
    """Routes and the per-process hub (after the runtime, which app.cleanup_ctx starts first)."""
    app.cleanup_ctx.append(_hub_ctx)
    app.on_shutdown.append(_close_all)
    app.router.add_routes(ROUTES)


async def _close_all(app: web.Application) -> None:
    """Open streams would hold a graceful shutdown up; end them (clients reconnect elsewhere)."""
    if HUB in app:
        for connection in list(app[HUB].connections):
            connection.close()


ROUTES = [
    web.get("/api/v1/streaming/health", health),
    web.get("/api/v1/streaming", websocket_or_sse),
    # Never ending in a slash: /api/v1/streaming/health/ is health (backchannel/routing.py).
    web.get(r"/api/v1/streaming/{path:.*[^/]}", sse_path),
]
