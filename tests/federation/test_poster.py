"""Deliveries go through a lean HTTP/1.1 client (federation.poster): over real loopback connections,
it keeps them alive per host, signs what it sends, reads every framing of an answer, caps what it
reads, follows no redirect, stops at its deadline, and verifies https."""
from __future__ import annotations

import asyncio
import json

import pytest
import yarl

from federation import httpsig
from federation.http import FederationClient, FetchError, PeerBusy
from tests.rig.signing import client_signer
from tests.rig.tls import make_ca_and_cert

OK = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
BODY = json.dumps({"type": "Create", "id": "http://sender.test/activities/1"}).encode()


class Server:
    """A loopback HTTP server that records each request and the connection it came on, and answers
    with `answer(n)` (the n-th request, from 0); it closes the connection after an answer when
    `close_after` says so."""

    def __init__(self, answer=lambda n: OK, close_after=lambda n: False, ssl=None, delay=lambda n: 0.0):  # noqa: ANN001
        self.answer, self.close_after, self.ssl, self.delay = answer, close_after, ssl, delay
        self.requests: list[tuple[int, bytes, bytes]] = []  # (connection number, head, body)
        self.connections = 0

    async def __aenter__(self) -> "Server":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                n = len(self.requests)
                self.requests.append((number, head, body))
                if self.delay(n):
                    await asyncio.sleep(self.delay(n))
                writer.write(self.answer(n))
                await writer.drain()
                if self.close_after(n):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def client(port: int, *, insecure: bool = True, timeout: float = 5, cap: int = 1024, **signers) -> FederationClient:
    return FederationClient(host_map={"peer.test": ("127.0.0.1", port)}, insecure_http=insecure, timeout=timeout,
                            max_body_bytes=cap, user_agent="Backchannel/test", **signers)


async def deliver(port: int, count: int = 1, **settings) -> list:
    """POST `count` deliveries one after another; each outcome is a status or a FetchError."""
    c = client(port, **settings)
    await c.start()
    outcomes = []
    try:
        for i in range(count):
            try:
                outcomes.append(await c.post_activity(f"http://peer.test/users/u{i}/inbox", BODY, client_signer()[0]))
            except FetchError as err:
                outcomes.append(err)
    finally:
        await c.close()
    return outcomes


async def deliver_together(port: int, count: int, errors: bool = False, **settings) -> list:
    """POST `count` deliveries at once; their statuses (with `errors`, a FetchError for a failed one)."""
    c = client(port, **settings)
    await c.start()
    try:
        return await asyncio.gather(*(c.post_activity(f"http://peer.test/users/u{i}/inbox", BODY, client_signer()[0])
                                      for i in range(count)), return_exceptions=errors)
    finally:
        await c.close()


async def verified(head: bytes, body: bytes) -> httpsig.VerifiedSignature:
    """The signature of a request the server received, checked with the sender's key."""
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)

    async def key(key_id, _refresh):
        return client_signer()[1]
    return await httpsig.verify_request("POST", f"http://peer.test{lines[0].split()[1]}", headers, body, key)


async def test_deliveries_to_one_host_share_one_kept_alive_connection_and_are_signed():
    async with Server() as server:
        assert await deliver(server.port, count=5) == [202] * 5
    assert server.connections == 1 and len(server.requests) == 5
    _, head, body = server.requests[3]
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /users/u3/inbox HTTP/1.1" and body == BODY
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    assert headers["Host"] == "peer.test" and headers["User-Agent"] == "Backchannel/test"
    assert (await verified(head, body)).key_id == client_signer()[0].key_id


async def test_at_most_eight_connections_to_one_host_at_a_time():
    async with Server() as server:
        assert await deliver_together(server.port, 40) == [202] * 40
    assert server.connections <= 8


async def test_waiting_for_one_of_the_eight_connections_does_not_spend_a_deliverys_time():
    # Timeout 2 s: the first eight take 0.9 s, the next eight wait for them and then take 1.5 s
    # themselves (2.4 s after they began, of which 1.5 s is the peer's).
    async with Server(delay=lambda n: 0.9 if n < 8 else 1.5) as server:
        assert await deliver_together(server.port, 16, timeout=2) == [202] * 16


async def test_a_delivery_that_waits_too_long_for_a_connection_is_not_sent_and_not_the_peers_failure():
    # Timeout 2 s: a delivery waits at most 1 s for one of the host's eight connections.
    async with Server(delay=lambda n: 1.5) as server:
        outcomes = await deliver_together(server.port, 9, errors=True, timeout=2)
    assert outcomes.count(202) == 8 and len(server.requests) == 8
    [busy] = [o for o in outcomes if o != 202]
    assert isinstance(busy, PeerBusy) and "busy" in str(busy)


