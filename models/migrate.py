"""Apply the Alembic migrations in models/migrations to a database."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from models.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(database: Database) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()

    def run(sync_conn) -> str | None:  # noqa: ANN001
        before = MigrationContext.configure(sync_conn).get_current_revision()
        if before != head:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")
        return before

    async with database.write() as conn:
        before = await conn.run_sync(run)
    return before, head


async def autogenerate(database: Database, message: str, rev_id: str | None = None) -> None:
    """Write a new revision from the difference between models.schema and the database (developers)."""
    cfg = alembic_config()

    def run(sync_conn) -> None:  # noqa: ANN001
        cfg.attributes["connection"] = sync_conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)

    async with database.write() as conn:
        await conn.run_sync(run)
