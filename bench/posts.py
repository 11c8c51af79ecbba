#!/usr/bin/env python3
"""Posts through the API: how many statuses a real node takes per second from 1 and from 8 clients.

    .venv/bin/python bench/posts.py --help

One `backchannel serve` process (SQLite in a temporary folder, workers on, like a real node) and one
local account with a bearer token; `--posts` POST /api/v1/statuses (public, plain text) are sent by
1 client, then by 8 clients at once (aiohttp, keep-alive, this process). For each:

- posts/s: posts answered 200 divided by the wall time from the first request to the last answer
  (issue 15: ≥ 150 posts/s from 8 clients);
- ms/post (p50, p99): each request's wall time as the client saw it;
- CPU ms/post: the node's user + system CPU (/proc/PID/stat) over the phase, divided by the posts;
  it includes the fan-out worker's job for each post (no followers here);
- × hello: posts/s over an aiohttp hello-world process measured with the same load generator in
  the same run (bench/reads.py), the machine's ceiling for one Python process answering HTTP.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import aiohttp  # noqa: E402

import reads  # noqa: E402  bench/reads.py: the hello-world ceiling and /proc CPU
from tests.rig.nodes import Node, free_port  # noqa: E402

DOMAIN = "posts.test"


async def post_many(base: str, token: str, posts: int, clients: int, tag: str) -> dict:
    """`posts` statuses from `clients` concurrent clients; per-request latencies and wall time."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    codes: dict[int, int] = {}
    numbers = iter(range(posts))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        async def client() -> None:
            for n in numbers:
                started = time.perf_counter()
                async with session.post(base + "/api/v1/statuses", headers=headers,
                                        json={"status": f"bench {tag} post {n} #bench", "visibility": "public"}) as resp:
                    await resp.read()
                    codes[resp.status] = codes.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - start
    latencies.sort()
    return {"posts": posts, "clients": clients, "codes": codes, "wall_s": wall,
            "posts_per_s": codes.get(200, 0) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


async def run(args: argparse.Namespace) -> dict:
    data = Path(tempfile.mkdtemp(prefix="bench-posts-"))
    node = None
    loadavg_start = os.getloadavg()
    try:
        # The rig's environment lifts the rate limits (tests.rig.nodes.TEST_ENV).
        node = Node(DOMAIN, free_port(), data, extra_env={"BACKCHANNEL_LOG_LEVEL": "warning"}).start()
        node.create_user("poster")
        token = node.token("poster")
        pid = node.proc.pid
        args.reads_requests = 500
        hello = await reads.hello_ceiling(args)
        await post_many(node.base, token, 20, 1, "warm-up")
        rows = []
        for clients in args.clients:
            spy = None
            if args.py_spy:
                out = Path(tempfile.gettempdir()) / f"posts-c{clients}-{os.getpid()}.pyspy.txt"
                spy = subprocess.Popen([args.py_spy, "record", "-p", str(pid), "--gil", "-r", "250", "-f", "raw",
                                        "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                await asyncio.sleep(1.0)
            cpu = reads.cpu_seconds(pid)
            row = await post_many(node.base, token, args.posts, clients, f"c{clients}")
            row["cpu_ms"] = 1000 * (reads.cpu_seconds(pid) - cpu) / args.posts
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
                row["py_spy"] = reads.summarise(out)
            row["ratio"] = row["posts_per_s"] / hello["req_per_s"] if hello.get("req_per_s") else None
            row["cpu_ratio"] = hello["cpu_ms"] / row["cpu_ms"] if row["cpu_ms"] else None
            rows.append(row)
            print(f"  {clients} client(s): {row['posts_per_s']:.1f} posts/s", flush=True)
        return {"hello_world_req_per_s": hello.get("req_per_s"), "hello_world_cpu_ms": hello["cpu_ms"], "rows": rows,
                "load_generator": "wrk -t2" if args.reads_wrk else "aiohttp (this process)",
                "loadavg_start": loadavg_start, "loadavg": os.getloadavg()}
    finally:
        if node is not None:
            node.stop()
        shutil.rmtree(data, ignore_errors=True)


def report(result: dict) -> None:
    for row in result["rows"]:
        if row.get("py_spy"):
            reads.print_profile(f"posts from {row['clients']} client(s)", row["py_spy"])
    print(f"\nposts: load average {result['loadavg_start'][0]:.2f} at the start, {result['loadavg'][0]:.2f} at the end")
    if result["hello_world_req_per_s"]:
        print(f"aiohttp hello world ({result['load_generator']}): {result['hello_world_req_per_s']:,.0f} req/s")
    print(f"aiohttp hello world: {result['hello_world_cpu_ms']:.3f} ms CPU per request (sequential)")
    print(f"{'clients':>7} {'posts':>6} {'posts/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/post':>11} "
          f"{'CPU × hello':>11} {'× hello':>8}  answers")
    for row in result["rows"]:
        ratio = f"{row['ratio']:8.4f}" if row.get("ratio") else f"{'—':>8}"
        cpu_ratio = f"{row['cpu_ratio']:11.4f}" if row.get("cpu_ratio") else f"{'—':>11}"
        print(f"{row['clients']:>7} {row['posts']:>6} {row['posts_per_s']:8.1f} {row['p50_ms']:7.1f} "
              f"{row['p99_ms']:7.1f} {row['cpu_ms']:11.2f} {cpu_ratio} {ratio}  {row['codes']}")


def main(argv=None) -> int:  # noqa: ANN001
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--posts", type=int, default=200, help="posts per phase (default 200, as issue 15)")
    p.add_argument("--clients", type=int, action="append", default=None,
                   help="concurrent clients of a phase (repeatable; default 1 and 8)")
    p.add_argument("--reads-seconds", dest="reads_seconds", type=float, default=3.0,
                   help="seconds of hello-world load for the ceiling; 0 skips it (default 3)")
    p.add_argument("--reads-clients", dest="reads_clients", type=int, default=10,
                   help="clients of the hello-world load (default 10)")
    p.add_argument("--wrk", dest="reads_wrk", metavar="BIN", default=shutil.which("wrk"),
                   help="load generator for the hello-world ceiling (default: wrk when installed)")
    p.add_argument("--py-spy", dest="py_spy", metavar="BIN", nargs="?", default=None,
                   const=shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                   help="also profile the node with py-spy (not a project dependency) during each phase")
    args = p.parse_args(argv)
    args.clients = args.clients or [1, 8]
    report(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
