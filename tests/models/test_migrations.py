"""The migrations build exactly the schema in models/schema.py, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from backchannel.config import database_url
from models.db import Database
from models.migrate import upgrade
from models.schema import metadata


async def test_migrations_match_the_schema(tmp_path, database_factory):
    db = Database(database_url(database_factory() or "", str(tmp_path)))
    try:
        before, after = await upgrade(db)
        assert before is None and after
        assert await upgrade(db) == (after, after)  # a second run changes nothing

        def differences(sync_conn):
            context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)

        async with db.read() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await db.dispose()
