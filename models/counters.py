"""Counters kept on rows (an account's followers, a status's likes), moved at the end of the
transaction that changes them.

A counter is a hot row: a thousand remote Follows of one person, or the Likes of a post everyone
sees, all update the same row. On PostgreSQL an UPDATE locks its row until the transaction ends,
so a counter moved early holds every other transaction touching it behind everything this one
still does (and the connections they hold, which the inbox needs to accept anything). Here a
transaction only notes its changes (`bump`); Database.write applies them just before COMMIT
(`flush`), one statement per table, rows in id order: the lock lasts one statement and the commit,
and two transactions never take two counters in opposite orders (no deadlock). A read in the same
transaction that must see the new count calls `flush` first.
"""
from __future__ import annotations

from sqlalchemy import Integer, Table, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import accounts, statuses

_PENDING = "backchannel.counters"  # key in the connection's info: {(table, id): {column: delta}}
_ORDER = {accounts.name: 0, statuses.name: 1}  # the order tables are locked in, then ids
_TABLES = {t.name: t for t in (accounts, statuses)}
_statements: dict[tuple[str, tuple[str, ...]], object] = {}


def bump(conn: AsyncConnection, table: Table, row_id: int, column: str, delta: int) -> None:
    """Move `table.column` of row `row_id` by `delta` (never below 0) when the transaction commits."""
    if table.name not in _TABLES or column not in table.c:
        raise ValueError(f"not a counter: {table.name}.{column}")
    if delta:
        row = conn.info.setdefault(_PENDING, {}).setdefault((table.name, row_id), {})
        row[column] = row.get(column, 0) + delta


def forget(conn: AsyncConnection) -> None:
    """Drop what was noted on this connection (by a transaction that failed: the noted changes
    stay with the pooled connection until its next transaction begins with this)."""
    conn.info.pop(_PENDING, None)


async def flush(conn: AsyncConnection) -> None:
    """Apply the noted changes now, in one statement per table."""
    pending: dict = conn.info.pop(_PENDING, None) or {}
    by_table: dict[str, list[tuple[int, dict]]] = {}
    for (name, row_id), deltas in sorted(pending.items(), key=lambda item: (_ORDER[item[0][0]], item[0][1])):
        if any(deltas.values()):
            by_table.setdefault(name, []).append((row_id, deltas))
    for name, rows in by_table.items():
        columns = tuple(sorted({c for _, deltas in rows for c in deltas}))
        await conn.execute(_statement(name, columns),
                           [{"row": row_id, **{f"d_{c}": deltas.get(c, 0) for c in columns}}
                            for row_id, deltas in rows])


def _statement(name: str, columns: tuple[str, ...]):  # noqa: ANN202
    key = (name, columns)
    if key not in _statements:  # a few shapes only: the counters' columns of two tables
        table = _TABLES[name]
        moved = {c: table.c[c] + bindparam(f"d_{c}", type_=Integer) for c in columns}
        _statements[key] = update(table).where(table.c.id == bindparam("row")).values(
            {table.c[c]: case((moved[c] < 0, 0), else_=moved[c]) for c in columns})
    return _statements[key]
