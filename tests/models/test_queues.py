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
