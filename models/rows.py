"""Hot reads and writes without SQLAlchemy's per-statement work.

SQLAlchemy spends far more CPU on a statement than SQLite does answering it: building the
statement's cache key, the execution context, a Row per row. For the statements every timeline page
and token check sends, `fetch` compiles the statement once and, on the SQLite reader (models.
sqlite_direct), hands its SQL straight to `sqlite3` on the loop's thread; on PostgreSQL (or on an
aiosqlite connection) it executes through SQLAlchemy as usual. Either way the rows answer `row.name`,
`row[i]` and `row._mapping`, so models' `from_row` work on both.

`execute` does the same for the hot writes (the inbox's store, claim and batch apply) on the SQLite
writer, which also runs on the loop's thread; a list of parameter sets runs the statement once for
each (sqlite3's executemany). Elsewhere (PostgreSQL, where a straight write could escape the
transaction SQLAlchemy began lazily) it executes through SQLAlchemy.

A list of ids goes in as one parameter (`ids_in(column, "ids")`): on SQLite a JSON array read with
`json_each`, on PostgreSQL an array (`= ANY(…)`). The SQL text is then the same whatever the list's length.
A page's hot statements join their ids first instead (`page_join(column, "ids")`; see IdTable).
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import operator
import sqlite3
from typing import Callable

import orjson

from sqlalchemy import BigInteger, Boolean, Float, Integer, String, Table, Text, bindparam, cast, column, insert, literal, null
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Join, TableClause
from sqlalchemy.sql.type_api import NULLTYPE
from sqlalchemy.sql.visitors import InternalTraversal

from models import db as _db

_LISTS = (list, tuple, set, frozenset)


def _distinct(ids) -> list:  # noqa: ANN001
    """A list parameter's values once each (IdTable joins would repeat a row for a repeated id)."""
    return list(ids) if isinstance(ids, (set, frozenset)) else list(dict.fromkeys(ids))


class InIds(ColumnElement):
    """`column IN (the ids given as the parameter `name`)`: see the module's docstring."""
    inherit_cache = True
    type = NULLTYPE  # not Boolean: SQLite would get `… IN (…) = 1`, which no index serves
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("name", InternalTraversal.dp_string),
                           ("strings", InternalTraversal.dp_boolean)]

    def __init__(self, column, name: str, strings: bool = False):  # noqa: ANN001
        self.column = column
        self.name = name
        self.strings = strings


def ids_in(column, name: str = "ids", *, strings: bool = False) -> InIds:  # noqa: ANN001
    """`strings`: the list holds text (notification types…), not ids."""
    return InIds(column, name, strings)


@compiles(InIds)
def _in_ids(element: InIds, compiler, **kw) -> str:  # noqa: ANN001
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(InIds, "postgresql")
def _in_ids_postgresql(element: InIds, compiler, **kw) -> str:  # noqa: ANN001
    # One array parameter: the same statement, prepared once, whatever the list's length.
    array = bindparam(element.name, None, type_=ARRAY(String if element.strings else BigInteger), required=False)
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(array, **kw)})"


