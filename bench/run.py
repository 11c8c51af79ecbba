#!/usr/bin/env python3
"""Backchannel benchmark: RSA ceiling, inbound throughput, and fan-out to 1,000 remote inboxes.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/run.py            # defaults, a few minutes on 2 cores
    .venv/bin/python bench/run.py --help

Everything runs on loopback: one real `backchannel serve` process (SQLite, in a temp dir) and
in-thread fake remote servers (tests.rig.fake_remote, extended here). See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    import aiohttp
    from aiohttp import web
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from federation import httpsig
    from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, RemoteActor
    from tests.rig.databases import create_database, drop_database
    from tests.rig.nodes import Node, free_port

    import reads as reads_bench  # bench/reads.py, beside this file
except ImportError as err:  # pragma: no cover - a hint for the wrong interpreter
    sys.exit(f"cannot import the project ({err}); run with the project's venv: .venv/bin/python bench/run.py")

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
T0 = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {message}", flush=True)


class Deadline:
    """The whole run's time budget; each wait is also bounded by its own timeout."""

    def __init__(self, seconds: float):
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        return self.end - time.perf_counter()

    def cap(self, timeout: float) -> float:
        return max(0.0, min(timeout, self.left()))


# --- the fake remote, extended ----------------------------------------------------------------------

_KEY_POOL: list[tuple[str, str]] = []


def key_pool(size: int) -> list[tuple[str, str]]:
    while len(_KEY_POOL) < size:
        _KEY_POOL.append(httpsig.generate_key_pair())
    return _KEY_POOL[:size]


@dataclass
class BenchActor(RemoteActor):
    shared: bool = True  # advertise the server's shared inbox in endpoints.sharedInbox

    def document(self) -> dict:
        doc = super().document()
        if not self.shared:
            doc.pop("endpoints", None)
        return doc


@dataclass
class BenchRemote(FakeRemote):
    """FakeRemote that counts what it receives per type and per inbox path (and when), answers actor
    GETs with a dict lookup, and can serve actors without a shared inbox."""

    keys: int = 4
    by_type: collections.Counter = field(default_factory=collections.Counter)
    paths_by_type: dict = field(default_factory=lambda: collections.defaultdict(set))
    objects_created: collections.Counter = field(default_factory=collections.Counter)
    create_paths_for: dict = field(default_factory=lambda: collections.defaultdict(set))
    last_at: dict = field(default_factory=dict)   # type -> perf_counter of the latest arrival
    gets: int = 0
    follows: list = field(default_factory=list)  # the Follows received, to be accepted
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    def add_actor(self, username: str, *, shared: bool = True) -> BenchActor:  # type: ignore[override]
        pool = key_pool(self.keys)
        private_pem, public_pem = pool[len(self.actors) % len(pool)]
        actor = BenchActor(self, username, private_pem, public_pem, shared=shared)
        self.actors[username] = actor
        return actor

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        if request.method == "POST":
            body = await request.read()
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {}
            kind = doc.get("type") if isinstance(doc, dict) else None
            kind = kind if isinstance(kind, str) else repr(kind)
            now = time.perf_counter()
            with self._mutex:
                self.by_type[kind] += 1
                self.paths_by_type[kind].add(path)
                self.last_at[kind] = now
                if kind == "Follow":
                    self.follows.append(doc)
                if kind == "Create":
                    obj = doc.get("object")
                    obj_id = obj.get("id") if isinstance(obj, dict) else obj
                    self.objects_created[obj_id] += 1
                    self.create_paths_for[obj_id].add(path)
            return web.Response(status=self.inbox_status)
        if request.method == "GET" and path.startswith("/users/"):
            self.gets += 1
            actor = self.actors.get(path.removeprefix("/users/"))
            if actor is not None:
                return web.json_response(actor.document(), content_type="application/activity+json")
        return await super()._handle(request)

    def distinct_paths(self, kind: str) -> int:
        with self._mutex:
            return len(self.paths_by_type.get(kind, ()))

    def create_paths(self, object_id: str) -> int:
        with self._mutex:
            return len(self.create_paths_for.get(object_id, ()))


# --- helpers ------------------------------------------------------------------------------------------

