#!/usr/bin/env python3
"""Search: latency of full-text search and expert ranking on N statuses, SQLite and PostgreSQL, and
the index's size beside the statuses table's.

    .venv/bin/python bench/search.py                  # 100,000 statuses, both databases
    .venv/bin/python bench/search.py --statuses 20000 --databases sqlite

In-process: the data (accounts, statuses of 8-40 words drawn from a Zipf-like vocabulary, hashtags,
a mix of visibilities, some links, a reader who follows 100 people and favourited 300 posts) is
written straight into a fresh database, the index is built with models.search_index.rebuild (what
`backchannel search reindex` runs), then each query is timed as one read through models.search (a
connection from the pool, the statement, the rows): words, a phrase, a tag, operators, exclusions.
Times are wall-clock milliseconds; p50 and p99 per database. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from backchannel.progress import Progress  # noqa: E402
from models import experts, search  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.schema import accounts, favourites, follows, status_tags, statuses, tags  # noqa: E402
from models.search_index import rebuild  # noqa: E402
from models.search_query import parse  # noqa: E402

VOCABULARY = 8000
TAGS = 300
ACCOUNTS = 2000
BATCH = 5000


def vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def zipf_weights(n: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(n)]


async def seed(db: Database, n: int, rng: random.Random) -> tuple[int, list[str], list[str]]:
    """Write the data; returns (the reader's account id, the vocabulary, the tag names)."""
    words = vocabulary(rng)
    weights = zipf_weights(len(words))
    tag_names = [f"tag{i}" for i in range(TAGS)]
    now = time.time()
    account_rows = [{"id": 1000 + i, "username": f"user{i}", "domain": None if i < ACCOUNTS // 2 else f"org{i % 20}.test",
                     "uri": f"https://org.test/users/{i}", "display_name": f"User {i}", "note": "",
                     "fields": "[]", "discoverable": True, "indexable": rng.random() < 0.7, "created_at": now}
                    for i in range(ACCOUNTS)]
    reader = 1000
    visibilities = ["public"] * 70 + ["unlisted"] * 10 + ["private"] * 15 + ["direct"] * 5
    async with db.write() as conn:
        await conn.execute(insert(accounts), account_rows)
        await conn.execute(insert(tags), [{"id": 1 + i, "name": name} for i, name in enumerate(tag_names)])
        await conn.execute(insert(follows), [{"id": 1 + i, "account_id": reader, "target_account_id": 1001 + i,
                                              "state": "accepted", "created_at": now} for i in range(100)])
    progress = Progress(f"seeding {n} statuses")
    start_id = 10 ** 12
    for first in range(0, n, BATCH):
        rows, tagged = [], []
        for offset in range(min(BATCH, n - first)):
            status_id = start_id + first + offset
            body = rng.choices(words, weights, k=rng.randint(8, 40))
            tag = rng.choice(tag_names) if rng.random() < 0.2 else None
            link = ' <a href="https://example.com/x">example.com/x</a>' if rng.random() < 0.1 else ""
            content = "<p>" + " ".join(body) + (f' <a href="#" class="mention hashtag">#{tag}</a>' if tag else "") + link + "</p>"
            rows.append({"id": status_id, "uri": f"https://org.test/s/{status_id}", "account_id": 1000 + rng.randrange(ACCOUNTS),
                         "local": True, "content": content, "spoiler_text": "", "sensitive": False,
                         "visibility": rng.choice(visibilities), "language": rng.choice(["en", "en", "de", "fr"]),
                         "created_at": now - rng.random() * 365 * 86400, "replies_count": 0, "reblogs_count": 0,
                         "favourites_count": 0})
            if tag:
                tagged.append({"status_id": status_id, "tag_id": 1 + tag_names.index(tag)})
        async with db.write() as conn:
            await conn.execute(insert(statuses), rows)
            if tagged:
                await conn.execute(insert(status_tags), tagged)
        progress(first + len(rows), n)
    async with db.write() as conn:
        liked = rng.sample(range(n), min(300, n))
        await conn.execute(insert(favourites), [{"id": 1 + i, "account_id": 1001 + (i % 50), "status_id": start_id + s,
                                                 "created_at": now} for i, s in enumerate(liked)])
        await conn.execute(insert(favourites), [{"id": 10_000 + i, "account_id": reader, "status_id": start_id + s,
                                                 "created_at": now} for i, s in enumerate(liked)])
    return reader, words, tag_names


def queries(words: list[str], tag_names: list[str], rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(shape, query) pairs; `common` words are among the 50 most frequent (in most posts)."""
    common, middling, rare = words[:50], words[50:800], words[800:]
    shapes = {
        "middling word": lambda: rng.choice(middling),
        "rare word": lambda: rng.choice(rare),
        "common word": lambda: f"{rng.choice(common)}",
        "two words": lambda: f"{rng.choice(middling)} {rng.choice(middling)}",
        "common phrase": lambda: f'"{rng.choice(common)} {rng.choice(common)}"',
        "tag": lambda: f"#{rng.choice(tag_names)}",
        "word -common": lambda: f"{rng.choice(middling)} -{rng.choice(common)}",
        "has:link language:": lambda: f"{rng.choice(middling)} has:link language:en",
        "common from:": lambda: f"{rng.choice(common)} from:user{rng.randrange(ACCOUNTS // 2)}",
        "after: is:sensitive": lambda: f"{rng.choice(middling)} after:2025-01-01 is:sensitive",
    }
    names = list(shapes)
    return [(name, shapes[name]()) for name in (rng.choice(names) for _ in range(count))]


async def timed(run, items) -> list[float]:  # noqa: ANN001
    out = []
    for item in items:
        started = time.perf_counter()
        await run(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


SIZES = {
    "sqlite": ("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search_statuses%'",
               "SELECT coalesce(sum(pgsize), 0) FROM dbstat JOIN sqlite_master USING (name) "
               "WHERE sqlite_master.tbl_name = 'statuses'"),
    "postgresql": ("SELECT pg_total_relation_size('search_statuses')",
                   "SELECT pg_total_relation_size('statuses')"),
}


async def measure(url: str, n: int, rounds: int, seed_value: int) -> dict:
    rng = random.Random(seed_value)
    db = Database(url)
    try:
        await upgrade(db)
        reader, words, tag_names = await seed(db, n, rng)
        started = time.perf_counter()
        await rebuild(db, Progress("indexing"))
        index_seconds = time.perf_counter() - started
        if db.dialect == "postgresql":
            async with db.write() as conn:
                await conn.execute(text("ANALYZE"))
        async with db.read() as conn:
            index_bytes = (await conn.execute(text(SIZES[db.dialect][0]))).scalar()
            table_bytes = (await conn.execute(text(SIZES[db.dialect][1]))).scalar()

        async def find(q: str) -> None:
            async with db.read() as conn:
                await search.search_statuses(conn, parse(q), reader, limit=20)

        async def rank(topic: str) -> None:
            async with db.read() as conn:
                await experts.rank(conn, [topic], reader, limit=10)

        asked = queries(words, tag_names, rng, rounds)
        await timed(find, [q for _, q in asked[:20]])  # warm the caches
        status_ms = await timed(find, [q for _, q in asked])
        by_shape: dict[str, list[float]] = {}
        for (shape, _), ms in zip(asked, status_ms):
            by_shape.setdefault(shape, []).append(ms)
        topics = [rng.choice(words[50:800]) for _ in range(max(rounds // 4, 20))]
        expert_ms = await timed(rank, topics)
        return {"statuses": n, "index_seconds": index_seconds, "index_bytes": index_bytes, "table_bytes": table_bytes,
                "search_p50": percentile(status_ms, 50), "search_p99": percentile(status_ms, 99),
                "search_mean": statistics.mean(status_ms),
                "experts_p50": percentile(expert_ms, 50), "experts_p99": percentile(expert_ms, 99),
                "shapes": {shape: (percentile(ms, 50), max(ms)) for shape, ms in sorted(by_shape.items())}}
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description="Full-text search latency and index size (run by hand).")
    parser.add_argument("--statuses", type=int, default=100_000, help="statuses to write (default 100000)")
    parser.add_argument("--queries", type=int, default=400, help="status searches timed per database (default 400)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the data and the queries")
    args = parser.parse_args()
    results = {}
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                results[name] = asyncio.run(measure(f"sqlite+aiosqlite:///{folder}/bench.sqlite3", args.statuses,
                                                    args.queries, args.seed))
        else:
            from tests.rig.databases import create_database, drop_database, postgres_available

            if reason := postgres_available():
                print(f"postgresql skipped: {reason}", file=sys.stderr)
                continue
            url = create_database()
            try:
                results[name] = asyncio.run(measure(url.replace("postgresql://", "postgresql+asyncpg://", 1),
                                                    args.statuses, args.queries, args.seed))
            finally:
                drop_database(url)
    print(f"\n{'database':<11}{'statuses':>9}{'search p50':>12}{'p99':>9}{'experts p50':>13}{'p99':>9}"
          f"{'index MB':>10}{'table MB':>10}{'ratio':>7}{'build s':>9}")
    for name, r in results.items():
        print(f"{name:<11}{r['statuses']:>9}{r['search_p50']:>10.1f}ms{r['search_p99']:>7.1f}ms"
              f"{r['experts_p50']:>11.1f}ms{r['experts_p99']:>7.1f}ms{r['index_bytes'] / 1e6:>10.1f}"
              f"{r['table_bytes'] / 1e6:>10.1f}{r['index_bytes'] / max(r['table_bytes'], 1):>7.2f}{r['index_seconds']:>9.1f}")
    for name, r in results.items():
        print(f"\n{name}: p50 / max ms by query shape")
        for shape, (p50, worst) in r["shapes"].items():
            print(f"  {shape:<22}{p50:>9.1f}{worst:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