@compiles(InIds, "sqlite")
def _in_ids_sqlite(element: InIds, compiler, **kw) -> str:  # noqa: ANN001
    return (f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each("
            f"{compiler.process(bindparam(element.name, None, type_=String, required=False), **kw)}))")


class IdTable(TableClause):
    """The ids given as the parameter `param`, as a table of one column, `value`, called `name` in
    the statement (page_join builds the joins): on SQLite `json_each(:ids) AS name`, on PostgreSQL
    `unnest(:ids) AS name(value)`.

    Joined first, it drives the statement: one index search per id. `t.c.x IN (SELECT value FROM
    json_each(:ids))` (ids_in) answers the same, but SQLite copies the list into a temporary b-tree
    first (its own pager and page cache, opened and closed at every execution), which cost a page
    of statuses more than the searches themselves (a home page's facts: 164 → 100 µs of CPU)."""
    __visit_name__ = "id_table"
    inherit_cache = True
    _traverse_internals = TableClause._traverse_internals + [("param", InternalTraversal.dp_string)]

    def __init__(self, param: str, name: str):
        super().__init__(name, column("value", BigInteger))
        self.param = param


@compiles(IdTable)
def _id_table_sqlite(element: IdTable, compiler, asfrom: bool = False, **kw) -> str:  # noqa: ANN001
    name = compiler.preparer.quote(element.name)
    if not asfrom:
        return name
    param = compiler.process(bindparam(element.param, None, type_=String, required=False), **kw)
    return f"json_each({param}) AS {name}"


@compiles(IdTable, "postgresql")
def _id_table_postgresql(element: IdTable, compiler, asfrom: bool = False, **kw) -> str:  # noqa: ANN001
    name = compiler.preparer.quote(element.name)
    if not asfrom:
        return name
    array = bindparam(element.param, None, type_=ARRAY(BigInteger), required=False)
    return f"unnest({compiler.process(array, **kw)}) AS {name}(value)"


class _IdsFirst(Join):
    """A join of an IdTable to a table that keeps the ids in the outer loop on SQLite (CROSS JOIN),
    even where an index on another column of the table (`favourites.account_id = :viewer`) tempts
    its planner to read the viewer's every row and look each up in the ids."""
    inherit_cache = True


@compiles(_IdsFirst)
def _ids_first(element: _IdsFirst, compiler, **kw) -> str:  # noqa: ANN001
    return compiler.visit_join(element, **kw)


@compiles(_IdsFirst, "sqlite")
def _ids_first_sqlite(element: _IdsFirst, compiler, **kw) -> str:  # noqa: ANN001
    # The left side renders as `json_each(:p) AS name`: the first JOIN is this join's own.
    return compiler.visit_join(element, **kw).replace(" JOIN ", " CROSS JOIN ", 1)


def page_join(column, param: str = "ids"):  # noqa: ANN001, ANN201
    """`column`'s table joined to the ids of `param` on `column` (the rows whose `column` is one of
    the ids), the ids first: one index search per id, whatever the table's size. The ids must be
    distinct (fetch makes them so)."""
    ids = IdTable(param, f"{param}_given")
    return _IdsFirst(ids, column.table, column == ids.c.value)


def fact(kind: str, a, b=None, text=None) -> tuple:  # noqa: ANN001
    """The columns of one branch of a UNION ALL of facts of several kinds (a page's, a set of
    relationships'): (kind, a, b, text), typed alike on every database."""
    return (literal(kind, String).label("kind"), cast(a, BigInteger).label("a"),
            cast(b if b is not None else null(), BigInteger).label("b"),
            cast(text if text is not None else null(), String).label("text"))


class JsonRow(ColumnElement):
    """A row of a table as one JSON array of its columns' values, in the table's order: a branch of
    a UNION ALL of facts (models.status_queries.page_facts) carries a whole row in its `text`
    column, one statement instead of one per table. Read back with `JsonRow.reader`. SQLite's JSON
    keeps 15 digits of a float: there floats go as text with all 17."""
    inherit_cache = True
    type = String()
    _traverse_internals = [("clauses", InternalTraversal.dp_clauseelement_tuple)]

    def __init__(self, table: Table):
        self.clauses = tuple(table.c)

    @property
    def _from_objects(self) -> list:
        return self.clauses[0]._from_objects

    def reader(self) -> Callable[[str], tuple]:
        """text → a row of the table, as `fetch` gives it (its columns by name; booleans as bool)."""
        names = tuple(c.key for c in self.clauses)
        new = _row_type(names, tuple(i for i, c in enumerate(self.clauses) if isinstance(c.type, Boolean)))._new
        floats = [i for i, c in enumerate(self.clauses) if isinstance(c.type, Float)]
        loads = orjson.loads

        def read(text: str) -> tuple:
            values = loads(text)
            for i in floats:
                if values[i] is not None:
                    values[i] = float(values[i])
            return new(values)
        return read


@compiles(JsonRow)
def _json_row(element: JsonRow, compiler, **kw) -> str:  # noqa: ANN001
    return f"CAST(json_build_array({', '.join(compiler.process(c, **kw) for c in element.clauses)}) AS TEXT)"


@compiles(JsonRow, "sqlite")
def _json_row_sqlite(element: JsonRow, compiler, **kw) -> str:  # noqa: ANN001
    values = []
    for c in element.clauses:
        name = compiler.process(c, **kw)
        values.append(f"CASE WHEN {name} IS NULL THEN NULL ELSE printf('%!.17g', {name}) END"
                      if isinstance(c.type, Float) else name)
    return f"json_array({', '.join(values)})"


_NAMED = SQLiteDialect_pysqlite(paramstyle="named")


class _Compiled:
    """A statement's text for the driver (SQLite: named parameters; asyncpg: $1, $2… in the order of
    `names`), its literal parameters, and its row type."""
    __slots__ = ("sql", "names", "defaults", "row")

    def __init__(self, stmt, dialect) -> None:  # noqa: ANN001
        # Values for the statement's own parameters only so that literal lists (IN ('public', …)) are
        # rendered now; the caller's values replace them at every execution.
        unset = {b.key: None for b in visitors.iterate(stmt) if isinstance(b, BindParameter) and b.required}
        if stmt.is_dml:  # a write (models take no literal lists there): its parameters as they are
            compiled = stmt.compile(dialect=dialect)
            self.sql, self.names = compiled.string, tuple(compiled.positiontup or ())
            values = compiled.construct_params(_check=False)
        else:
            compiled = (stmt.params(unset) if unset else stmt).compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True})
            state = compiled._post_compile_expanded_state
            self.sql = state.statement if state else compiled.string
            self.names = tuple((state.positiontup if state else compiled.positiontup) or ())
            values = state.parameters if state else compiled.params
        # (A literal None, `values(locked_until=None)`, is a value too; the caller's own are not.)
        self.defaults = {k: v for k, v in values.items() if v is not None or k not in unset}
        # A SELECT's columns, or what an INSERT/UPDATE … RETURNING returns (none for a plain write).
        columns = list(stmt.selected_columns if hasattr(stmt, "selected_columns")
                       else getattr(stmt, "exported_columns", ()))
        names = [c.key for c in columns]
        # sqlite3 answers 0/1 where SQLAlchemy answers False/True: the row type converts them.
        self.row = _row_type(tuple(names), tuple(i for i, c in enumerate(columns) if isinstance(c.type, Boolean)))


