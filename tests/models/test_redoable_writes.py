"""Writes a crash may lose because they are done again from a durable row (models.db.redoable: an
inbox item applied, a queue row claimed or marked done) commit on PostgreSQL without waiting for the
WAL flush; every other write, and above all what the inbox accepts, still waits for the disk."""
from sqlalchemy import text

from backchannel import workers
from backchannel.config import database_url
from models import db as db_module
from models.db import Database, redoable
from models.schema import deliveries, inbox_items


async def _setting(database: Database, **kw) -> str:  # noqa: ANN003
    async with database.write(**kw) as conn:
        return (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()


async def test_only_redoable_writes_commit_without_waiting_for_the_disk(postgres_url, tmp_path):
    database = Database(database_url(postgres_url, str(tmp_path)))
    try:
        assert await _setting(database) == "on"
        with redoable():
            assert await _setting(database) == "off"
            assert await _setting(database, urgent=True) == "on"  # the inbox's store before its 202
        # SET LOCAL: the pooled connection serves the next write with the server's setting again
        assert await _setting(database) == "on"
    finally:
        await database.dispose()


def test_the_worker_applies_inbox_items_as_redoable_and_only_them():
    def inside(table) -> bool:  # noqa: ANN001
        queue = workers.Queue("q", table, None, batch=1, concurrent=False, lock_seconds=1)
        with workers._redoable(queue):
            return db_module._redoable.get()

    assert inside(inbox_items) is True
    assert inside(deliveries) is False  # a delivery's outcome is recorded durably
