"""HTTP/1.1 POSTs over connections kept alive per host: the transport of deliveries.

A delivery is one POST with a small answer and no redirect to follow; aiohttp's client spends about
three times the CPU of this on each (most of what a delivery costs after its signature, see
bench/run.py), so deliveries take this path and everything else stays on aiohttp.

This module only moves bytes. FederationClient checks each URL before it gets here (check_url, the
federation policy) and passes `addresses`, which says where a host may be reached (its guarded
resolver): the connection is made to exactly an address it returned, and https is verified
against the host name. Answers are capped (head and body); the caller bounds the time.
"""
from __future__ import annotations

import asyncio
import functools
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Mapping

import yarl

MAX_HEAD = 64 * 1024  # an answer's status line and headers
MAX_TRAILER_LINES = 64
PER_HOST = 8  # connections to one host at a time, as the aiohttp connector allows
MAX_IDLE = 100  # kept-alive connections over all hosts
IDLE_SECONDS = 15.0  # a kept-alive connection unused this long is closed, not reused

Addresses = Callable[[str, int], Awaitable[list[tuple[str, int]]]]

_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):(.*)", re.DOTALL)  # a header line: name, value
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_UNSAFE_TARGET = re.compile(r"[\x00-\x20\x7f]")
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})  # this client's own
_SAFE_NAMES: set[str] = set()  # header names already found to be tokens


class TooLarge(ValueError):
    """The answer is larger than the cap."""


class Busy(Exception):
    """Every connection this client allows to the host stayed in use while the request waited: the
    request was not sent (the host is not to blame; try again later)."""


