#!/usr/bin/env python3
"""Reads: what a page of statuses costs a real node, in SQL statements and CPU per request.

    .venv/bin/python bench/reads.py --help
    .venv/bin/python bench/run.py --skip ceiling --skip inbound --skip fanout   # the same, from run.py

The data (tests/rig/reads_data.py: boosts, replies, polls, media, mentions, remote authors, a reader
who follows some) is written in-process first; then one `backchannel serve` process (SQLite, started
with BACKCHANNEL_COUNT_STATEMENTS=1) answers. For each endpoint:

- statements/request: the node's X-Statement-Count header (models.db counts per request);
- CPU ms/request: the node's user+system CPU (/proc/PID/stat) over N sequential requests from one
  client, divided by N. Much less sensitive to other load on the machine than wall time;
- req/s: C concurrent clients for S seconds (an aiohttp load generator in this process), printed as a
  ratio to an aiohttp hello-world server (its own process) measured the same way in the same run;
- under that load, where each request's CPU went: the node (all its processes), PostgreSQL's
  backends serving the node's database (from pg_stat_activity and /proc), and the load generator
  (wrk); their sum against the machine's cores is the most any number of node processes could
  answer here (the `machine ceiling`).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import signal
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from backchannel import workers  # noqa: E402
from backchannel.app import close_runtime, open_runtime  # noqa: E402
from backchannel.config import Config  # noqa: E402
from federation.httpsig import generate_key_pair  # noqa: E402
from models.schema import fanouts  # noqa: E402
from pages.session import COOKIE  # noqa: E402
from tests.rig.nodes import Node, free_port  # noqa: E402
from tests.rig.reads_data import seed  # noqa: E402

DOMAIN = "reads.test"
HELLO = """
import sys
from aiohttp import web
async def hello(request):
    return web.Response(text="hello")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def endpoints(scene) -> list[tuple[str, str, bool | str]]:  # noqa: ANN001
    """(label, path, who asks: True the reader's bearer token, "web" her session cookie, False nobody)."""
    people = "&".join(f"id[]={i}" for i in scene.people_ids)
    return [
        ("home ?limit=20", "/api/v1/timelines/home?limit=20", True),
        ("home ?limit=40", "/api/v1/timelines/home?limit=40", True),
        ("status :id", f"/api/v1/statuses/{scene.sample_status_id}", True),
        ("account statuses ?limit=20", f"/api/v1/accounts/{scene.alice_id}/statuses?limit=20", True),
        ("public (anonymous)", "/api/v1/timelines/public", False),
        ("notifications", "/api/v1/notifications", True),
        ("notifications v2", "/api/v2/notifications", True),
        ("public ?local=true", "/api/v1/timelines/public?local=true", True),
        ("tag :tag", "/api/v1/timelines/tag/reads", True),
        ("list :id", f"/api/v1/timelines/list/{scene.list_id}", True),
        ("favourites", "/api/v1/favourites", True),
        ("bookmarks", "/api/v1/bookmarks", True),
        ("conversations", "/api/v1/conversations", True),
        ("status context", f"/api/v1/statuses/{scene.thread_id}/context", True),
        ("account :id", f"/api/v1/accounts/{scene.alice_id}", True),
        ("relationships", f"/api/v1/accounts/relationships?{people}", True),
        ("instance v2", "/api/v2/instance", False),
        ("instance v1", "/api/v1/instance", False),
        ("web /home", "/home", "web"),
        ("web /@alice (anonymous)", "/@alice", False),
        ("web /tags/reads (anonymous)", "/tags/reads", False),
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and of its children that are alive (`serve --processes`)."""
    total = 0
    for one in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> dict:
    """Resident memory of the node (all its processes), MiB: now (VmRSS) and the most it ever held
    (VmHWM, the kernel's high-water mark): caches must stay capped under load."""
    now = peak = 0
    for one in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        now += int(fields.get("VmRSS", "0 kB").split()[0])
        peak += int(fields.get("VmHWM", "0 kB").split()[0])
    return {"rss_mib": now / 1024, "peak_mib": peak / 1024}


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DatabaseCpu:
    """CPU of the PostgreSQL backends serving one database (found in pg_stat_activity; this machine's
    server, read from /proc): what the node's queries cost the database server."""

    def __init__(self, url: str):
        self.url = url.replace("+asyncpg", "")
        self._conn = None

    async def backends(self) -> dict[int, float] | None:
        """CPU seconds so far of each backend; None when the server cannot be asked (no connection
        slot left, say): the figure is then left out, not the run."""
        if not self.url:
            return None
        import asyncpg

        try:
            if self._conn is None:  # one connection for the whole run: it takes a slot of the server's
                self._conn = await asyncpg.connect(self.url)
            pids = [r["pid"] for r in await self._conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        except (OSError, asyncpg.PostgresError) as err:
            print(f"  (no database CPU figure: {err})", flush=True)
            return None
        return {pid: process_cpu(pid) for pid in pids}

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    @staticmethod
    def spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
        """Seconds between two snapshots (a backend started in between counts from zero)."""
        if before is None or after is None:
            return None
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


async def prepare(data: Path, rounds: int, database: str = ""):  # noqa: ANN201
    """Seed the node's database in this process, with the queue workers filling home timelines."""
    rt = await open_runtime(Config(domain=DOMAIN, data=str(data), insecure_http=True, database=database))
    tasks = workers.start(rt)
    try:
        scene = await seed(rt, generate_key_pair(), rounds=rounds)
        for _ in range(600):
            async with rt.db.read() as conn:
                pending = (await conn.execute(select(func.count()).select_from(fanouts)
                                              .where(fanouts.c.state == "pending"))).scalar_one()
            if not pending:
                break
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await close_runtime(rt)
    return scene


async def sequential(session: aiohttp.ClientSession, url: str, headers: dict, n: int, pid: int,
                     db: DatabaseCpu | None = None) -> dict:
    statements = None
    for _ in range(3):  # warm caches and connections
        async with session.get(url, headers=headers) as resp:
            await resp.read()
            assert resp.status == 200, (url, resp.status)
            statements = resp.headers.get("X-Statement-Count")
    backends = await db.backends() if db else None
    cpu = cpu_seconds(pid)
    start = time.perf_counter()
    for _ in range(n):
        async with session.get(url, headers=headers) as resp:
            await resp.read()
    wall = time.perf_counter() - start
    result = {"statements": int(statements) if statements else None,
              "cpu_ms": 1000 * (cpu_seconds(pid) - cpu) / n, "wall_ms": 1000 * wall / n}
    if db and (spent := db.spent(backends, await db.backends())) is not None:
        result["db_cpu_ms"] = 1000 * spent / n
    return result


WRK_LATENCY = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(binary: str, url: str, headers: dict, clients: int, seconds: float) -> dict:
    """Requests per second and p99 latency (ms) from `wrk -t2 -c<clients>` (issue 15's harness)."""
    args = [binary, "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency", "-H", "User-Agent: bench/reads"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"req_per_s": 0.0, "p99_ms": None,
              "loadgen_cpu_s": after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime}
    for line in out.splitlines():
        parts = line.split()
        if " requests in " in line:
            result["requests"] = int(parts[0])
        elif line.startswith("Requests/sec:"):
            result["req_per_s"] = float(parts[1])
        elif parts[:1] == ["99%"]:
            number = parts[1].rstrip("usm")
            result["p99_ms"] = float(number) * WRK_LATENCY[parts[1][len(number):]]
        elif "Non-2xx" in line:
            result["non_2xx"] = int(parts[-1])
    return result


async def measure(args: argparse.Namespace, url: str, headers: dict, pid: int | None = None,
                  db: DatabaseCpu | None = None) -> dict:
    """req/s (and p99 with wrk) under `--reads-clients` concurrent clients for `--reads-seconds`;
    with wrk, also each request's CPU under that load: the node's (`pid` and its children), the
    database server's and wrk's own."""
    if not args.reads_wrk:
        return {"req_per_s": await load(url, headers, args.reads_clients, args.reads_seconds), "p99_ms": None}
    backends = await db.backends() if db else None
    node = cpu_seconds(pid) if pid else 0.0
    result = await asyncio.to_thread(wrk_load, args.reads_wrk, url, headers, args.reads_clients,
                                     args.reads_seconds)
    n = result.get("requests")
    if n and pid:
        result["load_cpu_ms"] = 1000 * (cpu_seconds(pid) - node) / n
        result["loadgen_cpu_ms"] = 1000 * result["loadgen_cpu_s"] / n
        if db and (spent := db.spent(backends, await db.backends())) is not None:
            result["load_db_cpu_ms"] = 1000 * spent / n
        spent = result["load_cpu_ms"] + result.get("load_db_cpu_ms", 0.0) + result["loadgen_cpu_ms"]
        result["machine_ceiling"] = 1000 * (os.cpu_count() or 1) / spent
    return result


async def load(url: str, headers: dict, clients: int, seconds: float) -> float:
    """Requests per second from `clients` concurrent keep-alive clients (aiohttp, this process)."""
    done = 0
    end = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        async def client() -> None:
            nonlocal done
            while time.perf_counter() < end:
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                done += 1
        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return done / (time.perf_counter() - start)


async def hello_ceiling(args: argparse.Namespace) -> dict:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", HELLO, str(port)])
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                async with aiohttp.ClientSession() as session, session.get(url) as resp:
                    await resp.read()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        # Its CPU per request too, measured as the node's: on a busy machine req/s say more about
        # the neighbours than about the code, CPU per request much less.
        async with aiohttp.ClientSession() as session:
            cpu = (await sequential(session, url, {}, max(args.reads_requests, 500), proc.pid))["cpu_ms"]
        return {**await measure(args, url, {}), "cpu_ms": cpu} if args.reads_seconds > 0 else {"cpu_ms": cpu}
    finally:
        proc.terminate()
        proc.wait()


async def profile(session: aiohttp.ClientSession, url: str, headers: dict, n: int, pid: int, binary: str,
                  out: Path) -> dict:
    """py-spy (--gil: on-CPU Python only) over n more requests: where the node's CPU ends, by package,
    and the project's own functions anywhere on the stack."""
    spy = subprocess.Popen([binary, "record", "-p", str(pid), "--gil", "-r", "250", "-f", "raw", "-o", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1.0)
    for _ in range(n):
        async with session.get(url, headers=headers) as resp:
            await resp.read()
    spy.send_signal(signal.SIGINT)
    spy.wait(30)
    return summarise(out)


def summarise(out: Path) -> dict:
    """py-spy's raw samples → the packages the CPU ends in, the project's functions on the stack, and
    SQLAlchemy's and the event loop's share anywhere on the stack."""
    leaves: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    anywhere: collections.Counter = collections.Counter()
    total = 0
    for line in out.read_text().splitlines() if out.exists() else []:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        leaves[_package(frames[-1])] += int(count)
        for name in {f.split(" (")[0] + " " + _package(f)[8:] for f in frames if _package(f).startswith("project:")}:
            own[name] += int(count)
        for name in {_package(f) for f in frames} & {"sqlalchemy", "aiosqlite", "json", "logging", "prometheus_client"}:
            anywhere[name] += int(count)
    return {"samples": total, "leaf_packages": {k: v / total for k, v in leaves.most_common(12)} if total else {},
            "project_functions": {k: v / total for k, v in own.most_common(15)} if total else {},
            "inclusive_packages": {k: v / total for k, v in anywhere.most_common()} if total else {}}


PROJECT = ("api", "models", "federation", "backchannel", "social", "inbox", "outbox", "pages", "webfinger")


def _package(frame: str) -> str:
    """`func (path:line)` as py-spy writes it → the package of the frame's file (project:dir/file)."""
    path = frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    path = path.split("site-packages/")[-1].removeprefix(str(ROOT) + "/")
    top = path.split("/")[0]
    if top in PROJECT:
        return "project:" + path
    return top.removesuffix(".py") if "/" in path or path.endswith(".py") else path or "?"


async def run(args: argparse.Namespace) -> dict:
    args.reads_profile = args.reads_profile or ["home ?limit=20"]
    data = Path(tempfile.mkdtemp(prefix="bench-reads-"))
    node = None
    db = DatabaseCpu(args.reads_database)
    loadavg_start = os.getloadavg()
    try:
        print(f"reads: seeding {args.reads_rounds} rounds of data …", flush=True)
        scene = await prepare(data, args.reads_rounds, args.reads_database)
        node = Node(DOMAIN, free_port(), data, database=args.reads_database or None,
                    extra_env={"BACKCHANNEL_COUNT_STATEMENTS": "1", "BACKCHANNEL_LOG_LEVEL": "warning",
                               "BACKCHANNEL_PROCESSES": str(args.reads_processes)}).start()
        pid = node.proc.pid
        for _ in range(600):  # every process listening (each prints its line)
            if node.log_path.read_text(errors="replace").count("listening on") >= args.reads_processes:
                break
            await asyncio.sleep(0.1)
        memory_start = memory_mib(pid)
        hello = await hello_ceiling(args)
        ceiling = hello.get("req_per_s")
        rows = []
        async with aiohttp.ClientSession() as session:
            for label, path, who in endpoints(scene):
                headers = ({"Cookie": f"{COOKIE}={scene.token}.{scene.stream_token}"} if who == "web" else
                           {"Authorization": f"Bearer {scene.token}"} if who else {})
                row = {"endpoint": label, "path": path,
                       **await sequential(session, node.base + path, headers, args.reads_requests, pid, db)}
                if args.reads_seconds > 0:
                    row |= await measure(args, node.base + path, headers, pid, db)
                    row["ratio"] = row["req_per_s"] / ceiling if ceiling else None
                if args.reads_py_spy and label in args.reads_profile:
                    slug = "".join(c if c.isalnum() else "-" for c in label).strip("-")  # "web /home" and "web /@alice" apart
                    out = Path(tempfile.gettempdir()) / f"reads-{slug}-{os.getpid()}.pyspy.txt"
                    row["py_spy"] = await profile(session, node.base + path, headers, args.reads_requests, pid,
                                                  args.reads_py_spy, out)
                row["cpu_ratio"] = hello["cpu_ms"] / row["cpu_ms"] if row["cpu_ms"] else None
                row["memory"] = memory_mib(pid)
                rows.append(row)
                print(f"  {label:28} {row['statements']:>4} statements  {row['cpu_ms']:7.2f} ms CPU", flush=True)
        return {"hello_world_req_per_s": ceiling, "hello_world_p99_ms": hello.get("p99_ms"),
                "hello_world_cpu_ms": hello["cpu_ms"], "rows": rows,
                "memory_start": memory_start, "memory_end": memory_mib(pid),
                "requests": args.reads_requests, "clients": args.reads_clients,
                "load_generator": "wrk -t2" if args.reads_wrk else "aiohttp (this process)",
                "processes": args.reads_processes, "database": "postgresql" if args.reads_database else "sqlite",
                "loadavg_start": loadavg_start, "loadavg": os.getloadavg()}
    finally:
        await db.close()
        if node is not None:
            node.stop()
        shutil.rmtree(data, ignore_errors=True)


def print_profile(label: str, spy: dict) -> None:
    print(f"\npy-spy, {label} ({spy['samples']} samples): CPU ends in")
    for name, share in spy["leaf_packages"].items():
        print(f"  {share:6.1%}  {name}")
    print("packages anywhere on the stack: " + ", ".join(
        f"{name} {share:.1%}" for name, share in spy.get("inclusive_packages", {}).items()))
    print("project functions on the stack (inclusive):")
    for name, share in spy["project_functions"].items():
        print(f"  {share:6.1%}  {name}")


def report(result: dict) -> None:
    for row in result["rows"]:
        if row.get("py_spy"):
            print_profile(row["endpoint"], row["py_spy"])
    ceiling = result["hello_world_req_per_s"]
    print(f"\nreads: {result.get('processes', 1)} serve process(es) on {result.get('database', 'sqlite')}; "
          f"{result['requests']} sequential requests each; load average "
          f"{result['loadavg_start'][0]:.2f} at the start, {result['loadavg'][0]:.2f} at the end")
    if ceiling:
        p99 = result.get("hello_world_p99_ms")
        print(f"aiohttp hello world, {result['clients']} clients ({result['load_generator']}): {ceiling:,.0f} req/s"
              + (f", p99 {p99:.1f} ms" if p99 is not None else ""))
    print(f"aiohttp hello world: {result['hello_world_cpu_ms']:.3f} ms CPU per request (sequential)")
    print("× hello: req/s over hello world's req/s, both under the same load (a busy machine's neighbours "
          "weigh on it);\nCPU × hello: hello world's CPU per request over the endpoint's, what × hello "
          "would be on an idle machine\nfor CPU-bound servers")
    print(f"{'endpoint':28} {'stmts/req':>9} {'CPU ms/req':>10} {'CPU × hello':>11} {'req/s':>8} {'p99 ms':>7} "
          f"{'× hello':>8}")
    for row in result["rows"]:
        rps = f"{row['req_per_s']:8,.0f}" if "req_per_s" in row else f"{'—':>8}"
        p99 = f"{row['p99_ms']:7.1f}" if row.get("p99_ms") is not None else f"{'—':>7}"
        ratio = f"{row['ratio']:8.3f}" if row.get("ratio") else f"{'—':>8}"
        cpu_ratio = f"{row['cpu_ratio']:11.3f}" if row.get("cpu_ratio") else f"{'—':>11}"
        print(f"{row['endpoint']:28} {row['statements']:>9} {row['cpu_ms']:10.2f} {cpu_ratio} {rps} {p99} {ratio}")
    report_memory(result)
    loaded = [row for row in result["rows"] if row.get("load_cpu_ms") is not None]
    if loaded:
        print(f"\nunder that load, CPU ms per request: the node ({result.get('processes', 1)} process(es)), the "
              f"database server's backends, wrk; their sum against {os.cpu_count()} cores is the machine ceiling")
        print(f"{'endpoint':28} {'node':>7} {'db seq':>7} {'db load':>7} {'wrk':>6} {'sum':>6} {'ceiling/s':>9} "
              f"{'req/s':>8} {'node %':>7}")
        for row in loaded:
            db_seq, db_load = row.get("db_cpu_ms"), row.get("load_db_cpu_ms")
            spent = row["load_cpu_ms"] + (db_load or 0.0) + row["loadgen_cpu_ms"]
            print(f"{row['endpoint']:28} {row['load_cpu_ms']:7.2f} "
                  f"{db_seq if db_seq is not None else float('nan'):7.2f} "
                  f"{db_load if db_load is not None else float('nan'):7.2f} {row['loadgen_cpu_ms']:6.2f} "
                  f"{spent:6.2f} {row['machine_ceiling']:9,.0f} {row['req_per_s']:8,.0f} "
                  f"{row['req_per_s'] * row['load_cpu_ms'] / 10:6.0f}%")


def report_memory(result: dict) -> None:
    """The node's resident memory before the load and after each endpoint's: bounded caches show as
    a plateau, a leak as a climb that goes on to the last endpoint."""
    start, end = result.get("memory_start"), result.get("memory_end")
    if not start or not end:
        return
    after = [row["memory"]["rss_mib"] for row in result["rows"] if row.get("memory")]
    half = after[len(after) // 2] if after else end["rss_mib"]
    print(f"\nnode memory: {start['rss_mib']:.1f} MiB RSS after start, {half:.1f} MiB halfway through the "
          f"endpoints, {end['rss_mib']:.1f} MiB at the end; peak {end['peak_mib']:.1f} MiB "
          f"({len(after)} endpoints, {sum(r.get('requests', 0) for r in result['rows']):,} load requests)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reads-rounds", dest="reads_rounds", type=int, default=14,
                   help="rounds of seeded data, about 8 statuses each (default 14)")
    p.add_argument("--reads-requests", dest="reads_requests", type=int, default=200,
                   help="sequential requests per endpoint for the CPU figure (default 200)")
    p.add_argument("--reads-clients", dest="reads_clients", type=int, default=10,
                   help="concurrent clients for req/s (default 10)")
    p.add_argument("--reads-seconds", dest="reads_seconds", type=float, default=3.0,
                   help="seconds of load per endpoint and for hello world; 0 skips req/s (default 3)")
    p.add_argument("--reads-wrk", dest="reads_wrk", metavar="BIN", default=shutil.which("wrk"),
                   help="load generator for req/s: wrk (default when installed: `apt-get install wrk`); "
                        "'' for the aiohttp one in this process, which saturates near 1,000 req/s")
    p.add_argument("--reads-processes", dest="reads_processes", type=int, default=1,
                   help="serve processes sharing the port (serve --processes; default 1)")
    p.add_argument("--reads-database", dest="reads_database", default="",
                   help="a postgresql:// URL of an EMPTY database to use instead of SQLite (it is filled)")
    p.add_argument("--reads-py-spy", dest="reads_py_spy", metavar="BIN", nargs="?", default=None,
                   const=shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                   help="also profile the node with py-spy (not a project dependency) during the endpoints "
                        "of --reads-profile")
    p.add_argument("--reads-profile", dest="reads_profile", action="append", default=None,
                   help="endpoint label to profile (repeatable; default: home ?limit=20)")


def main(argv=None) -> int:  # noqa: ANN001
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    args = p.parse_args(argv)
    result = asyncio.run(run(args))
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
