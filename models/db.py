"""The database handle: async SQLAlchemy engines for SQLite (default) and PostgreSQL.

SQLite allows one writer at a time. Writes go through one connection that starts its transactions
with BEGIN IMMEDIATE, so two writers (even in two processes) wait for each other instead of failing
half-way; reads use a pool of their own and run beside the writer thanks to WAL. Both call sqlite3
on the event loop's thread (models.sqlite_direct): a statement costs microseconds there, and a hop
to a driver thread and back costs far more. The one wait a write can meet, another process holding
the write lock, is waited for without stopping the loop (see _begin_immediate).
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import sqlite3
import time
from pathlib import Path
from typing import AsyncIterator, Iterator, Sequence

from sqlalchemy import Table, bindparam, delete, event, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_

from models import counters
from models import sqlite_direct  # noqa: F401 - registers the sqlite+direct driver of the reader


PG_WRITERS = 16  # PostgreSQL connections a process keeps at most for writes and slow reads (opened as needed)
PG_READERS = 10  # and for ordinary reads
PG_PING_AFTER = 30.0  # seconds idle after which a PostgreSQL connection is pinged before use
IDLE_READERS = 4  # reader connections kept open between reads (Database.read)
IDLE_SECONDS = 30.0  # and for at most this long


class DatabaseUnavailable(Exception):
    """The database cannot be reached or is locked too long: the request answers 503."""
    status = 503


# Statements sent by the current task (a request), when the node counts them (tests and bench only).
_statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("statements", default=None)


# This PostgreSQL transaction's COMMIT does not wait for the WAL flush (see `redoable`).
_NO_FLUSH = "SET LOCAL synchronous_commit TO off"
# Set while the writes made are redone from a durable queue row if they are lost (models.db.redoable).
_redoable: contextvars.ContextVar[bool] = contextvars.ContextVar("redoable", default=False)


@contextlib.contextmanager
def redoable() -> Iterator[None]:
    """Within: writes that a crash may lose, because what they do is done again from a row stored
    durably before (an inbox item applied, a queue row claimed or marked done: a lost transaction
    leaves the row pending, or locked until its lock expires, and every handler is idempotent). On
    PostgreSQL they commit without waiting for the WAL to reach the disk (synchronous_commit off for
    the transaction): the commit stays atomic and in order, a later durable commit makes it durable
    too, and a counter's row lock (models.counters) is no longer held through an fsync. What the
    inbox accepts (`urgent` writes) always waits for the disk."""
    token = _redoable.set(True)
    try:
        yield
    finally:
        _redoable.reset(token)


def start_counting() -> list[int]:
    """Count the statements this task (and what it awaits) sends from now on: a one-item list."""
    counter = [0]
    _statements.set(counter)
    return counter


def _count_statement(*_args) -> None:  # noqa: ANN002
    counter = _statements.get()
    if counter is not None:
        counter[0] += 1


class Database:
    def __init__(self, url: str, *, echo: bool = False, sqlite_busy_timeout_ms: int = 30000,
                 count_statements: bool = False):
        self.url = url
        self.dialect = make_url(url).get_backend_name()  # "sqlite" or "postgresql"
        if self.is_sqlite:
            self._prepare_sqlite_path(url)
            self.writer = create_async_engine(make_url(url).set(drivername="sqlite+direct"), echo=echo,
                                              pool_size=1, max_overflow=0, pool_timeout=60)
            # Reads call sqlite3 on the loop's thread (models.sqlite_direct), read-only.
            self.reader = create_async_engine(make_url(url).set(drivername="sqlite+direct"), echo=echo,
                                              pool_size=4, max_overflow=4)
            _sqlite_pragmas(self.writer, immediate=True, busy_ms=sqlite_busy_timeout_ms)
            _sqlite_pragmas(self.reader, immediate=False, busy_ms=sqlite_busy_timeout_ms, read_only=True)
            # Reads that may take long (full-text search and expert ranking over a big index) run in
            # aiosqlite's thread instead, so they never stop the event loop for everyone else.
            self.slow_reader = create_async_engine(url, echo=echo, pool_size=2, max_overflow=2)
            _sqlite_pragmas(self.slow_reader, immediate=False, busy_ms=sqlite_busy_timeout_ms, read_only=True)
        else:
            # Connections are kept, not closed after a burst (an overflow connection's successor
            # costs a new backend, its catalog caches, an asyncpg type query per array type and a
            # PARSE per statement again), and are not pinged at every checkout (a ping is three
            # round trips: BEGIN, `;`, ROLLBACK): see _pg_checkout for what is checked instead.
            self.writer = create_async_engine(url, echo=echo, pool_size=PG_WRITERS, max_overflow=0,
                                              pool_use_lifo=True)
            # Ordinary reads (pages, token checks: statements built once, prepared once per
            # connection) use generic plans: PostgreSQL otherwise plans a page's statement again at
            # every execution, which cost more than running it (a home page's 8 statements: 3.35
            # -> 1.60 ms of server CPU). Writes and slow reads (search, trends over a time range,
            # where a plan for the actual values matters) keep the server's choice.
            self.reader = create_async_engine(url, echo=echo, pool_size=PG_READERS, max_overflow=0,
                                              pool_use_lifo=True, connect_args={
                                                  "server_settings": {"plan_cache_mode": "force_generic_plan"}})
            for engine in (self.writer, self.reader):
                _pg_checkout(engine)
            self.slow_reader = self.writer
        self._cache: dict[str, tuple[float, object]] = {}
        self._claims: dict[str, tuple] = {}
        self._due: dict[str, object] = {}
        self._idle_readers: list[tuple[AsyncConnection, float]] = []
        self._turns = WriterTurns(enabled=self.is_sqlite)
        # Off by default, and then no listener exists at all: counting costs nothing in production.
        self.counts_statements = count_statements
        if count_statements:
            for engine in {self.writer, self.reader, self.slow_reader}:
                event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @staticmethod
    def _prepare_sqlite_path(url: str) -> None:
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @contextlib.asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """One short transaction. Never await network I/O inside it.

        `urgent`: on SQLite, where one transaction writes at a time, this one goes before every
        writer still waiting, so it waits for at most the transaction in progress (the inbox stores
        what it accepts this way: its senders must not queue behind the worker applying)."""
        async with self._turns.turn(urgent):
            async with self.writer.begin() as conn:
                # Not after a failure, when the connection may be gone (its error must surface):
                # here, what a failed transaction on this pooled connection noted is dropped.
                counters.forget(conn)
                if not urgent and not self.is_sqlite and _redoable.get():
                    await conn.exec_driver_sql(_NO_FLUSH)
                yield conn
                await counters.flush(conn)  # last: a counter's row is locked until COMMIT

    @contextlib.asynccontextmanager
    async def read(self, *, slow: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection for reading. `slow`: for a read that may take long (a search), which on
        SQLite then runs off the event loop's thread, and on PostgreSQL is planned for its values."""
        if slow:
            async with self.slow_reader.connect() as conn:
                yield conn
            return
        # Readers stay open between reads (checking one out of SQLAlchemy's pool and back costs more
        # than most reads, and a PostgreSQL one is pinged first): a read takes an idle one, used
        # less than IDLE_SECONDS ago, and leaves it idle, rolled back.
        conn = None
        now = time.monotonic()
        while self._idle_readers and conn is None:
            conn, since = self._idle_readers.pop()
            if now - since > IDLE_SECONDS:
                await conn.close()
                conn = None
        if conn is None:
            conn = await self.reader.connect()
        reusable = False
        try:
            yield conn
            reusable = True
        finally:
            if reusable and len(self._idle_readers) < IDLE_READERS and await self._end_read(conn):
                self._idle_readers.append((conn, time.monotonic()))
            else:
                await conn.close()

    async def _end_read(self, conn: AsyncConnection) -> bool:
        """Roll back what a read began, so its connection can serve the next; False when it cannot."""
        try:
            if conn.in_transaction():
                await conn.rollback()
            if self.is_sqlite:
                raw = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
                if raw.in_transaction:  # begun on the driver's connection (models.rows.fetch)
                    raw.rollback()
            return not conn.closed and not conn.invalidated
        except Exception:  # noqa: BLE001 - a broken connection is closed instead of kept
            return False

    async def cached(self, key: str, seconds: float, load):  # noqa: ANN001, ANN201
        """What `await load(conn)` returned less than `seconds` ago, for facts that are the same for
        every reader and may be a little stale (the instance's counts). A few keys only: no eviction."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self.read() as conn:
            value = await load(conn)
        self._cache[key] = (now + seconds, value)
        return value

    async def prune(self, step, batch: int) -> int:  # noqa: ANN001
        """Housekeeping deletes: `await step(conn)` deletes at most `batch` rows and says how many;
        it runs in short write transactions, the loop free between them (on SQLite writes run on
        the loop's thread), until a step deletes fewer. Returns the rows deleted."""
        total = 0
        while True:
            async with self.write() as conn:
                deleted = await step(conn)
            total += deleted
            if deleted < batch:
                return total
            await asyncio.sleep(0)

    async def dispose(self) -> None:
        while self._idle_readers:
            await self._idle_readers.pop()[0].close()
        for engine in {self.writer, self.reader, self.slow_reader}:
            await engine.dispose()

    async def claim(self, table: Table, *, limit: int, lock_seconds: float, finished: Sequence[int] = (),
                    now: float | None = None, before_finish=None, look_first: bool = True) -> Sequence:  # noqa: ANN001
        """Delete the `finished` rows, then take up to `limit` due rows of a queue table, locking
        them for `lock_seconds`, in one transaction (`before_finish(conn, ids)` runs in it first:
        the delivery worker counts what it delivered).

        A row whose lock has expired (its worker crashed) is due again, so nothing is lost.
        `look_first`: with nothing to mark finished, ask the reader whether any row is due before
        writing at all (see `due`); a worker woken for new work passes False and claims at once.
        """
        now = time.time() if now is None else now
        if look_first and not finished and (limit <= 0 or not await self.due(table, now)):
            return []
        take, forget = self._claim_statements(table)
        from models import rows  # it imports this module

        with redoable():  # bookkeeping: a lost claim or mark is made again
            async with self.write() as conn:
                if finished:
                    if before_finish is not None:
                        await before_finish(conn, list(finished))
                    await rows.execute(conn, forget, {"ids": list(finished)})
                if limit <= 0:
                    return []
                # Straight to sqlite3 on the SQLite writer (models.rows): a busy delivery worker claims
                # many times a second, and SQLAlchemy's work per statement cost more than SQLite's.
                return await rows.fetch(conn, take, {"now": now, "limit": limit, "until": now + lock_seconds})

    async def due(self, table: Table, now: float) -> bool:
        """Whether a queue table has a row a claim could take at `now` (pending, its time come, not
        locked or its lock expired). One indexed read, on SQLite without the write lock: an idle
        worker polls with it instead of a write transaction a second. It sees every committed row,
        another process's too, so polling with it finds their rows as soon as a claim would."""
        built = self._due.get(table.name)
        if built is None:
            built = self._due[table.name] = (
                select(table.c.id)
                .where(table.c.state == "pending", table.c.next_attempt_at <= bindparam("now"),
                       (table.c.locked_until.is_(None)) | (table.c.locked_until < bindparam("now")))
                .limit(1))
        from models import rows  # it imports this module

        async with self.read() as conn:  # one statement, needing no transaction (straight to sqlite3)
            return bool(await rows.fetch(conn, built, {"now": now}, alone=True))

    def _claim_statements(self, table: Table) -> tuple:
        """The claim's statements for one queue table, built once (a busy worker claims many times a second)."""
        built = self._claims.get(table.name)
        if built is None:
            now = bindparam("now")
            due = (select(table.c.id)
                   .where(table.c.state == "pending", table.c.next_attempt_at <= now,
                          (table.c.locked_until.is_(None)) | (table.c.locked_until < now))
                   .order_by(table.c.next_attempt_at, table.c.id)
                   .limit(bindparam("limit")))
            if not self.is_sqlite:
                due = due.with_for_update(skip_locked=True)
            take = (update(table)
                    .where(table.c.id.in_(due.scalar_subquery()))
                    .values(locked_until=bindparam("until"), attempts=table.c.attempts + 1)
                    .returning(*table.c))
            from models.rows import ids_in  # it imports this module

            # The finished ids as one parameter: the same SQL whatever their number (no recompiling
            # an expanding IN for every length).
            built = self._claims[table.name] = (take, delete(table).where(ids_in(table.c.id)))
        return built


class WriterTurns:
    """Whose turn it is to write, on SQLite (one writer connection): urgent writers first, then the
    others, each in arrival order. On PostgreSQL writers run side by side and nobody waits here."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self._busy = False
        self._waiting: tuple[collections.deque, collections.deque] = (collections.deque(), collections.deque())

    @contextlib.asynccontextmanager
    async def turn(self, urgent: bool) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        if self._busy or self._waiting[0] or self._waiting[1]:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting[0 if urgent else 1].append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._pass_on()  # it was handed the turn just as it was cancelled
                elif waiter in self._waiting[0 if urgent else 1]:
                    self._waiting[0 if urgent else 1].remove(waiter)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        for queue in self._waiting:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # _busy stays True: the turn goes straight to it
                    return
        self._busy = False


def _pg_checkout(engine: AsyncEngine) -> None:
    """A pooled PostgreSQL connection is checked before use without a round trip: one the server
    closed (a restart, pg_terminate_backend) is known closed to asyncpg, which read the server's
    goodbye or the socket's end while the connection sat idle; only one idle for PG_PING_AFTER is
    pinged. A dead one is replaced (the pool retries with a new connection), and when a statement
    meets a dead connection anyway SQLAlchemy invalidates the whole pool, so one request answers 503
    and the next ones get new connections."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkout")
    def on_checkout(dbapi_conn, record, _proxy):  # noqa: ANN001
        idle_since = record.info.pop("idle_since", None)
        if record.driver_connection.is_closed():
            raise sa_exc.DisconnectionError("the server closed this connection")
        if idle_since is not None and time.monotonic() - idle_since > PG_PING_AFTER:
            try:
                dbapi_conn.ping()
            except Exception as err:
                raise sa_exc.DisconnectionError(str(err)) from err

    @event.listens_for(sync_engine, "checkin")
    def on_checkin(_dbapi_conn, record):  # noqa: ANN001
        record.info["idle_since"] = time.monotonic()