class _Closed(ConnectionError):
    """The peer closed the connection before the first byte of an answer (a kept-alive one it had
    dropped, typically: the request is sent again on a new connection)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names; a repeated field joined with ", "
    body: bytes


class _Connection(asyncio.Protocol):
    """One kept-alive connection, read as an asyncio Protocol: the answer is parsed from the bytes as
    they arrive (one callback per packet), with no StreamReader and no task woken per read."""

    def __init__(self, cap: int):
        self.cap = cap
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.drained: asyncio.Future | None = None
        self.paused = False
        self.eof = False
        self.lost: BaseException | None = None
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # bytes nobody asked for: the connection's state is unknown
            self.close()
            return
        self.buffer += data
        self._answer()

    def eof_received(self) -> bool:
        self.eof = True
        self._answer()
        return False  # close

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.lost = exc or ConnectionResetError("the connection was closed")
        self._answer()
        if self.drained is not None and not self.drained.done():
            self.drained.set_exception(_Closed(str(self.lost)) if not self.buffer else ConnectionError(str(self.lost)))

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def usable(self) -> bool:
        return not self.eof and not self.buffer and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes) -> tuple[Answer, bool]:
        """Send a request and wait for its whole answer; and whether the connection can carry the next."""
        if self.eof or self.transport is None or self.transport.is_closing():
            raise _Closed("closed before the request")
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        try:
            self.transport.write(request)
            if self.paused:
                self.drained = loop.create_future()
                await self.drained
            return await self.waiter
        finally:
            if self.waiter.done() and not self.waiter.cancelled():
                self.waiter.exception()  # retrieved: a failed write may have been raised from `drained`
            self.waiter = self.drained = None

    def _answer(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            found = _parse_answer(self.buffer, self.cap, self.eof)
        except Exception as err:  # noqa: BLE001 - malformed or too large: the request's failure
            waiter.set_exception(err)
            return
        if found is None:
            if self.eof:
                waiter.set_exception(_Closed("closed before answering") if not self.buffer else
                                     ConnectionError("the connection closed in the middle of the answer"))
            return
        answer, reusable, used = found
        del self.buffer[:used]
        # Anything after the answer was not asked for: the connection is not used again.
        waiter.set_result((answer, reusable and not self.buffer and not self.eof))


@dataclass
class _Host:
    slots: asyncio.Semaphore
    idle: list[_Connection] = field(default_factory=list)
    users: int = 0


class Poster:
    def __init__(self, addresses: Addresses, *, max_body_bytes: int, user_agent: str, connect_timeout: float,
                 ssl_context: ssl.SSLContext | None = None, per_host: int = PER_HOST):
        self._addresses = addresses
        self.max_body_bytes = max_body_bytes
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.per_host = per_host
        self._ssl = ssl_context
        self._hosts: dict[tuple[str, str, int], _Host] = {}
        self._idle_count = 0
        self._swept = time.monotonic()

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, *, slot_wait: float | None = None,
                   budget: asyncio.Timeout | None = None) -> Answer:
        """POST `body` to `url` with `headers` (a Host among them, as the signature covers it).

        `slot_wait`: the longest wait for one of the host's connections (Busy after it). `budget`: the
        caller's deadline, which stands still during that wait: time spent queueing behind this
        node's own requests to the host is not the host's slowness."""
        scheme, host, port, explicit_port, target = _parts(url)
        if scheme not in ("http", "https") or not host or port is None:
            raise ValueError(f"cannot POST to {url!r}")
        if _UNSAFE_TARGET.search(target):
            raise ValueError(f"unsafe request target in {url!r}")
        head = self._head(target, host, explicit_port, headers, len(body))
        key = (scheme, host, port)
        pool = self._hosts.get(key)
        if pool is None:
            pool = self._hosts[key] = _Host(asyncio.Semaphore(self.per_host))
        pool.users += 1
        try:
            await self._take_slot(pool, host, slot_wait, budget)
            try:
                return await self._exchange(key, pool, head + body)
            finally:
                pool.slots.release()
        finally:
            pool.users -= 1
            if not pool.users and not pool.idle:
                self._hosts.pop(key, None)
            self._sweep()

    async def _take_slot(self, pool: _Host, host: str, wait: float | None, budget: asyncio.Timeout | None) -> None:
        if not pool.slots.locked():
            await pool.slots.acquire()  # free: no wait, no timer
            return
        loop = asyncio.get_running_loop()
        ends = budget.when() if budget is not None else None
        if ends is not None:
            budget.reschedule(None)  # type: ignore[union-attr]
        started = loop.time()
        try:
            async with asyncio.timeout(wait):
                await pool.slots.acquire()
        except TimeoutError:
            raise Busy(f"all {self.per_host} connections to {host} stayed busy for {wait:.0f} s") from None
        finally:
            if ends is not None:
                budget.reschedule(ends + (loop.time() - started))  # type: ignore[union-attr]

    def _head(self, target: str, host: str, explicit_port: int | None, headers: Mapping[str, str],
              length: int) -> bytes:
        fields = {name.lower(): (name, value) for name, value in headers.items()}
        lines = [f"POST {target} HTTP/1.1"]
        if "host" not in fields:
            shown = f"[{host}]" if ":" in host else host
            lines.append(f"Host: {shown}:{explicit_port}" if explicit_port else f"Host: {shown}")
        if "user-agent" not in fields:
            lines.append(f"User-Agent: {self.user_agent}")
        values = []
        for lower, (name, value) in fields.items():
            if lower in _FRAMING:
                continue
            if name not in _SAFE_NAMES:  # a delivery sends the same few names every time
                if not _TOKEN.fullmatch(name):
                    raise ValueError(f"unsafe header {name!r}")
                if len(_SAFE_NAMES) < 256:
                    _SAFE_NAMES.add(name)
            value = str(value)
            values.append(value)
            lines.append(f"{name}: {value}")
        # One search over all the values (joined by a tab, which a value may hold) instead of one each.
        if _UNSAFE_VALUE.search("\t".join(values)):
            unsafe = next(name for lower, (name, value) in fields.items()
                          if lower not in _FRAMING and _UNSAFE_VALUE.search(str(value)))
            raise ValueError(f"unsafe header {unsafe!r}")
        lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    async def _exchange(self, key: tuple[str, str, int], pool: _Host, request: bytes) -> Answer:
        conn = self._take_idle(pool)
        if conn is not None:
            try:
                return await self._send(conn, pool, request)
            except _Closed:
                pass  # it was dropped while idle: once more, on a new connection
        conn = await self._connect(key)
        try:
            return await self._send(conn, pool, request)
        except _Closed:
            raise ConnectionError("the server closed the connection without answering") from None

    async def _send(self, conn: _Connection, pool: _Host, request: bytes) -> Answer:
        try:
            answer, reusable = await conn.exchange(request)
        except (ConnectionResetError, BrokenPipeError) as err:
            conn.close()
            raise _Closed(str(err)) from None
        except BaseException:
            conn.close()  # its state is unknown (cancelled, timed out, a malformed answer)
            raise
        if reusable and self._idle_count < MAX_IDLE:
            conn.idle_since = time.monotonic()
            pool.idle.append(conn)
            self._idle_count += 1
        else:
            conn.close()
        return answer

    def _take_idle(self, pool: _Host) -> _Connection | None:
        now = time.monotonic()
        while pool.idle:
            conn = pool.idle.pop()
            self._idle_count -= 1
            if now - conn.idle_since < IDLE_SECONDS and conn.usable():
                return conn
            conn.close()
        return None

    async def _connect(self, key: tuple[str, str, int]) -> _Connection:
        scheme, host, port = key
        tls = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            tls = self._ssl
        error: Exception | None = None
        for address, address_port in await self._addresses(host, port):
            try:
                async with asyncio.timeout(self.connect_timeout):
                    _, conn = await asyncio.get_running_loop().create_connection(
                        functools.partial(_Connection, self.max_body_bytes), address, address_port, ssl=tls,
                        server_hostname=host.rstrip(".") if tls else None)
            except (OSError, TimeoutError) as err:
                error = err if not isinstance(err, TimeoutError) else TimeoutError(f"connecting to {host} timed out")
                continue
            return conn
        raise error or OSError(f"no address for {host}")

    def _sweep(self) -> None:
        """Close kept-alive connections idle too long (at most once a second, over all hosts)."""
        now = time.monotonic()
        if now - self._swept < 1.0:
            return
        self._swept = now
        for key, pool in list(self._hosts.items()):
            fresh = [c for c in pool.idle if now - c.idle_since < IDLE_SECONDS and c.usable()]
            for conn in pool.idle:
                if conn not in fresh:
                    conn.close()
            self._idle_count -= len(pool.idle) - len(fresh)
            pool.idle[:] = fresh
            if not pool.users and not pool.idle:
                del self._hosts[key]

    async def close(self) -> None:
        for pool in self._hosts.values():
            for conn in pool.idle:
                conn.close()
            pool.idle.clear()
        self._hosts.clear()
        self._idle_count = 0


# An inbox URL as most are (`http(s)://authority/plain/path`): its path is its request target as it is.
_PLAIN_URL = re.compile(r"(https?://[^/?#@\\%\s]+)(/[A-Za-z0-9\-_~/.]*)?")


def _parts(url: str) -> tuple[str, str | None, int | None, int | None, str]:
    """(scheme, host, port, explicit port, request target) as yarl reads them; the authority of a plain
    URL is parsed once per origin, and its path taken as it is (nothing in it that yarl would change)."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None and "/." not in (plain[2] or ""):
        return (*_origin(plain[1]), plain[2] or "/")
    parsed = yarl.URL(url)
    return parsed.scheme, parsed.raw_host, parsed.port, parsed.explicit_port, parsed.raw_path_qs or "/"


