"""The migrations build exactly the schema in models/schema.py, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from backchannel.config import database_url
from models.db import Database
from models.migrate import upgrade
from models.schema import metadata
from models.search_index import is_index_table


async def test_migrations_match_the_schema(tmp_path, database_factory):
    db = Database(database_url(database_factory() or "", str(tmp_path)))
    try:
        before, after = await upgrade(db)
        assert before is None and after
        assert await upgrade(db) == (after, after)  # a second run changes nothing

        def differences(sync_conn):
            context = MigrationContext.configure(sync_conn, opts={
                "compare_type": True,  # the search index is not in models.schema (models.search_index)
                "include_name": lambda name, kind, _: not (kind == "table" and is_index_table(name))})
            return compare_metadata(context, metadata)

        async with db.read() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await db.dispose()


def test_the_migrations_form_one_line():
    # Engineers working side by side each add revisions; two revisions on one parent leave two heads,
    # and `migrate` would refuse to run. Every revision has one parent and at most one child.
    from alembic.script import ScriptDirectory

    from models.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    from models.migrate import head_revision

    assert head_revision() == script.get_current_head()  # what a start at the head compares with
    children: dict[str, list[str]] = {}
    for revision in script.walk_revisions():
        for parent in ([revision.down_revision] if isinstance(revision.down_revision, str)
                       else revision.down_revision or []):
            children.setdefault(parent, []).append(revision.revision)
    assert all(len(c) == 1 for c in children.values()), {p: c for p, c in children.items() if len(c) > 1}


async def test_no_migration_rebuilds_a_table_on_sqlite(tmp_path):
    # Alembic's batch mode rebuilds a SQLite table (copy, DROP, rename) for some changes; with
    # foreign keys on, dropping the old table deletes every row elsewhere that refers to it (an
    # account's statuses, follows, blocks…). Adding a column must be a plain ADD COLUMN.
    from sqlalchemy import event

    from models.db import Database
    from models.migrate import upgrade

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3")
    rebuilt: list[str] = []

    @event.listens_for(db.writer.sync_engine, "before_cursor_execute")
    def watch(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN002
        if "_alembic_tmp_" in statement:
            rebuilt.append(statement.split("(")[0].strip())

    try:
        await upgrade(db)
    finally:
        await db.dispose()
    assert rebuilt == []


async def test_a_database_at_the_newest_revision_starts_without_importing_alembic(tmp_path):
    # Alembic with Mako and Pygments is ~12 MB of every process's memory, needed only to migrate.
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"
    db = Database(url)
    try:
        before, head = await upgrade(db)
    finally:
        await db.dispose()
    assert before is None
    script = ("import asyncio, sys\n"
              "from models.db import Database\nfrom models.migrate import upgrade\n"
              "async def main():\n"
              f"    db = Database({url!r})\n"
              "    try:\n        print(await upgrade(db))\n    finally:\n        await db.dispose()\n"
              "asyncio.run(main())\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'pygments'}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split("\n")[:2] == [str((head, head)), "[]"], out.stdout + out.stderr