def _sqlite_pragmas(engine: AsyncEngine, *, immediate: bool, busy_ms: int, read_only: bool = False) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        if immediate:
            # The writer runs on the loop's thread: SQLite must never sleep in it (_begin_immediate).
            cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(conn):  # noqa: ANN001
        if immediate:
            _begin_immediate(conn.connection.dbapi_connection, busy_ms)
        elif not conn.connection.driver_connection.in_transaction:
            # A read may have begun already, on the driver's connection (models.rows.fetch); the
            # pool's rollback ends it when the connection is given back.
            conn.exec_driver_sql("BEGIN")


def _begin_immediate(dbapi_conn, busy_ms: int) -> None:  # noqa: ANN001
    """BEGIN IMMEDIATE on the writer (on the event loop's thread). Once it holds the write lock, a
    WAL transaction never waits for anyone; only taking the lock can, when another process (a
    `worker`, a CLI command) is writing. Then it retries, sleeping through the event loop (the
    greenlet bridge's await_), so the loop keeps serving until the lock is free or `busy_ms` is up."""
    deadline = time.monotonic() + busy_ms / 1000
    pause = 0.001
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err) or time.monotonic() > deadline:
                raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, err) from err
        await_(asyncio.sleep(pause))
        pause = min(pause * 2, 0.05)