def _flag(i: int, row) -> bool | None:  # noqa: ANN001
    value = row[i]
    return None if value is None else bool(value)


def _mapping(self) -> dict:  # noqa: ANN001
    found = dict(zip(self._fields, self))
    for i in self._booleans:
        found[self._fields[i]] = _flag(i, self)
    return found


_ROW_TYPES: dict[tuple, type] = {}
_OURS: set[type] = set()


def _row_type(names: tuple, booleans: tuple = ()) -> type:
    """A statement's row: a named tuple of the values as the driver gave them. sqlite3 gives Boolean
    columns as 0/1: by name (`row.local`) and in `_mapping` they read as bool (SQLAlchemy's answer),
    converted when read rather than for every row fetched; by position they stay as given."""
    found = _ROW_TYPES.get((names, booleans))
    if found is None:
        found = collections.namedtuple("Row", names, rename=True)
        found._mapping = property(_mapping)  # type: ignore[attr-defined]
        found._booleans = booleans  # type: ignore[attr-defined]
        for i in booleans:
            setattr(found, found._fields[i], property(functools.partial(_flag, i)))
        found._new = functools.partial(tuple.__new__, found)  # type: ignore[attr-defined]
        _ROW_TYPES[(names, booleans)] = found
        _OURS.add(found)
    return found


_MAKERS: dict[type, Callable] = {}
REUSED = 4096  # records kept for reuse, per class (REUSABLE)
REUSABLE: dict[type, collections.OrderedDict] = {}


def reusable(cls: type) -> type:
    """A class decorator for frozen records read again and again (statuses, accounts, media), put
    above @dataclass: a row read by `fetch` whose values are all those of a record made earlier gives
    that same record. Equal records are then the same object, which makes comparing them
    (api.entities.cache) cheap. The class's `from_row` becomes record_maker's (its columns named
    as its fields)."""
    REUSABLE[cls] = collections.OrderedDict()
    cls.from_row = staticmethod(record_maker(cls, tuple(f.name for f in dataclasses.fields(cls))))
    return cls


def record(cls: type, names: tuple[str, ...], row):  # noqa: ANN001, ANN201
    """`cls(*the row's columns called names)`: the fields of a record read from a row; the first
    field is its id. A class always passes the same `names`."""
    make = _MAKERS.get(cls)
    if make is None:
        make = _MAKERS[cls] = record_maker(cls, names)
    return make(row)


