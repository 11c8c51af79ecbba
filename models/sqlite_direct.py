"""SQLite reads without a thread hop: the standard `sqlite3` driver behind SQLAlchemy's async API.

aiosqlite runs every cursor call in its own thread and hands the result back through the event
loop: two or three hops per statement, which cost far more CPU than the read itself (py-spy put
40–48% of a timeline page in them). A read of a local SQLite file in WAL mode takes microseconds and
never waits for the writer, so the reader engine calls `sqlite3` directly on the event loop's thread;
SQLAlchemy's greenlet bridge then has nothing to await. Writes do the same: the one wait a write
may meet (BEGIN IMMEDIATE while another process writes) is retried through the event loop
(models.db._begin_immediate), never slept in sqlite3.

Registered as the `sqlite+direct` driver (models.db uses it for its reader and writer engines; the
slow reader, for searches, stays on aiosqlite's thread).
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.util.concurrency import await_


async def _nothing() -> None:
    return None


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What the async result expects of a cursor; rows are fetched straight from sqlite3."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory=_Cursor):  # noqa: ANN001, ANN201
        return super().cursor(factory)


class _Context(SQLiteExecutionContext):
    def pre_exec(self) -> None:
        # AsyncConnection.execute insists that a statement awaited something; awaiting a coroutine
        # that returns at once is a greenlet switch, not a trip through the event loop.
        await_(_nothing())
        super().pre_exec()


class SQLiteDialect_direct(SQLiteDialect_pysqlite):  # noqa: N801 - SQLAlchemy's naming
    driver = "direct"
    is_async = True  # allowed behind create_async_engine: its calls simply never await
    supports_statement_cache = True
    execution_ctx_cls = _Context

    def create_connect_args(self, url):  # noqa: ANN001, ANN201
        args, options = super().create_connect_args(url)
        return args, {**options, "factory": _Connection}

    @classmethod
    def get_pool_class(cls, url):  # noqa: ANN001, ANN206
        return pool.AsyncAdaptedQueuePool


registry.register("sqlite.direct", __name__, "SQLiteDialect_direct")
