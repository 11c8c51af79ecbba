"""A remote server we control: serves actor documents with real keys, records what it is sent,
and signs requests of its own. It runs in a thread so sync tests (and real clients) can use it.

It is also the hostile peer of the attack tests: it signs with its own keys and says what it likes.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from federation import httpsig
from tests.rig.nodes import free_port

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
_KEYS: list[tuple[str, str]] = []


def _key_pair() -> tuple[str, str]:
    # RSA generation is slow; tests share a small pool of keys.
    if len(_KEYS) < 4:
        _KEYS.append(httpsig.generate_key_pair())
        return _KEYS[-1]
    return _KEYS[len(_KEYS) % 4 - 1]


@dataclass
class RemoteActor:
    server: "FakeRemote"
    username: str
    private_pem: str
    public_pem: str
    extra: dict = field(default_factory=dict)  # more properties for the actor document (alsoKnownAs, …)
    # Another spelling of the server's origin for this actor's ids (`http://EVIL.test.:8443`): the
    # node reaches it through its --resolve entry for that host name, whatever the port.
    spelling: str | None = None

    @property
    def base(self) -> str:
        return self.spelling or self.server.base

    @property
    def uri(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return self.uri + "#main-key"

    @property
    def inbox(self) -> str:
        return self.uri + "/inbox"

    def document(self) -> dict:
        endpoints = {"sharedInbox": f"{self.base}/inbox"} if self.server.shared_inbox else {}
        return {
            "@context": AS_CONTEXT, "id": self.uri, "type": "Person", "preferredUsername": self.username,
            "name": self.username.title(), "inbox": self.inbox, "outbox": self.uri + "/outbox",
            "followers": self.uri + "/followers", "following": self.uri + "/following",
            "endpoints": endpoints,
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
            **self.extra,
        }


@dataclass
class Received:
    path: str
    headers: dict
    body: dict


@dataclass
class FakeRemote:
    domain: str
    port: int = field(default_factory=free_port)
    actors: dict[str, RemoteActor] = field(default_factory=dict)
    objects: dict[str, dict] = field(default_factory=dict)  # path -> document served
    received: list[Received] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)  # every POST body as sent (binary ones too)
    fetched: list[str] = field(default_factory=list)  # paths of every GET, in order
    # path -> (status, headers, body): raw answers for hostile tests (redirects, wrong types, …)
    raw: dict[str, tuple[int, dict, bytes]] = field(default_factory=dict)
    raw_delay: float = 0.0  # seconds before a raw answer: a peer that hangs
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering a GET
    trickle: dict[str, float] = field(default_factory=dict)  # path -> seconds between 16-byte pieces of a raw body
    ssl_context: object = None  # an ssl.SSLContext: serve https (see tests/rig/tls.py)
    inbox_status: int = 202  # what POSTs to inboxes are answered with
    inbox_delay: float = 0.0  # seconds before answering a POST: a slow peer
    inbox_headers: dict = field(default_factory=dict)  # extra headers on inbox answers (Retry-After…)
    received_at: list[float] = field(default_factory=list)  # when each POST arrived (time.time())
    shared_inbox: bool = True  # without it, every actor is its own delivery target
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://{self.domain}"

    # --- server ---------------------------------------------------------------------------------
    def start(self) -> "FakeRemote":
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self.ssl_context)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        if request.method == "POST":
            body = await request.read()
            self.raw_bodies.append(body)
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {}
            if self.inbox_delay:
                await asyncio.sleep(self.inbox_delay)
            self.received.append(Received(path, dict(request.headers), doc))
            self.received_at.append(time.time())
            return web.Response(status=self.inbox_status, headers=self.inbox_headers)
        self.fetched.append(request.path_qs)
        if path in self.delays:
            await asyncio.sleep(self.delays[path])
        if path in self.raw:
            if self.raw_delay:
                await asyncio.sleep(self.raw_delay)
            status, headers, body = self.raw[path]
            if path in self.trickle:
                return await self._trickled(request, status, headers, body, self.trickle[path])
            return web.Response(status=status, headers=headers, body=body)
        if path == "/.well-known/webfinger":
            user = request.query.get("resource", "").removeprefix("acct:").split("@")[0]
            if user in self.actors:
                actor = self.actors[user]
                return web.json_response({"subject": f"acct:{user}@{self.domain}", "links": [
                    {"rel": "self", "type": "application/activity+json", "href": actor.uri}]},
                    content_type="application/jrd+json")
            return web.json_response({}, status=404)
        for actor in self.actors.values():
            if path == urlsplit(actor.uri).path:
                return web.json_response(actor.document(), content_type="application/activity+json")
        if path in self.objects:
            return web.json_response(self.objects[path], content_type="application/activity+json")
        return web.json_response({"error": "not found"}, status=404)

    @staticmethod
    async def _trickled(request: web.Request, status: int, headers: dict, body: bytes,
                        pause: float) -> web.StreamResponse:
        """A body sent in small pieces, each soon enough that no read waits long: only a deadline
        for the whole answer stops it."""
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        for start in range(0, len(body), 16):
            await response.write(body[start:start + 16])
            await asyncio.sleep(pause)
        await response.write_eof()
        return response

    # --- actors and requests ------------------------------------------------------------------------
    def add_actor(self, username: str, *, spelling: str | None = None) -> RemoteActor:
        """An actor served here; `spelling` writes its ids on another spelling of this origin."""
        private_pem, public_pem = _key_pair()
        actor = RemoteActor(self, username, private_pem, public_pem, spelling=spelling)
        self.actors[username] = actor
        return actor

    def serve(self, doc: dict) -> dict:
        self.objects[urlsplit(doc["id"]).path] = doc
        return doc

    def posts_to(self, path_prefix: str = "") -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_prefix)]


def post_signed(node_base: str, node_domain: str, path: str, activity: dict, actor: RemoteActor, *,
                scheme: str = "cavage", tamper=None) -> tuple[int, str]:  # noqa: ANN001
    """POST an activity to a node as `actor` would. `tamper(headers, body) -> (headers, body)` lets a
    test break the request after signing."""
    body = json.dumps(activity).encode()
    url = f"http://{node_domain}{path}"
    sign = httpsig.sign_request_rfc9421 if scheme == "rfc9421" else httpsig.sign_request_cavage
    headers = sign("POST", url, {"Content-Type": "application/activity+json"}, body,
                   actor.key_id, actor.private_pem)
    if tamper:
        headers, body = tamper(dict(headers), body)
    return raw_request(node_base + path, "POST", headers, body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None  # a test looks at the redirect itself


_opener = urllib.request.build_opener(_NoRedirects)


def raw_request(url: str, method: str, headers: dict, body: bytes | None = None) -> tuple[int, str]:
    """One request, redirects not followed (a 3xx comes back as it is, Location in the body)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        if 300 <= err.code < 400:
            return err.code, err.headers.get("Location", "")
        return err.code, err.read().decode()


def note(actor: RemoteActor, text: str, *, to: list[str] | None = None, cc: list[str] | None = None,
         suffix: str | None = None, **extra) -> dict:  # noqa: ANN003
    suffix = suffix or str(time.time_ns())
    return {"id": f"{actor.uri}/statuses/{suffix}", "type": "Note", "attributedTo": actor.uri,
            "content": f"<p>{text}</p>", "published": "2026-11-01T10:00:00Z",
            "to": to if to is not None else ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": cc if cc is not None else [actor.uri + "/followers"], **extra}


def follow(actor: RemoteActor, target_uri: str) -> dict:
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}/follows/{time.time_ns()}", "type": "Follow",
            "actor": actor.uri, "object": target_uri}


def create(actor: RemoteActor, obj: dict) -> dict:
    return {"@context": AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": actor.uri,
            "object": obj, "to": obj.get("to"), "cc": obj.get("cc")}