def record_maker(cls: type, names: tuple[str, ...]) -> Callable:
    """record(cls, names, row) as a function of the row: one Python call per row, and for a record
    made before (REUSABLE), no more than a dict lookup and a comparison of the values."""
    getters: dict[type, tuple] = {}
    made = REUSABLE.get(cls)

    def from_row(row):  # noqa: ANN001, ANN202
        found = getters.get(type(row))
        if found is None:
            found = getters[type(row)] = _getter(names, type(row))
        getter, flags = found
        values = getter(row)
        if flags is None:  # SQLAlchemy's row
            return cls(*values)
        if made is not None:
            hit = made.get(values[0])
            if hit is not None and hit[0] == values:  # 0/1 equal False/True: a record made from either matches
                return hit[1]
        given = values
        if flags:  # sqlite3's 0/1 as bool, as SQLAlchemy gives them
            values = list(values)
            for n in flags:
                if values[n] is not None:
                    values[n] = bool(values[n])
        new = cls(*values)
        if made is not None:
            made[given[0]] = (given, new)
            if len(made) > REUSED:
                made.popitem(last=False)
        return new
    return from_row


def _getter(names: tuple[str, ...], kind: type) -> tuple[Callable, tuple | None]:
    """How to take the values called `names` from a row of type `kind`, and which of them to make
    bool (None for a SQLAlchemy Row, whose values are already as they should be)."""
    if kind not in _OURS:
        return (lambda row: tuple(map(row._mapping.__getitem__, names))), None
    indexes = [kind._fields.index(n) for n in names]
    flags = tuple(n for n, i in enumerate(indexes) if i in kind._booleans)
    if indexes == list(range(len(indexes))):  # the record's fields lead the row (select(table, …))
        return operator.itemgetter(slice(0, len(indexes))), flags
    if len(indexes) > 1:
        return operator.itemgetter(*indexes), flags
    return (lambda r, i=indexes[0]: (r[i],)), flags


_COMPILED: dict[tuple[int, str], tuple[object, _Compiled]] = {}


_SQLITE: dict[object, _Compiled] = {}  # the same for SQLite, by statement (they hash by identity)


def _compiled(stmt, dialect=_NAMED) -> _Compiled:  # noqa: ANN001
    key = (id(stmt), dialect.name)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is stmt:
        return hit[1]
    found = _Compiled(stmt, dialect)
    if len(_COMPILED) > 2000:  # statements are meant to be built once; a caller building one per call
        _COMPILED.clear()      # would otherwise grow this without end
        _SQLITE.clear()
    _COMPILED[key] = (stmt, found)  # the statement is kept alive: its id stays its own
    if dialect is _NAMED:
        _SQLITE[stmt] = found
    return found


def is_direct(conn: AsyncConnection) -> bool:
    return conn.dialect.driver == "direct"


def _json_list(ids) -> str:  # noqa: ANN001
    return orjson.dumps(_distinct(ids)).decode()


def _sqlite_lists(params: dict) -> dict:
    """Lists (for `ids_in`) as the JSON arrays SQLite reads with json_each."""
    for value in params.values():
        if isinstance(value, _LISTS):
            return {k: _json_list(v) if isinstance(v, _LISTS) else v for k, v in params.items()}
    return params


def _sqlite_values(defaults: dict, params: dict | None) -> dict:
    """A statement's literal values and the caller's, lists as _sqlite_lists gives them, in one dict
    (the common kinds of list tested first: this runs for every statement of every page)."""
    values = dict(defaults)
    if params:
        for key, value in params.items():
            kind = type(value)
            if kind is list or kind is tuple:
                value = orjson.dumps(list(dict.fromkeys(value)) if len(value) > 1 else value).decode()
            elif kind is set or isinstance(value, _LISTS):
                value = _json_list(value)
            values[key] = value
    return values


async def fetch(conn: AsyncConnection, stmt, params: dict | None = None, *, alone: bool = False) -> list:  # noqa: ANN001
    """The rows of a statement built once (module level, with bind parameters), as a list; an
    INSERT/UPDATE … RETURNING too (inside the write's transaction). `alone`: the only statement of
    its read (a token's check), which needs no transaction of its own."""
    dialect = conn.sync_engine.dialect  # conn.dialect, without its two properties
    if dialect.driver != "direct":
        params = params or {}
        if dialect.driver == "asyncpg" and not stmt.is_dml:
            return await _fetch_asyncpg(conn, stmt, params)
        return (await conn.execute(stmt, _sqlite_lists(params) if dialect.name == "sqlite" else params)).all()
    compiled = _SQLITE.get(stmt) or _compiled(stmt)
    raw = conn.sync_connection.connection.dbapi_connection  # sqlite3's own (driver_connection, without its properties)
    try:
        if not alone and not raw.in_transaction:  # one snapshot for the request's reads (models.db then skips its BEGIN)
            _db._count_statement()
            raw.execute("BEGIN")
        _db._count_statement()
        rows = raw.execute(compiled.sql, _sqlite_values(compiled.defaults, params)).fetchall()
    except sqlite3.OperationalError as err:  # locked too long, the file gone or unreadable: not the query's fault
        raise _db.DatabaseUnavailable(str(err)) from err
    return list(map(compiled.row._new, rows))