def note_activity(actor: RemoteActor, n: int, run_id: str) -> dict:
    note = {"id": f"{actor.uri}/statuses/{run_id}-{n}", "type": "Note", "attributedTo": actor.uri,
            "content": f"<p>bench note {n} from {actor.username}</p>",
            "published": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": [PUBLIC], "cc": [actor.uri + "/followers"]}
    return {"@context": AS_CONTEXT, "id": note["id"] + "/activity", "type": "Create", "actor": actor.uri,
            "object": note, "to": note["to"], "cc": note["cc"]}


def presign(node: Node, path: str, actor: RemoteActor, activity: dict) -> tuple[bytes, dict]:
    body = json.dumps(activity).encode()
    headers = httpsig.sign_request_cavage("POST", f"http://{node.domain}{path}",
                                          {"Content-Type": "application/activity+json"}, body,
                                          actor.key_id, actor.private_pem)
    return body, headers


async def send_all(base: str, path: str, requests: list[tuple[bytes, dict]], concurrency: int,
                   deadline: Deadline, timeout: float) -> dict:
    """POST pre-signed requests from `concurrency` senders; returns counts and wall time."""
    codes: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    bodies: dict[int, str] = {}
    it = iter(requests)
    end = time.perf_counter() + deadline.cap(timeout)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        async def sender() -> None:
            for body, headers in it:
                if time.perf_counter() > end:
                    return
                try:
                    async with session.post(base + path, data=body, headers=headers) as resp:
                        text = await resp.read()
                        codes[resp.status] += 1
                        if resp.status != 202 and resp.status not in bodies:
                            bodies[resp.status] = text[:300].decode("utf-8", "replace")
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
                    errors[type(err).__name__] += 1

        return await _timed_senders(sender, concurrency, codes, errors, bodies)


async def _timed_senders(sender, concurrency: int, codes: collections.Counter, errors: collections.Counter,  # noqa: ANN001
                         bodies: dict) -> dict:
    """Run `concurrency` senders to the end; their counts, wall time and the bench's own CPU (its
    client, the fake remote, the watcher: on 2 cores it shares them with the node)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"codes": dict(codes), "errors": dict(errors), "error_bodies": bodies, "wall": wall,
            "start": start, "end": start + wall, "sent": sum(codes.values()) + sum(errors.values()),
            "client_cpu_s": cpu}


async def send_raw(base: str, path: str, requests: list[tuple[bytes, dict]], concurrency: int,
                   deadline: Deadline, timeout: float) -> dict:
    """send_all's requests and result, over `concurrency` keep-alive HTTP/1.1 connections written and
    read by hand: the same bytes a client sends (the signed headers as they are, Content-Length),
    at a small part of aiohttp's client CPU, which on 2 cores is taken from the node (as wrk is for
    the reads). Any answer it cannot read is an error and closes that connection."""
    codes: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    bodies: dict[int, str] = {}
    it = iter(requests)
    end = time.perf_counter() + deadline.cap(timeout)
    host, port = base.split("://", 1)[1].rsplit(":", 1)

    def request_bytes(body: bytes, headers: dict) -> bytes:
        lines = [f"POST {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()),
                 f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode("latin-1") + body

    async def sender() -> None:
        reader = writer = None
        try:
            for body, headers in it:
                if time.perf_counter() > end:
                    return
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    writer.write(request_bytes(body, headers))
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                    status_line, *fields = head.decode("latin-1").split("\r\n")
                    status = int(status_line.split(" ", 2)[1])
                    if any(f.lower().startswith("transfer-encoding:") for f in fields):
                        raise ValueError("a chunked answer")  # the inbox answers with a Content-Length
                    length = next((int(f.split(":", 1)[1]) for f in fields
                                   if f.lower().startswith("content-length:")), 0)
                    text = await reader.readexactly(length) if length else b""
                    codes[status] += 1
                    if status != 202 and status not in bodies:
                        bodies[status] = text[:300].decode("utf-8", "replace")
                    if any(f.lower() == "connection: close" for f in fields):
                        writer.close()
                        reader = writer = None
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ValueError, IndexError, OSError) as err:
                    errors[type(err).__name__] += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    return await _timed_senders(sender, concurrency, codes, errors, bodies)


class DbProbe:
    """Read-only view of the node's SQLite database."""

    placeholder = "?"

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout=5000")

    def scalar(self, sql: str, *args) -> int:
        return self.conn.execute(sql, args).fetchone()[0]

    def remote_statuses(self) -> int:
        return self.scalar("SELECT count(*) FROM statuses WHERE NOT local")

    def queue_states(self) -> dict:
        out = {}
        for table in ("inbox_items", "fanouts", "deliveries"):
            try:
                rows = self.conn.execute(f"SELECT state, count(*) FROM {table} GROUP BY state").fetchall()
            except sqlite3.Error as err:
                rows = [("error", str(err))]
            out[table] = dict(rows)
        return out

    def last_errors(self, limit: int = 5) -> dict:
        out = {}
        for table in ("inbox_items", "fanouts", "deliveries"):
            try:
                rows = self.conn.execute(
                    f"SELECT last_error, count(*) FROM {table} WHERE last_error IS NOT NULL "
                    f"GROUP BY last_error ORDER BY count(*) DESC LIMIT ?", (limit,)).fetchall()
            except sqlite3.Error:
                rows = []
            if rows:
                out[table] = [{"error": e[:300], "count": c} for e, c in rows]
        return out

    def close(self) -> None:
        self.conn.close()


class PgProbe(DbProbe):
    """The same view of a PostgreSQL database (--database): asyncpg on a loop of its own thread."""

    placeholder = "$1"

    def __init__(self, url: str):  # noqa: D107 - no super(): nothing of SQLite's
        import asyncpg

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.conn = self._run(asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://")))

    def _run(self, coro):  # noqa: ANN001, ANN202
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def scalar(self, sql: str, *args) -> int:
        return self._run(self.conn.fetchval(sql, *args))

    def queue_states(self) -> dict:
        return {table: dict(self._run(self.conn.fetch(f"SELECT state, count(*) FROM {table} GROUP BY state")))
                for table in ("inbox_items", "fanouts", "deliveries")}

    def last_errors(self, limit: int = 5) -> dict:
        out = {}
        for table in ("inbox_items", "fanouts", "deliveries"):
            rows = self._run(self.conn.fetch(
                f"SELECT last_error, count(*) FROM {table} WHERE last_error IS NOT NULL "
                f"GROUP BY last_error ORDER BY count(*) DESC LIMIT $1", limit))
            if rows:
                out[table] = [{"error": e[:300], "count": c} for e, c in rows]
        return out

    def close(self) -> None:
        self._run(self.conn.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


def start_workers(node: Node, count: int) -> list[subprocess.Popen]:
    """`backchannel worker` processes beside the node's `serve` (--workers; serve then runs none)."""
    procs = []
    for k in range(count):
        # On SQLite a worker shares the node's data folder (its database file); on PostgreSQL each
        # has a folder of its own, as on another machine.
        data = node.data.parent / f"worker{k}" if node.database else node.data
        data.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "backchannel", "worker", "--data", str(data), "--domain", node.domain,
                "--insecure-http", *(["--database", node.database] if node.database else [])]
        for host, port in node.resolve.items():
            args += ["--resolve", f"{host}=127.0.0.1:{port}"]
        with open(data / f"worker{k}.log", "ab") as log:
            procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                          env={**os.environ, **node.extra_env}))
    return procs


def node_cpu(node: Node) -> float:
    """CPU seconds of the node: its serve process, its worker processes (--workers) and the processes
    they started (signing processes, `signing_processes`)."""
    return serve_cpu(node) + workers_cpu(node)


def serve_cpu(node: Node) -> float:
    return sum(cpu_seconds(pid) for pid in with_children(node.proc.pid))


def workers_cpu(node: Node) -> float:
    return sum(cpu_seconds(pid) for p in getattr(node, "workers", []) for pid in with_children(p.pid))


def main_thread_cpu(node: Node) -> float:
    """CPU seconds of the serve process's main thread (its event loop) alone; the rest of node_cpu is
    its other threads (signing, the SQLite driver's, name lookups) and other processes."""
    return cpu_seconds(node.proc.pid, f"/proc/{node.proc.pid}/task/{node.proc.pid}/stat")


