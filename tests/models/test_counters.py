"""Counters on rows (models.counters) move when their transaction commits: a hot row (one person
with a thousand new followers) is locked for the commit only, and never in an order that deadlocks."""
import asyncio
import time

import pytest
from sqlalchemy import select, text

from models import accounts as accounts_store
from models import counters
from models.db import Database
from models.migrate import upgrade
from models.schema import accounts


async def _database(url: str) -> Database:
    database = Database(url)
    await upgrade(database)
    async with database.write() as conn:
        for n, name in ((1, "alice"), (2, "bob")):
            await conn.execute(accounts.insert().values(
                id=n, username=name, uri=f"http://a.test/users/{name}", created_at=time.time(), display_name="",
                note="", fields="[]", actor_type="Person", locked=False, bot=False, discoverable=True,
                followers_count=0, following_count=0, statuses_count=0))
    return database


@pytest.fixture
async def db(tmp_path, database_factory):
    from backchannel.config import database_url

    database = await _database(database_url(database_factory() or "", str(tmp_path)))
    yield database
    await database.dispose()


@pytest.fixture
async def pg(postgres_url):
    from backchannel.config import database_url

    database = await _database(database_url(postgres_url, ""))
    yield database
    await database.dispose()


async def counts(db: Database, account_id: int) -> tuple[int, int]:
    async with db.read() as conn:
        row = (await conn.execute(select(accounts.c.followers_count, accounts.c.following_count)
                                  .where(accounts.c.id == account_id))).one()
    return row.followers_count, row.following_count


async def test_counters_move_at_commit_added_up_and_never_below_zero(db):
    # Given several changes to two accounts' counters in one transaction
    async with db.write() as conn:
        await accounts_store.bump_counter(conn, 1, "followers_count", 1)
        await accounts_store.bump_counter(conn, 1, "followers_count", 2)
        await accounts_store.bump_counter(conn, 2, "following_count", -5)
        await accounts_store.bump_counter(conn, 2, "followers_count", 1)
    # Then they are all applied, and a counter stops at zero
    assert await counts(db, 1) == (3, 0)
    assert await counts(db, 2) == (1, 0)


async def test_a_rolled_back_transaction_moves_no_counter_then_or_later(db):
    # Given a transaction that bumps a counter and then fails
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await accounts_store.bump_counter(conn, 1, "followers_count", 1)
            raise RuntimeError("the fact failed half-way")
    # When the next transactions (on the same pooled connection) commit
    for _ in range(2):
        async with db.write() as conn:
            await conn.execute(text("SELECT 1"))
    # Then the failed one's change never arrives
    assert await counts(db, 1) == (0, 0)


async def test_a_flush_shows_the_new_count_inside_the_transaction(db):
    async with db.write() as conn:
        await accounts_store.bump_counter(conn, 1, "followers_count", 1)
        await counters.flush(conn)
        assert (await conn.execute(select(accounts.c.followers_count).where(accounts.c.id == 1))).scalar() == 1
    assert await counts(db, 1) == (1, 0)


async def test_a_counter_bumped_early_does_not_lock_its_row_while_the_transaction_goes_on(pg):
    # Given a transaction on PostgreSQL that bumped alice's followers and is still doing other work
    async with pg.write() as first:
        await accounts_store.bump_counter(first, 1, "followers_count", 1)
        await first.execute(text("SELECT 1"))
        # When another transaction wants alice's row at once
        async with pg.write() as second:
            # Then it gets it (NOWAIT fails at once on a row another transaction holds)
            await second.execute(text("SELECT id FROM accounts WHERE id = 1 FOR UPDATE NOWAIT"))
            await accounts_store.bump_counter(second, 1, "followers_count", 1)
    assert await counts(pg, 1) == (2, 0)


async def test_two_follows_each_way_at_once_do_not_deadlock(pg):
    # Given alice following bob while bob follows alice: each transaction bumps its own row first,
    # then the other's, interleaved so that each has done its first bump before either does its second
    alice_first, bob_first = asyncio.Event(), asyncio.Event()

    async def alice_follows_bob() -> None:
        async with pg.write() as conn:
            await accounts_store.bump_counter(conn, 1, "following_count", 1)
            await conn.execute(text("SELECT 1"))
            alice_first.set()
            await bob_first.wait()
            await accounts_store.bump_counter(conn, 2, "followers_count", 1)
            await conn.execute(text("SELECT 1"))

    async def bob_follows_alice() -> None:
        async with pg.write() as conn:
            await alice_first.wait()
            await accounts_store.bump_counter(conn, 2, "following_count", 1)
            await conn.execute(text("SELECT 1"))
            bob_first.set()
            await accounts_store.bump_counter(conn, 1, "followers_count", 1)
            await conn.execute(text("SELECT 1"))

    # When both commit
    await asyncio.wait_for(asyncio.gather(alice_follows_bob(), bob_follows_alice()), 30)
    # Then both counted (PostgreSQL found no deadlock to break by failing one of them)
    assert await counts(pg, 1) == (1, 1)
    assert await counts(pg, 2) == (1, 1)


async def test_a_connection_lost_in_a_write_raises_its_own_error(pg):
    """The outage middleware answers 503 for a vanished database by the driver's error: nothing done
    at the end of a failed write may replace it with SQLAlchemy's PendingRollbackError."""
    from sqlalchemy.exc import DBAPIError, PendingRollbackError

    with pytest.raises(DBAPIError) as raised:
        async with pg.write() as conn:
            await accounts_store.bump_counter(conn, 1, "followers_count", 1)
            await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    assert not isinstance(raised.value, PendingRollbackError)
    assert await counts(pg, 1) == (0, 0)