def _made(compiled: _Compiled, rows: list) -> list:
    """sqlite3's tuples as the statement's rows."""
    return list(map(compiled.row._new, rows))


async def execute(conn: AsyncConnection, stmt, params: dict | list[dict] | None = None) -> int:  # noqa: ANN001
    """Run a write built once (module level, with bind parameters) in the connection's transaction;
    a list of parameter sets runs it once for each. Returns the rows it changed (-1 when the
    driver cannot say). No Python-side column defaults are applied: give every column its value."""
    many = isinstance(params, list)
    if not many:
        params = params or {}
    if conn.dialect.name != "sqlite":
        if many and not params:
            return 0
        return (await conn.execute(stmt, params)).rowcount
    params = [_sqlite_lists(p) for p in params] if many else _sqlite_lists(params)
    if conn.dialect.driver != "direct":
        if many and not params:
            return 0
        return (await conn.execute(stmt, params)).rowcount
    compiled = _compiled(stmt)
    raw = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    defaults = compiled.defaults
    try:
        _db._count_statement()
        if many:
            cursor = raw.executemany(compiled.sql, [{**defaults, **p} for p in params] if defaults else params)
        else:
            cursor = raw.execute(compiled.sql, {**defaults, **params} if defaults else params)
    except sqlite3.OperationalError as err:  # locked too long, the file gone or unreadable: not the query's fault
        raise _db.DatabaseUnavailable(str(err)) from err
    except sqlite3.IntegrityError as err:  # as SQLAlchemy raises it, so callers catching that still do
        raise sa_exc.IntegrityError(compiled.sql, params, err) from err
    return cursor.rowcount


_INSERTS: dict[tuple, object] = {}


async def insert_many(conn: AsyncConnection, table: Table, values: list[dict], *, returning: bool = False) -> list:
    """INSERT rows given as dicts (all with the same keys), the columns they leave out taking their
    scalar defaults. On the SQLite writer straight to sqlite3, one statement compiled once per set
    of keys; elsewhere through SQLAlchemy. `returning`: the rows as stored, in the order given."""
    if not values:
        return []
    if conn.dialect.driver == "asyncpg" and not returning and len(values) > 1:
        raw = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        built = _unnest_insert(table, tuple(values[0]))
        # Only inside the transaction SQLAlchemy began (it begins one lazily, at a first statement
        # of its own): a statement sent before would commit on its own.
        if built is not None and raw.is_in_transaction():
            await _insert_unnest(raw, built, values)
            return []
    if conn.dialect.driver != "direct":
        key = (table.name, returning)
        stmt = _INSERTS.get(key)
        if stmt is None:
            stmt = _INSERTS[key] = insert(table).returning(*table.c, sort_by_parameter_order=True) \
                if returning else insert(table)
        result = await conn.execute(stmt, values)
        return result.all() if returning else []
    keys = tuple(values[0])
    key = (table.name, keys, returning)
    built = _INSERTS.get(key)
    if built is None:
        defaults = {c.key: c.default.arg for c in table.c
                    if c.key not in keys and c.default is not None and c.default.is_scalar}
        stmt = insert(table).values({k: bindparam(k) for k in keys}).values(defaults)
        built = _INSERTS[key] = (stmt.returning(*table.c) if returning else stmt)
    compiled = _compiled(built)
    raw = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    defaults = compiled.defaults
    try:
        _db._count_statement()
        if not returning:
            raw.executemany(compiled.sql, [{**defaults, **v} for v in values] if defaults else values)
            return []
        # sqlite3 gives no rows back from executemany: one execution each, the statement prepared once.
        stored = [raw.execute(compiled.sql, {**defaults, **v} if defaults else v).fetchone() for v in values]
    except sqlite3.OperationalError as err:
        raise _db.DatabaseUnavailable(str(err)) from err
    except sqlite3.IntegrityError as err:
        raise sa_exc.IntegrityError(compiled.sql, values, err) from err
    return _made(compiled, stored)