def with_children(pid: int) -> list[int]:
    """A process and all its descendants now living, from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except (OSError, ValueError):
                continue
    return found


async def wait_until(check, *, timeout: float, deadline: Deadline, interval: float = 0.05,
                     label: str = "", progress_every: float = 5.0):
    """Poll `check()` (returns (done, value)) until done; returns (done, value, perf_counter when seen)."""
    end = time.perf_counter() + deadline.cap(timeout)
    next_progress = time.perf_counter() + progress_every
    while True:
        done, value = check()
        now = time.perf_counter()
        if done or now >= end:
            return done, value, now
        if label and now >= next_progress:
            say(f"  … {label}: {value}")
            next_progress = now + progress_every
        await asyncio.sleep(interval)


def cpu_seconds(pid: int, stat: str = "") -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc (or of one thread:
    `stat` is then its /proc/PID/task/TID/stat)."""
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class PgCpu:
    """CPU of the PostgreSQL backends serving the node's database during a phase (--database): their
    pids from pg_stat_activity and their CPU from /proc, sampled every quarter second so that a
    backend which ends within the phase (a connection closed) still counts up to its last sample.
    Without PostgreSQL, or when the server cannot be asked, `spent` is None."""

    def __init__(self, url: str | None):
        self.db = reads_bench.DatabaseCpu(url) if url else None
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._task: asyncio.Task | None = None
        self.ok = self.db is not None

    async def _sample(self, initial: bool = False) -> None:
        found = await self.db.backends()
        if found is None:
            self.ok = False
            return
        for pid, cpu in found.items():
            self.first.setdefault(pid, cpu if initial else 0.0)  # a backend started since counts from zero
            self.last[pid] = cpu

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            await self._sample()

    async def start(self) -> None:
        if self.db is not None:
            await self._sample(initial=True)
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            await self._sample()
            await self.db.close()

    @property
    def spent(self) -> float | None:
        if not self.ok:
            return None
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

    def per(self, count: int) -> float | None:
        """Milliseconds of PostgreSQL CPU per one of `count` things done."""
        return None if self.spent is None else 1000 * self.spent / max(1, count)

    @property
    def backends(self) -> int:
        return len(self.last)


def rate(count: float, seconds: float | None) -> float | None:
    return count / seconds if seconds and seconds > 0 else None


# --- 1. ceiling ---------------------------------------------------------------------------------------

def bench_ceiling(seconds: float) -> dict:
    private_pem, public_pem = key_pool(1)[0]
    private = serialization.load_pem_private_key(private_pem.encode(), None)
    public = serialization.load_pem_public_key(public_pem.encode())
    message = b"(request-target): post /inbox\nhost: bench.test\ndate: Sun, 22 Nov 2026 02:00:00 GMT\n" \
              b"digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

    def loop(fn) -> float:
        n, start = 0, time.perf_counter()
        while True:
            for _ in range(20):
                fn()
            n += 20
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return n / elapsed

    signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    sign_ps = loop(lambda: private.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    verify_ps = loop(lambda: public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256()))
    # What an uncached key costs (the server caches parsed keys with functools.lru_cache).
    load_private_ps = loop(lambda: serialization.load_pem_private_key(private_pem.encode(), None))
    return {"sign_per_s": sign_ps, "verify_per_s": verify_ps, "load_private_pem_per_s": load_private_ps}


# --- 2. inbound ---------------------------------------------------------------------------------------

def home_rows(db: DbProbe) -> int:
    return db.scalar("SELECT count(*) FROM home_feed h JOIN accounts a ON a.id = h.account_id "
                     "WHERE a.username = 'reader' AND a.domain IS NULL")


async def follow_senders(node: Node, remote: BenchRemote, actors: list, db: DbProbe, args, deadline: Deadline) -> int:
    """A local user, 'reader', follows every sender (through the API, each Follow accepted by a signed
    Accept), so each inbound post makes a home-timeline row as on a real node. Returns her rows so far."""
    node.create_user("reader")
    auth = {"Authorization": f"Bearer {node.token('reader')}"}
    say(f"inbound: 'reader' follows the {len(actors)} senders")
    async with aiohttp.ClientSession(headers=auth) as http:
        for actor in actors:
            async with http.get(f"{node.base}/api/v1/accounts/lookup",
                                params={"acct": f"{actor.username}@{remote.domain}"}) as r:
                account_id = (await r.json())["id"]
            async with http.post(f"{node.base}/api/v1/accounts/{account_id}/follow") as r:
                r.raise_for_status()
    await wait_until(lambda: (len(remote.follows) >= len(actors), len(remote.follows)), timeout=60,
                     deadline=deadline, label="Follows received")
    by_uri = {a.uri: a for a in actors}
    accepts = [presign(node, "/users/reader/inbox", by_uri[f["object"]],
                       {"@context": AS_CONTEXT, "id": f"{f['object']}/accepts/{i}", "type": "Accept",
                        "actor": f["object"], "object": f})
               for i, f in enumerate(remote.follows) if f.get("object") in by_uri]
    await send_all(node.base, "/users/reader/inbox", accepts, args.concurrency, deadline, timeout=60)
    await wait_until(lambda: ((c := db.scalar(
        "SELECT count(*) FROM follows f JOIN accounts a ON a.id = f.account_id WHERE a.username = 'reader' "
        "AND a.domain IS NULL AND f.state = 'accepted'")) >= len(actors), c), timeout=60, deadline=deadline,
        label="follows accepted")
    return home_rows(db)