async def test_a_connection_the_server_dropped_while_idle_is_replaced():
    # The server closes every connection after its answer without saying so (no Connection: close).
    async with Server(close_after=lambda n: True) as server:
        assert await deliver(server.port, count=3) == [202] * 3
    assert len(server.requests) == 3 and server.connections == 3


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\n0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nfine",
    b"HTTP/1.1 202 Accepted\r\nConnection: close\r\n\r\nfine",
    b"HTTP/1.0 202 Accepted\r\n\r\nfine",
])
async def test_every_framing_of_an_answer_is_read(answer):
    async with Server(answer=lambda n: answer, close_after=lambda n: b"chunked" not in answer) as server:
        assert await deliver(server.port, count=2) == [202, 202]


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\n3;x=y\r\nabc\r\n0\r\nA: b\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nfine",
])
async def test_an_answer_arriving_a_few_bytes_at_a_time_is_read_whole(answer):
    # The answer is parsed as its bytes arrive (federation.poster._Connection): any split will do.
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]))
            for i in range(0, len(answer), 3):
                writer.write(answer[i:i + 3])
                await writer.drain()
                await asyncio.sleep(0.001)
        writer.close()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        assert await deliver(server.sockets[0].getsockname()[1], count=2) == [202, 202]
    finally:
        server.close()


async def test_a_refusal_carries_its_reason_and_retry_after():
    answer = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 9\r\n\r\nslow down"
    async with Server(answer=lambda n: answer) as server:
        [err] = await deliver(server.port)
    assert err.status == 429 and err.retry_after == 30 and "slow down" in str(err)


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 202 Accepted\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
    b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n" + b"401\r\n" + b"x" * 1025 + b"\r\n0\r\n\r\n",
    b"HTTP/1.1 202 Accepted\r\nConnection: close\r\n\r\n" + b"x" * 5000,
    b"HTTP/1.1 202 Accepted\r\nX-Pad: " + b"x" * 70000 + b"\r\n\r\n",
])
async def test_an_answer_larger_than_the_cap_fails_the_delivery(answer):
    async with Server(answer=lambda n: answer, close_after=lambda n: True) as server:
        [err] = await deliver(server.port)
    assert isinstance(err, FetchError) and err.status is None


@pytest.mark.parametrize("answer", [b"HTTP/1.1 2x2 Accepted\r\n\r\n", b"SMTP ready\r\n\r\n",
                                    b"HTTP/1.1 202 OK\r\nbad header\r\n\r\n",
                                    b"HTTP/1.1 202 OK\r\nContent-Length: 1, 2\r\n\r\n",
                                    b"HTTP/1.1 202 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 70000 + b"\r\n",
                                    b"HTTP/1.1 202 OK\r\nTransfer-Encoding: gzip\r\n\r\n"])
async def test_a_malformed_answer_fails_the_delivery(answer):
    async with Server(answer=lambda n: answer, close_after=lambda n: True) as server:
        [err] = await deliver(server.port)
    assert isinstance(err, FetchError) and err.status is None


async def test_a_redirect_is_not_followed():
    async with Server(answer=lambda n: b"HTTP/1.1 308 Moved\r\nLocation: http://peer.test/elsewhere\r\n"
                                       b"Content-Length: 0\r\n\r\n") as server:
        [err] = await deliver(server.port)
    assert err.status == 308 and len(server.requests) == 1


async def test_a_server_that_never_answers_fails_at_the_deadline():
    async with Server(answer=lambda n: b"") as server:
        [err] = await deliver(server.port, timeout=1)
    assert "timed out" in str(err)


async def test_https_is_verified(tmp_path, monkeypatch):
    ca, context = make_ca_and_cert(tmp_path / "good", ["peer.test"])
    _other_ca, wrong = make_ca_and_cert(tmp_path / "bad", ["peer.test"])
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the node trusts the test CA this way (tests/rig/tls.py)
    for server_context, delivered in ((context, True), (wrong, False)):
        async with Server(ssl=server_context) as server:
            c = client(server.port, insecure=False)
            await c.start()
            try:
                if delivered:
                    assert await c.post_activity("https://peer.test/inbox", BODY, client_signer()[0]) == 202
                    assert len(server.requests) == 1
                else:
                    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
                        await c.post_activity("https://peer.test/inbox", BODY, client_signer()[0])
                    assert server.requests == []
            finally:
                await c.close()


@pytest.mark.parametrize("signers", [{"signing_processes": 1}, {"signing_threads": 2}])
async def test_deliveries_signed_together_beside_the_loop_each_carry_their_own_signature(signers):
    async with Server() as server:
        assert await deliver_together(server.port, 12, timeout=30, **signers) == [202] * 12
    for _, head, body in server.requests:
        await verified(head, body)


@pytest.mark.parametrize("url", [
    "http://peer.test/users/x/inbox", "https://Peer.Test:443/inbox", "http://peer.test:8080/u/inbox", "http://peer.test",
    "http://peer.test/a/../b", "http://peer.test/./x", "http://peer.test/x/.", "http://peer.test/x?y=1",
    "http://peer.test/x#f", "http://u@peer.test/x", "http://[::1]:80/x", "http://peer.test/%41", "http://peer.test/ü",
    "http://①②⑦.0.0.1/x", "http://peer.test/users/x.y/inbox", "HTTP://PEER.TEST/X", "http://peer.test//x",
    "http://peer.test:/x"])
def test_a_delivery_url_is_read_as_yarl_reads_it(url):
    # The poster reads a plain inbox URL without yarl (federation.poster._parts): the same host, port
    # and request target.
    from federation.poster import _parts

    parsed = yarl.URL(url)
    assert _parts(url) == (parsed.scheme, parsed.raw_host, parsed.port, parsed.explicit_port, parsed.raw_path_qs or "/")