@functools.lru_cache(maxsize=1024)
def _origin(origin: str) -> tuple[str, str | None, int | None, int | None]:
    parsed = yarl.URL(origin)
    return parsed.scheme, parsed.raw_host, parsed.port, parsed.explicit_port


def _parse_answer(buf: bytearray, cap: int, eof: bool) -> tuple[Answer, bool, int] | None:
    """The answer at the start of `buf`: (answer, whether its connection can carry the next, bytes it
    took), or None while more bytes are needed (`eof`: none will come)."""
    start = 0
    while True:
        end = buf.find(b"\r\n\r\n", start, start + MAX_HEAD + 4)
        if end < 0:
            if len(buf) - start > MAX_HEAD:
                raise TooLarge("the answer's head is too large")
            return None
        status_line, *lines = bytes(buf[start:end]).split(b"\r\n")
        version, _, rest = status_line.partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit() or rest[3:4] not in (b"", b" "):
            raise ValueError(f"malformed status line {status_line[:80]!r}")
        status = int(code)
        start = end + 4
        if 100 <= status < 200 and status != 101:
            continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        break
    if status == 101:
        raise ValueError("the server switched protocols")
    headers: dict[str, str] = {}
    for line in lines:
        field = _FIELD.fullmatch(line)
        if field is None:
            raise ValueError(f"malformed header line {line[:80]!r}")
        lower, text = field[1].decode("latin-1").lower(), field[2].strip().decode("latin-1")
        headers[lower] = f"{headers[lower]}, {text}" if lower in headers else text
    reusable = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if status in (204, 304):
        body, used = b"", start
    elif "transfer-encoding" in headers:
        if headers["transfer-encoding"].lower().rsplit(",", 1)[-1].strip() != "chunked":
            raise ValueError(f"unsupported Transfer-Encoding {headers['transfer-encoding']!r}")
        found = _parse_chunked(buf, start, cap)
        if found is None:
            return None
        body, used = found
        reusable = reusable and "content-length" not in headers
    elif "content-length" in headers:
        lengths = {v.strip() for v in headers["content-length"].split(",")}
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise ValueError(f"malformed Content-Length {headers['content-length']!r}")
        length = int(lengths.pop())
        if length > cap:
            raise TooLarge(f"the answer is too large ({length} bytes)")
        if len(buf) < start + length:
            return None
        body, used = bytes(buf[start:start + length]), start + length
    else:
        if len(buf) - start > cap:
            raise TooLarge(f"the answer is larger than {cap} bytes")
        if not eof:
            return None  # the body runs to the connection's end
        body, used, reusable = bytes(buf[start:]), len(buf), False
    return Answer(status, headers, body), reusable, used