# Column types an array parameter carries as they are (no conversion by SQLAlchemy on the way).
_PLAIN_TYPES = {BigInteger, Integer, Float, Boolean, String, Text}
_UNNEST: dict[tuple, tuple | None] = {}


def _unnest_insert(table: Table, keys: tuple) -> tuple | None:
    """On PostgreSQL, `INSERT INTO table (keys…, defaults…) SELECT * FROM unnest($1::type[], …)`:
    any number of rows in one execution of one prepared statement (asyncpg's executemany, which
    SQLAlchemy uses, runs the statement once per row on the server). With the omitted columns'
    scalar defaults as the last parameters. None for a table this cannot serve as SQLAlchemy would:
    a column of another type (JSON, an enum: converted by SQLAlchemy), a default computed in Python."""
    key = (table.name, keys)
    if key in _UNNEST:
        return _UNNEST[key]
    built = None
    columns = [table.c[k] for k in keys]
    omitted = [c for c in table.c if c.key not in keys and c.default is not None]
    if all(type(c.type) in _PLAIN_TYPES for c in columns) and all(c.default.is_scalar for c in omitted):
        from sqlalchemy.dialects import postgresql

        types = postgresql.dialect().type_compiler_instance
        # Text without a length: the column's own length check applies, as in an INSERT of values
        # (a cast to VARCHAR(64) would cut a longer text instead).
        arrays = ", ".join(f"${n}::{'TEXT' if isinstance(c.type, String) else types.process(c.type)}[]"
                           for n, c in enumerate(columns, 1))
        extra = "".join(f", ${n}" for n in range(len(columns) + 1, len(columns) + len(omitted) + 1))
        names = ", ".join(f'"{c.name}"' for c in [*columns, *omitted])
        sql = f'INSERT INTO "{table.name}" ({names}) SELECT *{extra} FROM unnest({arrays})'
        built = (sql, keys, tuple(c.default.arg for c in omitted))
    _UNNEST[key] = built
    return built


async def _insert_unnest(raw, built: tuple, values: list[dict]) -> None:  # noqa: ANN001
    import asyncpg

    sql, keys, defaults = built
    _db._count_statement()
    try:
        await raw.execute(sql, *([row[k] for row in values] for k in keys), *defaults)
    except asyncpg.IntegrityConstraintViolationError as err:  # as SQLAlchemy raises it, so callers catching that still do
        raise sa_exc.IntegrityError(sql, values, err) from err
    except Exception as err:
        if _unreachable(err):
            raise _db.DatabaseUnavailable(str(err)) from err
        raise


async def _fetch_asyncpg(conn: AsyncConnection, stmt, params: dict) -> list:  # noqa: ANN001
    """On PostgreSQL: the statement's text straight to asyncpg (which prepares it once per
    connection), inside the transaction SQLAlchemy began on this connection if it began one, else on
    its own: under READ COMMITTED every statement reads its own snapshot either way."""
    compiled = _compiled(stmt, conn.dialect)
    raw = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    values = {**compiled.defaults, **{k: _distinct(v) if isinstance(v, _LISTS) else v for k, v in params.items()}}
    _db._count_statement()
    make = compiled.row._make
    try:
        records = await raw.fetch(compiled.sql, *map(values.get, compiled.names))
    except Exception as err:
        if _unreachable(err):
            raise _db.DatabaseUnavailable(str(err)) from err
        raise
    return [make(record) for record in records]


# SQLSTATE classes that say the database cannot serve (not that the statement is wrong): connection
# exceptions, insufficient resources, operator intervention (shutdown, a dropped database), and an
# unknown database.
_OUTAGE_CLASSES = ("08", "53", "57", "3D")


def _unreachable(err: Exception) -> bool:
    """Is this asyncpg error an outage (the request answers 503, as SQLAlchemy's are) rather than a
    mistake in a query (a 500, logged)?"""
    import asyncpg

    if isinstance(err, (OSError, TimeoutError)):
        return True  # the connection broke or was never made
    if type(err) is asyncpg.exceptions.InterfaceError and "closed" in str(err):
        return True  # the connection was closed under us (its subclasses are mistakes: a bad argument…)
    return isinstance(err, asyncpg.PostgresError) and str(getattr(err, "sqlstate", "") or "")[:2] in _OUTAGE_CLASSES
