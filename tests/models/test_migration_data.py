"""Every migration keeps the rows that exist when it runs.

An upgrade is applied to a node full of people's data. Here each revision is applied in turn to a
SQLite database (foreign keys on, as the node runs it) where, before every step, each table holds at
least one row, and every foreign key of that row points at a row of the table it names: a step that
rebuilt a table, or dropped one that others refer to, would take rows elsewhere with it through
ON DELETE CASCADE, and the counts would fall.
"""
from __future__ import annotations

import datetime as dt
import itertools

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, Integer, LargeBinary, MetaData, Numeric, String,
                        create_engine, event, select)
from sqlalchemy.exc import DBAPIError

from models.migrate import alembic_config
from models.search_index import is_index_table

_numbers = itertools.count(1000)


def _table_names(conn) -> list[str]:  # noqa: ANN001
    names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars()
    return [n for n in names if n != "alembic_version" and not n.startswith("sqlite_") and not is_index_table(n)]


def _counts(conn) -> dict[str, int]:  # noqa: ANN001
    return {name: conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() for name in _table_names(conn)}


def _value(column):  # noqa: ANN001, ANN202
    kind = column.type
    n = next(_numbers)
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, (Float, Numeric)):
        return float(n)
    if isinstance(kind, DateTime):
        return dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    if isinstance(kind, Date):
        return dt.date(2026, 1, 1)
    if isinstance(kind, LargeBinary):
        return b"x"
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, String):
        return f"v{n}.example"
    return f"v{n}"


def _fill_empty_tables(conn) -> list[str]:  # noqa: ANN001
    """One row in each empty table, every foreign key pointing at an existing row; returns the tables
    that refused a made-up row (a CHECK on their values)."""
    empty = [name for name, count in _counts(conn).items() if not count]
    meta = MetaData()
    meta.reflect(conn, only=empty)  # and the tables their foreign keys name
    refused = []
    for table in meta.sorted_tables:
        if table.name not in empty:
            continue
        row = {}
        for column in table.columns:
            targets = [fk.column for fk in column.foreign_keys]
            if targets:
                target = targets[0]
                found = None if target.table is table else conn.execute(select(target).limit(1)).scalar()
                if found is None and not column.nullable:
                    break
                row[column.name] = found
            else:
                row[column.name] = _value(column)
        else:
            savepoint = conn.begin_nested()
            try:
                conn.execute(table.insert().values(**row))
                savepoint.commit()
            except DBAPIError:
                savepoint.rollback()
                refused.append(table.name)
    return refused


def test_no_migration_loses_rows(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/upgrade.sqlite3")

    @event.listens_for(engine, "connect")
    def foreign_keys_on(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    cfg = alembic_config()
    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions()))]
    before: dict[str, int] = {}
    filled = set()
    try:
        for revision in revisions:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            with engine.begin() as conn:
                after = _counts(conn)
                lost = {name: (count, after[name]) for name, count in before.items()
                        if name in after and after[name] < count}
                assert not lost, f"revision {revision} lost rows (table: before, after): {lost}"
                _fill_empty_tables(conn)
                before = _counts(conn)
                filled |= {name for name, count in before.items() if count}
    finally:
        engine.dispose()
    # The check means something only if nearly every table held a row while the later steps ran.
    empty = set(before) - filled
    assert len(empty) <= len(before) // 10, f"tables never filled: {sorted(empty)}"
