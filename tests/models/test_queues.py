"""Queue tables on a real database (SQLite, and PostgreSQL when present): claims, locks, retries."""
import asyncio
import time

import pytest

from models import queues
from models.db import Database
from models.migrate import upgrade
from models.schema import accounts, deliveries


@pytest.fixture
async def db(tmp_path, database_factory):
    url = database_factory()
    from backchannel.config import database_url

    database = Database(database_url(url or "", str(tmp_path)))
    await upgrade(database)
    async with database.write() as conn:
        await conn.execute(accounts.insert().values(id=1, username="alice", uri="http://a.test/users/alice",
                                                    created_at=time.time(), display_name="", note="",
                                                    fields="[]", actor_type="Person", locked=False, bot=False,
                                                    discoverable=True, followers_count=0,
                                                    following_count=0, statuses_count=0))
    yield database
    await database.dispose()


async def enqueue(db, n):
    async with db.write() as conn:
        await queues.enqueue_deliveries(conn, inboxes=[f"https://p.test/{i}/inbox" for i in range(n)],
                                        body="{}", signer_account_id=1)


async def test_a_claimed_row_is_not_claimed_again_until_its_lock_expires(db):
    await enqueue(db, 3)
    first = await db.claim(deliveries, limit=2, lock_seconds=60)
    second = await db.claim(deliveries, limit=2, lock_seconds=60)
    assert len(first) == 2 and len(second) == 1
    assert not {r.id for r in first} & {r.id for r in second}
    assert await db.claim(deliveries, limit=5, lock_seconds=60) == []
    # The worker holding them died: after the lock expires they are due again.
    again = await db.claim(deliveries, limit=5, lock_seconds=60, now=time.time() + 61)
    assert len(again) == 3 and all(r.attempts == 2 for r in again if r.id in {x.id for x in first})


async def test_concurrent_claims_never_share_a_row(db):
    await enqueue(db, 40)
    batches = await asyncio.gather(*(db.claim(deliveries, limit=7, lock_seconds=60) for _ in range(8)))
    ids = [row.id for batch in batches for row in batch]
    assert len(ids) == 40 and len(set(ids)) == 40


async def test_retry_later_and_finish(db):
    await enqueue(db, 1)
    [row] = await db.claim(deliveries, limit=1, lock_seconds=60)
    async with db.write() as conn:
        await queues.retry_later(conn, deliveries, row.id, "503", delay=30)
    assert await db.claim(deliveries, limit=1, lock_seconds=60) == []
    [row] = await db.claim(deliveries, limit=1, lock_seconds=60, now=time.time() + 31)
    async with db.write() as conn:
        await queues.finish(conn, deliveries, row.id)
        assert await queues.pending_count(conn, deliveries) == 0


def test_backoff_doubles_with_jitter_and_a_cap():
    delays = [queues.backoff(n, base=30, cap=3600) for n in range(1, 12)]
    assert 22 <= delays[0] <= 38
    assert 45 <= delays[1] <= 75
    assert max(delays) <= 3600 * 1.25
    assert queues.backoff(1, base=30, cap=3600, retry_after=600) >= 600


def test_retries_span_at_least_two_days_with_the_defaults():
    from backchannel.config import Config

    cfg = Config()
    assert cfg.delivery_give_up_after >= 2 * 24 * 3600
    total, attempts = 0.0, 0
    while total < cfg.delivery_give_up_after:
        attempts += 1
        total += min(cfg.delivery_retry_cap, cfg.delivery_retry_base * 2 ** (attempts - 1))
    assert 15 <= attempts <= 30  # Mastodon makes 17 attempts over about two days


# --- The inbox claim: a fair share per origin, each origin in order ---------------------------------

async def enqueue_inbox(db, origin, n, start=0):
    async with db.write() as conn:
        for i in range(start, start + n):
            await queues.enqueue_inbox(conn, activity_uri=f"https://{origin}/a/{i}", actor_uri=f"https://{origin}/u",
                                       origin=origin, body="{}", recipient_account_id=None)


def uris(rows):
    return [row.activity_uri for row in rows]


async def test_the_inbox_claim_takes_one_item_per_origin_in_arrival_order(db):
    # Given a backlog from one origin, then one item from another
    await enqueue_inbox(db, "busy.test", 5)
    await enqueue_inbox(db, "quiet.test", 1)
    # When workers claim
    first = await queues.claim_inbox(db, limit=8, lock_seconds=60)
    # Then each origin gets its oldest item, and nothing more while that one is in flight
    assert uris(first) == ["https://busy.test/a/0", "https://quiet.test/a/0"]
    assert await queues.claim_inbox(db, limit=8, lock_seconds=60) == []
    # When the busy origin's item is done, its next one follows, in order
    second = await queues.claim_inbox(db, limit=8, lock_seconds=60, finished=[first[0].id])
    assert uris(second) == ["https://busy.test/a/1"]