def _line_end(buf: bytearray, start: int) -> int | None:
    """Where the line starting at `start` ends (its CRLF), None while it is incomplete."""
    end = buf.find(b"\r\n", start, start + MAX_HEAD + 2)
    if end < 0:
        if len(buf) - start > MAX_HEAD:
            raise ValueError("a chunk's line is too long")
        return None
    return end


def _parse_chunked(buf: bytearray, start: int, cap: int) -> tuple[bytes, int] | None:
    """A chunked body from `start`: (body, where it ends), or None while incomplete."""
    chunks, size, at = [], 0, start
    while True:
        end = _line_end(buf, at)
        if end is None:
            return None
        digits = bytes(buf[at:end]).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(digits):
            raise ValueError(f"malformed chunk size {bytes(buf[at:at + 40])!r}")
        length = int(digits, 16)
        at = end + 2
        if length == 0:
            break
        size += length
        if size > cap:
            raise TooLarge(f"the answer is larger than {cap} bytes")
        if len(buf) < at + length + 2:
            return None
        chunks.append(bytes(buf[at:at + length]))
        if buf[at + length:at + length + 2] != b"\r\n":
            raise ValueError("malformed chunk")
        at += length + 2
    for _ in range(MAX_TRAILER_LINES):
        end = _line_end(buf, at)
        if end is None:
            return None
        blank, at = end == at, end + 2
        if blank:
            return b"".join(chunks), at
    raise TooLarge("too many trailer fields")
