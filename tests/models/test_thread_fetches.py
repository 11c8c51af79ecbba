"""The thread-fetch queue and the adoption of early replies, on SQLite and PostgreSQL."""
import time

import pytest

from models import statuses, thread_fetches
from models.db import Database
from models.migrate import upgrade
from models.schema import accounts, thread_fetches as table


@pytest.fixture
async def db(tmp_path, database_factory):
    from backchannel.config import database_url

    database = Database(database_url(database_factory() or "", str(tmp_path)))
    await upgrade(database)
    async with database.write() as conn:
        await conn.execute(accounts.insert().values(id=1, username="bob", domain="b.test", uri="http://b.test/users/bob",
                                                    created_at=time.time(), display_name="", note="",
                                                    fields="[]", actor_type="Person", locked=False, bot=False,
                                                    discoverable=True, followers_count=0,
                                                    following_count=0, statuses_count=0))
    yield database
    await database.dispose()


async def _rows(db):
    async with db.read() as conn:
        return {(r.kind, r.uri): r for r in (await conn.execute(table.select())).all()}


async def test_an_ancestor_is_queued_once(db):
    async with db.write() as conn:
        assert await thread_fetches.queue_ancestor(conn, "http://b.test/s/1", 1)
        assert not await thread_fetches.queue_ancestor(conn, "http://b.test/s/1", 5)
        assert not await thread_fetches.queue_ancestor(conn, "http://b.test/" + "x" * 3000, 1)
    rows = await _rows(db)
    assert list(rows) == [("ancestor", "http://b.test/s/1")] and rows[("ancestor", "http://b.test/s/1")].depth == 1


async def test_a_replies_walk_is_queued_again_only_when_stale(db):
    uris = ["http://b.test/s/1", "http://b.test/s/2"]
    async with db.write() as conn:
        assert await thread_fetches.queue_replies(conn, uris, 0, 300) == 2
    async with db.read() as conn:
        assert await thread_fetches.stale_replies(conn, uris, 300) == []  # queued: not asked again
    rows = await _rows(db)
    async with db.write() as conn:
        await thread_fetches.done(conn, rows[("replies", uris[0])].id)
        await conn.execute(table.update().where(table.c.uri == uris[1]).values(state="done",
                                                                               fetched_at=time.time() - 600))
    async with db.read() as conn:
        assert await thread_fetches.stale_replies(conn, uris, 300) == [uris[1]]
    async with db.write() as conn:
        await thread_fetches.queue_replies(conn, uris, 1, 300)
    rows = await _rows(db)
    assert rows[("replies", uris[0])].state == "done"  # walked a moment ago
    assert rows[("replies", uris[1])].state == "pending" and rows[("replies", uris[1])].depth == 1


async def test_finished_jobs_are_forgotten_after_a_while(db):
    async with db.write() as conn:
        await thread_fetches.queue_ancestor(conn, "http://b.test/s/old", 1)
        await thread_fetches.queue_ancestor(conn, "http://b.test/s/waiting", 1)
    rows = await _rows(db)
    async with db.write() as conn:
        await thread_fetches.done(conn, rows[("ancestor", "http://b.test/s/old")].id)
        assert await thread_fetches.prune(conn, time.time() - 60) == 0  # just finished: kept
        assert await thread_fetches.prune(conn, time.time() + 60) == 1  # the pending one stays
    assert list(await _rows(db)) == [("ancestor", "http://b.test/s/waiting")]


async def test_replies_stored_before_their_parent_join_it(db):
    now = time.time()
    common = dict(account_id=1, local=False, content="", spoiler_text="", sensitive=False, visibility="public",
                  created_at=now)
    async with db.write() as conn:
        early = await statuses.insert_status(conn, id=10, uri="http://b.test/s/child", in_reply_to_uri="http://b.test/s/p",
                                             **common)
        gone = await statuses.insert_status(conn, id=11, uri="http://b.test/s/gone", in_reply_to_uri="http://b.test/s/p",
                                            **common)
        await statuses.mark_deleted(conn, gone.id)
        parent = await statuses.insert_status(conn, id=12, uri="http://b.test/s/p", **common)
        assert await statuses.adopt_replies(conn, parent) == 1
        child = await statuses.get(conn, early.id)
    assert (child.in_reply_to_id, child.in_reply_to_account_id) == (parent.id, 1)