async def test_an_item_waiting_for_a_retry_does_not_hold_its_origin(db):
    await enqueue_inbox(db, "a.test", 2)
    [row] = await queues.claim_inbox(db, limit=8, lock_seconds=60)
    async with db.write() as conn:
        await queues.retry_later(conn, queues.inbox_items, row.id, "503", delay=30)
    assert uris(await queues.claim_inbox(db, limit=8, lock_seconds=60)) == ["https://a.test/a/1"]


async def test_an_expired_claim_is_taken_again(db):
    await enqueue_inbox(db, "a.test", 2)
    [row] = await queues.claim_inbox(db, limit=8, lock_seconds=60)
    [again] = await queues.claim_inbox(db, limit=8, lock_seconds=60, now=time.time() + 61)
    assert again.id == row.id and again.attempts == 2


async def test_concurrent_inbox_claims_never_run_two_items_of_one_origin(db):
    # Given 5 origins with 6 items each
    for n in range(5):
        await enqueue_inbox(db, f"o{n}.test", 6)
    # When 8 workers claim at the same moment
    batches = await asyncio.gather(*(queues.claim_inbox(db, limit=3, lock_seconds=60) for _ in range(8)))
    rows = [row for batch in batches for row in batch]
    # Then every origin has exactly one item in flight, its oldest
    assert sorted(uris(rows)) == [f"https://o{n}.test/a/0" for n in range(5)]


async def enqueue_actors(db, origin, actors, rounds):
    """`rounds` activities from each of `actors` on `origin`, interleaved in arrival order."""
    async with db.write() as conn:
        for r in range(rounds):
            for actor in actors:
                await queues.enqueue_inbox(conn, activity_uri=f"https://{origin}/{actor}/{r}",
                                           actor_uri=f"https://{origin}/{actor}", origin=origin, body="{}",
                                           recipient_account_id=None)


async def test_an_origins_actors_run_side_by_side_each_in_order(db):
    # Given three actors of one origin, two activities each (a Create, then its Delete, say)
    await enqueue_actors(db, "many.test", ["a", "b", "c"], 2)
    # When a worker may run two of that origin's items at once
    first = await queues.claim_inbox(db, limit=8, lock_seconds=60, per_origin=2)
    # Then it starts the first activity of two different actors, never an actor's second
    assert uris(first) == ["https://many.test/a/0", "https://many.test/b/0"]
    assert await queues.claim_inbox(db, limit=8, lock_seconds=60, per_origin=2) == []
    # And when one of them is done, the next in arrival order whose actor is free follows
    second = await queues.claim_inbox(db, limit=8, lock_seconds=60, per_origin=2, finished=[first[0].id])
    assert uris(second) == ["https://many.test/c/0"]
    third = await queues.claim_inbox(db, limit=8, lock_seconds=60, per_origin=2, finished=[first[1].id])
    assert uris(third) == ["https://many.test/a/1"]


async def test_an_origin_with_many_actors_leaves_slots_to_the_others(db):
    # Given a backlog from six actors of one origin, then one item from another origin
    await enqueue_actors(db, "busy.test", [f"u{n}" for n in range(6)], 3)
    await enqueue_inbox(db, "quiet.test", 1)
    # When a worker with four free slots claims, an origin holding at most half of them
    rows = await queues.claim_inbox(db, limit=4, lock_seconds=60, per_origin=2)
    # Then the busy origin gets its two, and the quiet one its item
    assert sorted(uris(rows)) == ["https://busy.test/u0/0", "https://busy.test/u1/0", "https://quiet.test/a/0"]


async def test_old_inbox_ids_are_forgotten_a_batch_at_a_time(db):
    # Housekeeping deletes in short transactions: on SQLite each runs on the event loop's thread.
    from sqlalchemy import func, select, update

    from models.schema import inbox_items

    async with db.write() as conn:
        await queues.enqueue_inbox_many(conn, [dict(activity_uri=f"https://p.test/a/{i}", actor_uri="https://p.test/u",
                                                     origin="p.test", body="{}", recipient_account_id=None)
                                               for i in range(7)])
        await conn.execute(update(inbox_items).values(state="done", created_at=100.0)
                           .where(inbox_items.c.activity_uri != "https://p.test/a/0"))
        await conn.execute(update(inbox_items).values(created_at=100.0)  # old, but never applied: kept
                           .where(inbox_items.c.activity_uri == "https://p.test/a/0"))
    forgotten = []

    async def step(conn):  # noqa: ANN001, ANN202
        forgotten.append(await queues.prune_inbox(conn, older_than=200.0, limit=4))
        return forgotten[-1]

    assert await db.prune(step, 4) == 6
    assert forgotten == [4, 2]
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one() == 1
