"""Apply the Alembic migrations in models/migrations to a database.

Any number of processes may start together on an empty database: each upgrade runs under one lock
(an advisory lock on PostgreSQL; on SQLite the write transaction begins IMMEDIATE, which takes the
database file's write lock), so the first migrates and the others find the schema at its head.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from sqlalchemy import text

from models.db import Database

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# The advisory lock's key on PostgreSQL (any constant; "bcmigr" in ASCII).
MIGRATION_LOCK = 0x62636D69677272


def serialize(sync_conn) -> None:  # noqa: ANN001
    """Make the caller's transaction wait for any other holder of the migration lock (released at
    commit). On SQLite the writer's BEGIN IMMEDIATE already holds the file's write lock."""
    if sync_conn.dialect.name == "postgresql":
        sync_conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(database: Database, on_step: Callable[[int, int, str], None] | None = None,
                  ) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after).
    `on_step(done, total, revision)` is called after each revision is applied (for a progress bar).

    A database already at the newest revision (every start but the first after an upgrade) is
    recognised without Alembic: importing it, with Mako and Pygments, would cost every process
    about 12 MB it never gives back."""
    head = head_revision()

    def run(sync_conn) -> str | None:  # noqa: ANN001
        serialize(sync_conn)
        before = _current_revision(sync_conn)
        if before != head:
            _alembic_upgrade(sync_conn, before, on_step)
        return before

    async with database.write() as conn:
        before = await conn.run_sync(run)
    return before, head


def head_revision() -> str:
    """The newest revision, read from the revision files (their `revision` and `down_revision`
    lines), so a start at the head need not import Alembic; tests check it agrees with Alembic's."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revision = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\s*=(.*)$", source, re.M)  # None, 'id' or ('id', 'id')
        if revision:
            revisions.add(revision[1])
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down[1] if down else ""))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _current_revision(sync_conn) -> str | None:  # noqa: ANN001
    """The revision recorded in the database (Alembic's table), or None for an empty database."""
    from sqlalchemy import inspect

    if not inspect(sync_conn).has_table("alembic_version"):
        return None
    return sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_upgrade(sync_conn, before: str | None, on_step) -> None:  # noqa: ANN001
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    scripts = ScriptDirectory.from_config(cfg)
    cfg.attributes["connection"] = sync_conn
    if on_step is not None:
        total = len(list(scripts.iterate_revisions("head", before or "base")))
        done = iter(range(1, total + 1))
        cfg.attributes["on_version_apply"] = lambda ctx, step, heads, run_args: on_step(
            next(done, total), total, step.up_revision_id or "")
    command.upgrade(cfg, "head")


async def autogenerate(database: Database, message: str, rev_id: str | None = None) -> None:
    """Write a new revision from the difference between models.schema and the database (developers)."""
    from alembic import command

    cfg = alembic_config()

    def run(sync_conn) -> None:  # noqa: ANN001
        cfg.attributes["connection"] = sync_conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)

    async with database.write() as conn:
        await conn.run_sync(run)


def regenerate_initial() -> Path:
    """Developers, before the first release only: rebuild revision 0001 from models/schema.py.

    Once a database exists anywhere, add new revisions instead (autogenerate with a new rev_id).
    """
    import asyncio
    import tempfile

    target = MIGRATIONS / "versions" / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/empty.sqlite3")

        async def run() -> None:
            try:
                await autogenerate(db, "initial schema", rev_id="0001")
            finally:
                await db.dispose()

        asyncio.run(run())
    return target


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--regenerate-initial"]:
        raise SystemExit("usage: python -m models.migrate --regenerate-initial  (developers only)")
    print(f"wrote {regenerate_initial()}")