async def bench_inbound(node: Node, remote: BenchRemote, db: DbProbe, args, deadline: Deadline,
                        sampler) -> dict:  # noqa: ANN001
    run_id = str(time.time_ns())
    actors = [remote.add_actor(f"sender{i:04d}") for i in range(args.actors)]
    path = "/inbox"

    say(f"inbound: warming up {len(actors)} actors (one signed Create each; the node fetches each key)")
    warm = [presign(node, path, a, note_activity(a, -1, run_id)) for a in actors]
    base_count = db.remote_statuses()
    gets_before = remote.gets
    w = await send_all(node.base, path, warm, args.concurrency, deadline, timeout=120)
    done, count, _ = await wait_until(lambda: ((c := db.remote_statuses()) >= base_count + len(actors), c),
                                      timeout=120, deadline=deadline, label="warm-up statuses applied")
    say(f"inbound: warm-up {w['codes']} in {w['wall']:.1f}s ({remote.gets - gets_before} actor fetches); "
        f"applied {count - base_count}/{len(actors)}")

    home_before = await follow_senders(node, remote, actors, db, args, deadline) if args.home else 0

    say(f"inbound: pre-signing {args.messages} Create(Note) activities")
    t = time.perf_counter()
    requests = [presign(node, path, actors[i % len(actors)], note_activity(actors[i % len(actors)], i, run_id))
                for i in range(args.messages)]
    say(f"inbound: signed in {time.perf_counter() - t:.1f}s; sending with {args.concurrency} concurrent senders")

    base_count = db.remote_statuses()
    target = base_count + args.messages
    applied_at: dict = {}

    async def watch() -> None:
        done, value, at = await wait_until(lambda: ((c := db.remote_statuses()) >= target, c),
                                           timeout=args.phase_timeout, deadline=deadline,
                                           label="applied statuses")
        applied_at.update(done=done, count=value - base_count, at=at)

    pg = PgCpu(node.database)
    with sampler("inbound") as spy:  # the timed part only: not the warm-up's fetches nor the follows
        await pg.start()
        cpu_before, serve_before = node_cpu(node), serve_cpu(node)
        watcher = asyncio.create_task(watch())
        gets_before = remote.gets
        send = send_raw if args.raw_sender else send_all
        s = await send(node.base, path, requests, args.concurrency, deadline, timeout=args.phase_timeout)
        accepted = s["codes"].get(202, 0)
        applied_when_sent = db.remote_statuses() - base_count
        cpu_at_accepted, serve_at_accepted = node_cpu(node), serve_cpu(node)
        say(f"inbound: sent {s['sent']} in {s['wall']:.2f}s: {s['codes']} errors={s['errors']}; "
            f"{applied_when_sent} applied so far; waiting for the rest; while sending: bench "
            f"{1000 * s['client_cpu_s'] / max(1, s['sent']):.2f} ms CPU per request, serve "
            f"{100 * (serve_at_accepted - serve_before) / s['wall']:.0f}% of a core, node "
            f"{100 * (cpu_at_accepted - cpu_before) / s['wall']:.0f}%")
        await watcher
        cpu_total = node_cpu(node) - cpu_before
        cpu_serve = serve_cpu(node) - serve_before
        await pg.stop()
    applied_wall = applied_at["at"] - s["start"]
    result = {
        "actors": len(actors), "messages": args.messages, "concurrency": args.concurrency,
        "warmup_wall_s": w["wall"], "warmup_codes": w["codes"],
        "responses": s["codes"], "client_errors": s["errors"], "error_bodies": s["error_bodies"],
        "key_fetches_during_timed_run": remote.gets - gets_before,
        "accepted": accepted, "accept_wall_s": s["wall"], "accepted_per_s": rate(accepted, s["wall"]),
        "applied": applied_at["count"], "applied_complete": applied_at["done"],
        "applied_wall_s": applied_wall, "applied_per_s": rate(applied_at["count"], applied_wall),
        "apply_lag_after_last_accept_s": applied_at["at"] - s["end"],
        "applied_when_last_202": applied_when_sent,
        "node_cpu_s": cpu_total, "node_cpu_s_while_sending": cpu_at_accepted - cpu_before,
        "serve_cpu_s_while_sending": serve_at_accepted - serve_before,
        "sender": "raw" if args.raw_sender else "aiohttp",
        "bench_cpu_ms_per_request": 1000 * s["client_cpu_s"] / max(1, s["sent"]),
        "node_cpu_share": cpu_total / applied_wall if applied_wall else None,
        "node_cpu_ms_per_activity": 1000 * cpu_total / max(1, applied_at["count"]),
        # With --workers, serve only accepts and the workers apply: the two costs apart.
        "serve_cpu_ms_per_activity": 1000 * cpu_serve / max(1, applied_at["count"]),
        "workers_cpu_ms_per_activity": 1000 * (cpu_total - cpu_serve) / max(1, applied_at["count"]),
        "pg_cpu_ms_per_activity": pg.per(applied_at["count"]), "pg_backends": pg.backends,
        "home_rows_made": (home_rows(db) - home_before) if args.home else None,
        "py_spy": spy.summary(),
    }
    if args.home:
        say(f"inbound: {result['home_rows_made']} home-timeline rows made for 'reader' (one per post expected)")
    say(f"inbound: applied {applied_at['count']}/{args.messages} in {applied_wall:.2f}s "
        f"(complete={applied_at['done']}); node CPU {cpu_total:.1f}s = "
        f"{result['node_cpu_ms_per_activity']:.2f} ms per activity (serve {result['serve_cpu_ms_per_activity']:.2f}), "
        f"{100 * result['node_cpu_share']:.0f}% of a core"
        + (f"; PostgreSQL CPU {pg.spent:.1f}s = {result['pg_cpu_ms_per_activity']:.2f} ms per activity "
           f"({pg.backends} backends)" if pg.spent is not None else ""))
    return result


# --- 3. fan-out ---------------------------------------------------------------------------------------

async def bench_fanout(node: Node, remotes: list[BenchRemote], db: DbProbe, args, deadline: Deadline,
                       sampler) -> dict:  # noqa: ANN001
    run_id = str(time.time_ns())
    say("fan-out: creating local user 'author' and a token")
    node.create_user("author")
    token = node.token("author")
    author_uri = f"http://{node.domain}/users/author"
    path = "/users/author/inbox"

    followers: list[BenchActor] = []
    for i in range(args.followers):
        followers.append(remotes[i % len(remotes)].add_actor(f"follower{i:04d}", shared=False))
    follows = []
    for i, actor in enumerate(followers):
        follow = {"@context": AS_CONTEXT, "id": f"{actor.uri}/follows/{run_id}-{i}", "type": "Follow",
                  "actor": actor.uri, "object": author_uri}
        follows.append(presign(node, path, actor, follow))
    say(f"fan-out: sending {len(follows)} signed Follows (followers spread over {len(remotes)} remote hosts, "
        f"no sharedInbox) and waiting for the Accepts")

    def accepts() -> tuple[bool, int]:
        n = sum(r.distinct_paths("Accept") for r in remotes)
        return n >= len(followers), n

    pg = PgCpu(node.database)
    await pg.start()
    cpu_before = node_cpu(node)
    with sampler("follow") as spy_follow:
        s = await send_all(node.base, path, follows, args.concurrency, deadline, timeout=args.phase_timeout)
        say(f"fan-out: Follows answered in {s['wall']:.1f}s: {s['codes']} errors={s['errors']}")
        done, n_accepts, at = await wait_until(accepts, timeout=args.phase_timeout, deadline=deadline,
                                               label="Accepts received")
    follow_wall = at - s["start"]
    follow_cpu = node_cpu(node) - cpu_before
    await pg.stop()
    say(f"fan-out: {n_accepts}/{len(followers)} Accepts received, {follow_wall:.1f}s after the first Follow; "
        f"node CPU {1000 * follow_cpu / max(1, n_accepts):.1f} ms per Follow"
        + (f", PostgreSQL {pg.per(n_accepts):.1f} ms" if pg.spent is not None else ""))
    followers_in_db = db.scalar(
        "SELECT count(*) FROM follows f JOIN accounts a ON a.id = f.target_account_id "
        f"WHERE a.uri = {db.placeholder} AND f.state = 'accepted'", author_uri)
    result = {
        "followers": len(followers), "remote_hosts": len(remotes), "concurrency": args.concurrency,
        "follow_responses": s["codes"], "follow_error_bodies": s["error_bodies"],
        "follow_accept_wall_s": s["wall"], "follows_accepted_per_s": rate(s["codes"].get(202, 0), s["wall"]),
        "accepts_received": n_accepts, "follow_setup_wall_s": follow_wall,
        "accepted_followers_in_db": followers_in_db,
        "follow_node_cpu_s": follow_cpu, "follow_node_cpu_ms_per_follow": 1000 * follow_cpu / max(1, n_accepts),
        "follow_pg_cpu_ms_per_follow": pg.per(n_accepts),
        "py_spy_follow": spy_follow.summary(),
    }
    if followers_in_db == 0 or deadline.left() < 5:
        say("fan-out: no accepted followers (or no time left); skipping the post")
        return result

    say(f"fan-out: posting {args.fanout_posts} status(es) as 'author', one after another "
        f"({followers_in_db} accepted followers)")
    posts = []
    for k in range(max(1, args.fanout_posts)):
        if k and deadline.left() < 10:
            break
        with sampler("post" if k == 0 else f"post{k + 1}") as spy_post:
            one = await post_once(node, remotes, token, f"{run_id}-{k}", followers_in_db, args, deadline)
        one["py_spy"] = spy_post.summary()
        posts.append(one)
        if one.get("post_status") != 200:
            break
    # The first post is the headline: its connections to the remotes are new. The later ones find
    # them kept alive (within federation.poster.IDLE_SECONDS).
    first = posts[0]
    result.update({k: v for k, v in first.items() if k != "py_spy"})
    result["py_spy_post"] = first["py_spy"]
    if len(posts) > 1:
        result["later_posts"] = [{k: v for k, v in p.items() if k in LATER_KEYS} for p in posts[1:]]
        result["py_spy_later_posts"] = [p["py_spy"] for p in posts[1:]]
    return result


LATER_KEYS = ("fanout_wall_s", "deliveries_per_s", "fanout_node_cpu_ms_per_delivery",
              "fanout_node_loop_cpu_ms_per_delivery",
              "fanout_remotes_cpu_ms_per_delivery", "inboxes_delivered", "fanout_complete")


async def post_once(node: Node, remotes: list[BenchRemote], token: str, tag: str, followers_in_db: int,
                    args, deadline: Deadline) -> dict:  # noqa: ANN001
    """One POST /api/v1/statuses, timed until its Create is in every follower's inbox."""
    def delivered(status_uri: str) -> tuple[bool, int]:
        n = sum(r.create_paths(status_uri) for r in remotes)
        return n >= followers_in_db, n

    cpu_before, loop_before = node_cpu(node), main_thread_cpu(node)
    # This process's CPU: the fake remotes (threads of it) and the watcher polling them; they share
    # the machine's cores with the node, so what they take is not the node's to use.
    bench_before = time.process_time()
    async with aiohttp.ClientSession() as session:
        t_post = time.perf_counter()
        async with session.post(node.base + "/api/v1/statuses",
                                json={"status": f"fan-out bench {tag}", "visibility": "public"},
                                headers={"Authorization": f"Bearer {token}"}) as resp:
            status_json = await resp.json(content_type=None)
            post_code = resp.status
        t_posted = time.perf_counter()
    if post_code != 200:
        say(f"fan-out: POST /api/v1/statuses answered {post_code}: {status_json}")
        return {"post_status": post_code, "post_error": status_json}
    status_uri = status_json.get("uri")
    done, n_delivered, at = await wait_until(lambda: delivered(status_uri), timeout=args.phase_timeout,
                                             deadline=deadline, interval=0.02, label="inboxes with the Create")
    fan_cpu, loop_cpu = node_cpu(node) - cpu_before, main_thread_cpu(node) - loop_before
    bench_cpu = time.process_time() - bench_before
    # The precise moment of the last arrival, recorded by the fake remotes themselves.
    last = max((r.last_at.get("Create", 0) for r in remotes), default=0) or at
    wall = (last if done else at) - t_post
    duplicates = sum(max(0, r.objects_created.get(status_uri, 0) - r.create_paths(status_uri)) for r in remotes)
    one = {
        "post_status": post_code, "post_response_s": t_posted - t_post, "status_uri": status_uri,
        "inboxes_delivered": n_delivered, "fanout_complete": done, "fanout_wall_s": wall,
        "deliveries_per_s": rate(n_delivered, wall),
        "duplicate_creates": duplicates,
        "fanout_node_cpu_s": fan_cpu, "fanout_node_cpu_ms_per_delivery": 1000 * fan_cpu / max(1, n_delivered),
        "fanout_node_loop_cpu_ms_per_delivery": 1000 * loop_cpu / max(1, n_delivered),
        "fanout_remotes_cpu_s": bench_cpu,
        "fanout_remotes_cpu_ms_per_delivery": 1000 * bench_cpu / max(1, n_delivered),
    }
    say(f"fan-out: {n_delivered}/{followers_in_db} inboxes got the Create in {wall:.2f}s (complete={done}); "
        f"node CPU {fan_cpu:.2f}s = {one['fanout_node_cpu_ms_per_delivery']:.2f} ms per delivery "
        f"({one['fanout_node_loop_cpu_ms_per_delivery']:.2f} on its event loop's thread); fake remotes {one['fanout_remotes_cpu_ms_per_delivery']:.2f} ms")
    return one


# --- diagnostics --------------------------------------------------------------------------------------

def _normalise(line: str) -> str:
    line = re.sub(r"https?://\S+", "<url>", line)
    return re.sub(r"\d+", "N", line)[:220]


def scan_log(path: Path, limit: int = 12) -> dict:
    """Counts of log levels, warning/error lines (URLs and numbers folded) and the exceptions that
    ended each traceback."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {"lines": 0}
    levels: collections.Counter = collections.Counter()
    notable: collections.Counter = collections.Counter()
    exceptions: collections.Counter = collections.Counter()
    tracebacks = 0
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback"):
            tracebacks += 1
            in_traceback = True
            continue
        if in_traceback:
            if line.startswith(" ") or not line.strip():
                continue
            in_traceback = False
            if not line.startswith(("The above exception", "During handling")):
                exceptions[_normalise(line)] += 1
            continue
        parts = line.split(" ", 4)
        level = parts[2] if len(parts) > 2 else ""
        if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            levels[level] += 1
            if level in ("WARNING", "ERROR", "CRITICAL"):
                notable[_normalise(" ".join(parts[2:]))] += 1
    return {"lines": len(lines), "levels": dict(levels), "tracebacks": tracebacks,
            "top_warnings_errors": [{"line": k, "count": c} for k, c in notable.most_common(limit)],
            "exceptions": [{"line": k, "count": c} for k, c in exceptions.most_common(limit)]}


def machine() -> dict:
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import cryptography
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "cryptography": cryptography.__version__, "aiohttp": aiohttp.__version__,
            "git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(git("status", "--porcelain")),
            "loadavg_at_start": os.getloadavg()}


def fmt(value, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def report(results: dict) -> None:
    m, c, i, f = results["machine"], results.get("ceiling", {}), results.get("inbound", {}), results.get("fanout", {})
    print()
    print(f"machine: {m['nproc']} cpu, Python {m['python']}, cryptography {m['cryptography']}, "
          f"commit {m['git_commit'][:12]}{' (dirty tree)' if m['git_dirty'] else ''}, "
          f"load average {m['loadavg_at_start'][0]:.2f} at start, {results.get('loadavg_at_end', [0])[0]:.2f} at end")
    during = results.get("loadavg_during") or {}
    if during:
        print(f"load average during the run: mean {during['mean']:.2f}, min {during['min']:.2f}, "
              f"max {during['max']:.2f} ({during['samples']} samples; {m['nproc']} cores)")
    if args_env := (results.get("args") or {}).get("node_env"):
        print(f"node settings: {dict(args_env)}")
    rows = [
        ("ceiling: RSA-2048 verify (1 process)", fmt(c.get("verify_per_s")), "/s"),
        ("ceiling: RSA-2048 sign (1 process)", fmt(c.get("sign_per_s")), "/s"),
        ("ceiling: PEM private-key load (uncached)", fmt(c.get("load_private_pem_per_s")), "/s"),
        (f"inbound accepted (202s / wall, {i.get('messages')} msgs, C={i.get('concurrency')})",
         fmt(i.get("accepted_per_s"), ",.1f"), "/s"),
        ("inbound applied (statuses visible / wall)", fmt(i.get("applied_per_s"), ",.1f"), "/s"),
        ("inbound apply lag after last 202", fmt(i.get("apply_lag_after_last_accept_s"), ".2f"), "s"),
        ("inbound node CPU per activity (accept+apply)", fmt(i.get("node_cpu_ms_per_activity"), ".2f"), "ms"),
        ("  of which serve / worker processes", f"{fmt(i.get('serve_cpu_ms_per_activity'), '.2f')} / "
                                                f"{fmt(i.get('workers_cpu_ms_per_activity'), '.2f')}", "ms"),
        ("inbound bench CPU per request sent (its client's share)", fmt(i.get("bench_cpu_ms_per_request"), ".2f"), "ms"),
        ("inbound PostgreSQL CPU per activity (--database)", fmt(i.get("pg_cpu_ms_per_activity"), ".2f"), "ms"),
        (f"follow setup ({f.get('followers')} Follows → Accepts received)", fmt(f.get("follow_setup_wall_s"), ".2f"), "s"),
        ("follow node / PostgreSQL CPU per Follow", f"{fmt(f.get('follow_node_cpu_ms_per_follow'), '.1f')} / "
         f"{fmt(f.get('follow_pg_cpu_ms_per_follow'), '.1f')}", "ms"),
        (f"fan-out: POST → Create in all {f.get('followers')} inboxes", fmt(f.get("fanout_wall_s"), ".2f"), "s"),
        ("fan-out deliveries", fmt(f.get("deliveries_per_s"), ",.1f"), "/s"),
        ("fan-out node CPU per delivery", fmt(f.get("fanout_node_cpu_ms_per_delivery"), ".2f"), "ms"),
        ("… of which on the node's event-loop thread", fmt(f.get("fanout_node_loop_cpu_ms_per_delivery"), ".2f"), "ms"),
        ("fan-out fake remotes' CPU per delivery (bench process)",
         fmt(f.get("fanout_remotes_cpu_ms_per_delivery"), ".2f"), "ms"),
    ]
    for n, later in enumerate(f.get("later_posts") or [], start=2):
        rows.append((f"fan-out, post {n}: time / node CPU (loop) / remotes' CPU",
                     f"{fmt(later.get('fanout_wall_s'), '.2f')} s {fmt(later.get('fanout_node_cpu_ms_per_delivery'), '.2f')} "
                     f"({fmt(later.get('fanout_node_loop_cpu_ms_per_delivery'), '.2f')}) "
                     f"{fmt(later.get('fanout_remotes_cpu_ms_per_delivery'), '.2f')}", "ms"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>10}")
    print(f"{'-' * width}  {'-' * 12}")
    for name, value, unit in rows:
        print(f"{name.ljust(width)}  {value:>10} {unit}")
    print()
    ratios = results.get("ratios", {})
    for name, value in ratios.items():
        print(f"ratio {name}: {fmt(value, '.4f')}")


def ratios(results: dict) -> dict:
    c, i, f = results.get("ceiling", {}), results.get("inbound", {}), results.get("fanout", {})

    def div(a, b):
        return a / b if a is not None and b else None

    return {
        "inbound accepted / verify ceiling": div(i.get("accepted_per_s"), c.get("verify_per_s")),
        "inbound applied / verify ceiling": div(i.get("applied_per_s"), c.get("verify_per_s")),
        "inbound applied / accepted": div(i.get("applied_per_s"), i.get("accepted_per_s")),
        "fan-out deliveries / sign ceiling": div(f.get("deliveries_per_s"), c.get("sign_per_s")),
        # Issue 15's targets as ratios (≥ 1 meets them): 1,000 Creates applied per second and
        # 2,000 accepted, and F inboxes reached within 1.5 × (F ÷ the sign ceiling).
        "inbound applied / 1,000 per s target": div(i.get("applied_per_s"), 1000),
        "inbound accepted / 2,000 per s target": div(i.get("accepted_per_s"), 2000),
        "fan-out target (1.5 × F ÷ sign ceiling) / fan-out time": div(
            1.5 * f["followers"] / c["sign_per_s"] if f.get("followers") and c.get("sign_per_s") else None,
            f.get("fanout_wall_s")),
    }


# --- main ---------------------------------------------------------------------------------------------

def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("BACKCHANNEL_"):
        raise argparse.ArgumentTypeError("expected BACKCHANNEL_NAME=VALUE")
    return name, value


class LoadWatch:
    """The machine's 1-minute load average, sampled every few seconds while the run goes on: the
    bench shares the machine, and what else ran shows up in every number."""

    def __init__(self, every: float = 2.0):
        self.every, self.samples = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> "LoadWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()

    def summary(self) -> dict:
        s = self.samples or [os.getloadavg()[0]]
        return {"mean": sum(s) / len(s), "max": max(s), "min": min(s), "samples": len(s)}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark a real `backchannel serve` (SQLite) on loopback: the RSA ceiling, inbound "
                    "shared-inbox throughput, and fan-out of one post to many remote inboxes.")
    p.add_argument("--messages", "-m", type=int, default=2000, help="signed Create(Note)s sent inbound (default 2000)")
    p.add_argument("--actors", "-n", type=int, default=100, help="distinct remote senders (default 100)")
    p.add_argument("--raw-sender", action=argparse.BooleanOptionalAction, default=True,
                   help="inbound: send the timed Creates over hand-written keep-alive HTTP/1.1 (the default, "
                        "as wrk is for the reads) so the bench takes less of the cores the node runs on; "
                        "--no-raw-sender uses aiohttp's client")
    p.add_argument("--concurrency", "-c", type=int, default=16, help="concurrent client senders (default 16)")
    p.add_argument("--followers", "-f", type=int, default=1000, help="remote followers for the fan-out (default 1000)")
    p.add_argument("--fanout-hosts", type=int, default=4,
                   help="fake remote servers the followers are spread over, each follower with its own "
                        "inbox and no shared inbox (default 4)")
    p.add_argument("--fanout-posts", type=int, default=1,
                   help="statuses posted one after another to the same followers (default 1); the first "
                        "is the headline (new connections), the others are printed as later posts")
    p.add_argument("--ceiling-seconds", type=float, default=1.5, help="time per RSA micro-benchmark (default 1.5)")
    p.add_argument("--phase-timeout", type=float, default=150, help="longest wait in any phase, s (default 150)")
    p.add_argument("--max-seconds", type=float, default=330, help="budget for the whole run, s (default 330)")
    p.add_argument("--skip", action="append", default=[], choices=["ceiling", "inbound", "fanout", "reads"],
                   help="skip a part (repeatable)")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results",
                   help="folder for the JSON results (default bench/results)")
    p.add_argument("--py-spy", metavar="BIN", nargs="?", const=shutil.which("py-spy") or "py-spy", default=None,
                   help="sample the node with py-spy (not a project dependency: pip install py-spy "
                        "anywhere) during each phase and print the project functions it spends CPU in; "
                        "slows the node down a little")
    p.add_argument("--node-env", metavar="NAME=VALUE", action="append", default=[], type=_env_pair,
                   help="a setting for the node, e.g. BACKCHANNEL_SIGNING_PROCESSES=1 (repeatable)")
    p.add_argument("--no-home", dest="home", action="store_false",
                   help="no local follower of the senders (by default 'reader' follows them all, so each "
                        "inbound post makes a home-timeline row)")
    p.add_argument("--database", default="",
                   help="a postgresql:// URL of an EMPTY database for the node instead of SQLite, or "
                        "'postgres' for a throw-away one on the test server (BACKCHANNEL_TEST_POSTGRES)")
    p.add_argument("--workers", type=int, default=0,
                   help="run the queue workers in N `backchannel worker` processes instead of in serve "
                        "(on SQLite they share the node's data folder; default 0)")
    p.add_argument("--keep", action="store_true", help="keep the node's data folder (it is always kept on failure)")
    reads_bench.add_arguments(p)  # reads: statements and CPU per request (bench/reads.py)
    return p.parse_args(argv)


class Sampler:
    """py-spy (an optional tool, not a project dependency) sampling the node during one phase, with
    --gil so that only on-CPU Python time is counted; summarised per project function. Each process
    (serve, then the --workers) has a file of its own: `out`, then `out` with .workerN before .txt."""

    PROJECT = ("backchannel/", "inbox/", "outbox/", "models/", "federation/", "api/", "webfinger/", "pages/")

    def __init__(self, binary: str | None, pids: list[int], out: Path):
        self.binary, self.pids, self.procs = binary, pids, []
        self.outs = [out] + [out.with_suffix(f".worker{k}.txt") for k in range(len(pids) - 1)]

    @property
    def out(self) -> Path:
        return self.outs[0]

    def __enter__(self) -> "Sampler":
        if self.binary:
            self.procs = [subprocess.Popen([self.binary, "record", "-p", str(pid), "--gil", "-r", "250",
                                            "-f", "raw", "-o", str(out)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for pid, out in zip(self.pids, self.outs)]
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def summary(self, top: int = 25) -> dict | None:
        outs = [out for out in self.outs if out.exists()]
        if not self.binary or not outs:
            return None
        inclusive: collections.Counter = collections.Counter()
        package: collections.Counter = collections.Counter()
        total = 0
        where = re.compile(r"\(([^:()]*):\d+\)")
        for line in (line for out in outs for line in out.read_text(errors="replace").splitlines()):
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            seen = set()
            for frame in frames:
                m = where.search(frame)
                if m and m.group(1).startswith(self.PROJECT):
                    name = where.sub(lambda mm: f"({mm.group(1)})", frame)
                    if name not in seen:
                        seen.add(name)
                        inclusive[name] += n
            m = where.search(frames[-1])
            package[(m.group(1).split("/")[0] if m else frames[-1][:40]) or "?"] += n
        if not total:
            return None
        pct = lambda c: round(100 * c / total, 1)  # noqa: E731
        return {"samples": total, "raw": [str(out) for out in outs],
                "leaf_package_pct": {k: pct(v) for k, v in package.most_common(10)},
                "project_function_inclusive_pct": {k: pct(v) for k, v in inclusive.most_common(top)
                                                   if not k.startswith(("<module>", "main ", "cmd_serve"))}}


async def drain(db: DbProbe, deadline: Deadline, timeout: float = 15) -> None:
    """Let the node finish its queues before the end-of-run snapshot."""
    def idle() -> tuple[bool, dict]:
        q = db.queue_states()
        return all("pending" not in states for states in q.values()), q

    await wait_until(idle, timeout=timeout, deadline=deadline, interval=0.2)


async def run_phases(args, results: dict, deadline: Deadline) -> None:
    inbound_remote = BenchRemote("senders.test")
    fan_remotes = [BenchRemote(f"followers{k}.test") for k in range(max(1, args.fanout_hosts))]
    remotes = [inbound_remote, *fan_remotes]
    data = Path(tempfile.mkdtemp(prefix="backchannel-bench-"))
    results["data_dir"] = str(data)
    database, made_database = args.database or None, False
    if database == "postgres":  # a throw-away database on the test server (tests/rig/databases.py)
        database, made_database = create_database(), True
    env = dict(args.node_env)
    if args.workers:
        env["BACKCHANNEL_WORKERS"] = "false"
    node = Node(domain="bench.test", port=free_port(), data=data / "node", database=database,
                resolve={r.domain: r.port for r in remotes}, extra_env=env)
    results["database"] = "postgresql" if database else "sqlite"
    results["worker_processes"] = args.workers
    if args.py_spy:
        args.results.mkdir(parents=True, exist_ok=True)

    def sampler(phase: str) -> Sampler:
        return Sampler(args.py_spy, [node.proc.pid, *(p.pid for p in node.workers)],
                       args.results / f"{results['timestamp']}.{phase}.pyspy.txt")
    failed = True
    try:
        say(f"starting {len(remotes)} fake remotes and a node in {node.data}")
        key_pool(4)
        for r in remotes:
            r.start()
        node.workers = []
        node.start()
        node.workers = start_workers(node, args.workers) if args.workers else []
        db = PgProbe(database) if database else DbProbe(node.data / "backchannel.sqlite3")
        say(f"node {node.domain} up at {node.base} (pid {node.proc.pid}) on {results['database']}"
            + (f", {args.workers} worker process(es)" if args.workers else ""))
        if "inbound" not in args.skip and deadline.left() > 10:
            results["inbound"] = await bench_inbound(node, inbound_remote, db, args, deadline, sampler)
        if "fanout" not in args.skip and deadline.left() > 10:
            results["fanout"] = await bench_fanout(node, fan_remotes, db, args, deadline, sampler)
        await drain(db, deadline)
        results["queues_at_end"] = db.queue_states()
        results["queue_errors"] = db.last_errors()
        results["remote_posts_received"] = {r.domain: dict(r.by_type) for r in remotes}
        db.close()
        failed = False
    finally:
        node.stop()
        for proc in getattr(node, "workers", []):
            proc.terminate()
            proc.wait(10)
        if made_database:
            drop_database(database)
        for r in remotes:
            try:
                r.stop()
            except Exception:  # noqa: BLE001 - best effort at the end
                pass
        results["node_log"] = str(node.log_path)
        results["node_log_scan"] = scan_log(node.log_path)
        if failed or args.keep:
            say(f"node data kept in {data}")
        else:
            args.results.mkdir(parents=True, exist_ok=True)
            kept_log = args.results / f"{results['timestamp']}.node.log"
            shutil.copyfile(node.log_path, kept_log)
            results["node_log"] = str(kept_log)
            shutil.rmtree(data, ignore_errors=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    deadline = Deadline(args.max_seconds)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    results: dict = {"timestamp": stamp, "machine": machine(), "args": {k: str(v) if isinstance(v, Path) else v
                                                                        for k, v in vars(args).items()}}
    m = results["machine"]
    say(f"machine: nproc={m['nproc']} python={m['python']} commit={m['git_commit'][:12]}"
        f"{' (dirty)' if m['git_dirty'] else ''} load average {m['loadavg_at_start'][0]:.2f}")
    if m["loadavg_at_start"][0] > 0.5 * (m["nproc"] or 1):
        say("warning: the machine is busy (load average above half the cores); numbers will be noisy")
    if "ceiling" not in args.skip:
        say("ceiling: RSA-2048 PKCS#1 v1.5 SHA-256 sign and verify in this process")
        results["ceiling"] = bench_ceiling(args.ceiling_seconds)
        c = results["ceiling"]
        say(f"ceiling: verify {c['verify_per_s']:,.0f}/s, sign {c['sign_per_s']:,.0f}/s")
    load = LoadWatch().__enter__()
    try:
        asyncio.run(run_phases(args, results, deadline))
        if "reads" not in args.skip and deadline.left() > 30:
            say("reads: statements and CPU per request, and req/s against an aiohttp hello world")
            results["reads"] = asyncio.run(reads_bench.run(args))
    except KeyboardInterrupt:
        say("interrupted")
    finally:
        load.__exit__()
        results["loadavg_during"] = load.summary()
        results["ratios"] = ratios(results)
        results["total_wall_s"] = time.perf_counter() - T0
        results["loadavg_at_end"] = os.getloadavg()
        args.results.mkdir(parents=True, exist_ok=True)
        out = args.results / f"{stamp}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        report(results)
        scan = results.get("node_log_scan", {})
        print(f"\nnode log: {results.get('node_log')} — {scan.get('levels')} tracebacks={scan.get('tracebacks')}")
        for item in scan.get("top_warnings_errors", [])[:8]:
            print(f"  {item['count']:>5} × {item['line']}")
        for item in scan.get("exceptions", [])[:8]:
            print(f"  {item['count']:>5} × exception: {item['line']}")
        for phase, part, key in (("inbound", "inbound", "py_spy"), ("follow setup", "fanout", "py_spy_follow"),
                                 ("post fan-out", "fanout", "py_spy_post")):
            spy = (results.get(part) or {}).get(key)
            if spy:
                print(f"\npy-spy, {phase} phase ({spy['samples']} on-CPU samples of the node): "
                      f"leaf packages {spy['leaf_package_pct']}")
                for name, share in list(spy["project_function_inclusive_pct"].items())[:18]:
                    print(f"  {share:5.1f}%  {name}")
        if results.get("reads"):
            reads_bench.report(results["reads"])
        if results.get("queues_at_end"):
            print(f"queues at end: {results['queues_at_end']}")
        if results.get("queue_errors"):
            print(f"queue errors: {json.dumps(results['queue_errors'])[:1500]}")
        print(f"results: {out}  (total {results['total_wall_s']:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
