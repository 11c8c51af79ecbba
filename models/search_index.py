"""The full-text index: one document per status and per account, kept beside the tables.

SQLite: FTS5 virtual tables (`search_statuses`, `search_accounts`, rowid = the status's or account's
id). PostgreSQL: tables of the same names with a `tsvector` column under a GIN index. Neither is in
models.schema (SQLAlchemy cannot describe an FTS5 table); migration 0310 creates them.

Both databases index the same words: the text is cut into words here, in Python (lower case, accents
dropped, letters and digits only), so a word found on one is found on the other.
"""
from __future__ import annotations

import html.parser
import re
import unicodedata

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.rows import execute

STATUS_TABLE = "search_statuses"
ACCOUNT_TABLE = "search_accounts"
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 5000  # a document longer than this is cut: an index entry is not an archive


def is_index_table(name: str | None) -> bool:
    """The index's tables (and FTS5's shadow tables), which models.schema does not describe."""
    return bool(name) and name.startswith(("search_statuses", "search_accounts"))  # type: ignore[union-attr]


def words(value: str) -> list[str]:
    """The words of plain text as the index holds them: `Café DevOps!` → ['cafe', 'devops']."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return WORD.findall(bare)


class _Text(html.parser.HTMLParser):
    """Plain text of stored HTML, and whether it links anywhere but to a mention or a hashtag."""

    BREAKS = {"p", "br", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.has_link = False
        self._anchor: tuple[bool, list[str]] | None = None  # (maybe a link, its text)

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ANN001
        if tag in self.BREAKS:
            self.parts.append(" ")
        if tag == "a":
            classes = (dict(attrs).get("class") or "").split()
            self._anchor = ("mention" not in classes and "hashtag" not in classes, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor is not None:
            maybe, seen = self._anchor
            if maybe and not "".join(seen).strip().startswith(("#", "@")):
                self.has_link = True
            self._anchor = None
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._anchor is not None:
            self._anchor[1].append(data)


def html_text(value: str) -> tuple[str, bool]:
    """(plain text, has a link) of stored HTML."""
    plain = _plain_text(value or "")
    if plain is not None:
        return plain, False
    parser = _Text()
    parser.feed(value or "")
    parser.close()
    return "".join(parser.parts), parser.has_link


_BARE_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\s*(/?)>")  # <p>, </p>, <br />: no attributes
_NOT_BARE = frozenset({"a", "script", "style"})  # a link, or text the parser does not read as text


def _plain_text(value: str) -> str | None:
    """html_text's text without its parser, for the HTML of most posts (`<p>words<br>more</p>`): no
    character reference, no attribute, no link, no stray bracket. None for anything else."""
    if "&" in value:
        return None
    parts, pos = [], 0
    for tag in _BARE_TAG.finditer(value):
        parts.append(value[pos:tag.start()])
        closing, name, self_closing = tag.group(1, 2, 3)
        name = name.lower()
        if name in _NOT_BARE or (closing and self_closing):
            return None
        if name in _Text.BREAKS:
            parts.append("  " if self_closing else " ")  # <br/>: a start and an end, as the parser sees it
        pos = tag.end()
    parts.append(value[pos:])
    text = "".join(parts)
    return None if "<" in text or ">" in text else text


def document(*parts: str) -> str:
    return " ".join(" ".join(words(part)) for part in parts if part).strip()[:MAX_WORDS * 12]


def status_document(content: str, spoiler_text: str) -> tuple[str, bool]:
    body, has_link = html_text(content)
    return document(spoiler_text, body), has_link


def account_documents(username: str, display_name: str, note: str, fields_json: str) -> tuple[str, str]:
    """(name, profile): the names weigh more than the bio and the profile fields."""
    import json

    try:
        fields = [f for f in json.loads(fields_json or "[]") if isinstance(f, dict)]
    except ValueError:
        fields = []
    profile = [html_text(note)[0]]
    for item in fields:
        profile += [str(item.get("name", "")), html_text(str(item.get("value", "")))[0]]
    return document(username, display_name), document(*profile)


# --- Writes: called inside the transaction that changes the status or the account ----------------

async def index_status(conn: AsyncConnection, status) -> None:  # noqa: ANN001 - models.statuses.Status
    """Index (or re-index after an edit) a status; boosts and deleted statuses have no document."""
    await unindex_status(conn, status.id)
    await index_new_statuses(conn, [status])


async def index_new_statuses(conn: AsyncConnection, written) -> None:  # noqa: ANN001 - Status records
    """Index statuses written in this transaction (none has a document yet), in one statement."""
    rows = [s for s in written if not s.reblog_of_id and s.deleted_at is None]
    if rows:
        dialect = conn.dialect.name
        stmt = _INSERT_STATUS.get(dialect)
        if stmt is None:  # built once per dialect: the inbox sends it with every batch it applies
            stmt = _INSERT_STATUS[dialect] = text(insert_statement(dialect, STATUS_TABLE))
        await execute(conn, stmt, status_params(rows, dialect))


_INSERT_STATUS: dict[str, object] = {}


async def unindex_status(conn: AsyncConnection, status_id: int) -> None:
    key = "rowid" if conn.dialect.name == "sqlite" else "status_id"
    await conn.execute(text(f"DELETE FROM {STATUS_TABLE} WHERE {key} = :id"), {"id": status_id})


async def index_account(conn: AsyncConnection, account) -> None:  # noqa: ANN001 - models.accounts.Account
    key = "rowid" if conn.dialect.name == "sqlite" else "account_id"
    await conn.execute(text(f"DELETE FROM {ACCOUNT_TABLE} WHERE {key} = :id"), {"id": account.id})
    await conn.execute(text(insert_statement(conn.dialect.name, ACCOUNT_TABLE)), account_params([account]))


# --- Rebuilding (migration 0310 and `backchannel search reindex`) --------------------------------

BATCH = 1000
STATUS_ROWS = ("SELECT id, content, spoiler_text FROM statuses WHERE id > :after AND deleted_at IS NULL "
               "AND reblog_of_id IS NULL ORDER BY id LIMIT :n")
ACCOUNT_ROWS = "SELECT id, username, display_name, note, fields FROM accounts WHERE id > :after ORDER BY id LIMIT :n"
COUNTS = ("SELECT (SELECT count(*) FROM statuses WHERE deleted_at IS NULL AND reblog_of_id IS NULL), "
          "(SELECT count(*) FROM accounts)")


def insert_statement(dialect: str, table: str) -> str:
    """One row's INSERT into an index emptied first (sent with many rows at once)."""
    if table == STATUS_TABLE:
        return (f"INSERT INTO {table} (rowid, body, has_link) VALUES (:id, :body, :link)" if dialect == "sqlite"
                else f"INSERT INTO {table} (status_id, document, has_link) "
                     "VALUES (:id, to_tsvector('simple', :body), :link)")
    return (f"INSERT INTO {table} (rowid, name, profile) VALUES (:id, :name, :profile)" if dialect == "sqlite"
            else f"INSERT INTO {table} (account_id, document) VALUES (:id, "
                 "setweight(to_tsvector('simple', :name), 'A') || setweight(to_tsvector('simple', :profile), 'B'))")


def status_params(rows, dialect: str) -> list[dict]:  # noqa: ANN001 - rows or Status records
    out = []
    for row in rows:
        body, has_link = status_document(row.content, row.spoiler_text)
        out.append({"id": row.id, "body": body, "link": int(has_link) if dialect == "sqlite" else has_link})
    return out


def account_params(rows) -> list[dict]:  # noqa: ANN001
    out = []
    for row in rows:
        name, profile = account_documents(row.username, row.display_name, row.note, row.fields)
        out.append({"id": row.id, "name": name, "profile": profile})
    return out


def _sources(dialect: str) -> list:
    """(index table, its rows' query, rows → insert parameters) for each index."""
    return [(STATUS_TABLE, STATUS_ROWS, lambda rows: status_params(rows, dialect)),
            (ACCOUNT_TABLE, ACCOUNT_ROWS, account_params)]


def rebuild_sync(conn) -> None:  # noqa: ANN001 - a synchronous Connection (inside a migration)
    """Fill both (empty) indexes from the tables, in batches."""
    dialect = conn.dialect.name
    for table, select_rows, params in _sources(dialect):
        after = 0
        while rows := conn.execute(text(select_rows), {"after": after, "n": BATCH}).all():
            conn.execute(text(insert_statement(dialect, table)), params(rows))
            after = rows[-1].id


async def rebuild(db, progress=None) -> tuple[int, int]:  # noqa: ANN001 - models.db.Database
    """Empty and refill both indexes, a batch per transaction; `progress(done, total, note)` after
    each batch. Returns (statuses, accounts) indexed."""
    dialect = db.dialect
    async with db.read() as conn:
        total_statuses, total_accounts = (await conn.execute(text(COUNTS))).one()
    total = total_statuses + total_accounts
    async with db.write() as conn:
        await clear(conn)
    done = 0
    counts = []
    for table, select_rows, params in _sources(dialect):
        after, indexed = 0, 0
        while True:
            async with db.write() as conn:
                rows = (await conn.execute(text(select_rows), {"after": after, "n": BATCH})).all()
                if not rows:
                    break
                await conn.execute(text(insert_statement(dialect, table)), params(rows))
            after = rows[-1].id
            indexed += len(rows)
            done += len(rows)
            if progress is not None:
                progress(min(done, total), total, table.removeprefix("search_"))
        counts.append(indexed)
    if progress is not None:
        progress(total, total, "done")
    return counts[0], counts[1]


# --- The tables (migration 0310) ---------------------------------------------------------------

def create_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        # A plain FTS5 table keeps a copy of each document: SQLite before 3.43 cannot delete from a
        # contentless one without it. `has_link` rides along unindexed for has:link.
        return [
            f"CREATE VIRTUAL TABLE {STATUS_TABLE} USING fts5(body, has_link UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')",
            f"CREATE VIRTUAL TABLE {ACCOUNT_TABLE} USING fts5(name, profile, "
            "tokenize = 'unicode61 remove_diacritics 2')",
        ]
    return [
        f"CREATE TABLE {STATUS_TABLE} (status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE, "
        "document TSVECTOR NOT NULL, has_link BOOLEAN NOT NULL DEFAULT false)",
        f"CREATE INDEX ix_{STATUS_TABLE}_document ON {STATUS_TABLE} USING GIN (document)",
        f"CREATE TABLE {ACCOUNT_TABLE} (account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE, "
        "document TSVECTOR NOT NULL)",
        f"CREATE INDEX ix_{ACCOUNT_TABLE}_document ON {ACCOUNT_TABLE} USING GIN (document)",
    ]


def drop_statements(dialect: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {STATUS_TABLE}", f"DROP TABLE IF EXISTS {ACCOUNT_TABLE}"]


async def clear(conn: AsyncConnection) -> None:
    """Empty both indexes (before a rebuild)."""
    await conn.execute(text(f"DELETE FROM {STATUS_TABLE}"))
    await conn.execute(text(f"DELETE FROM {ACCOUNT_TABLE}"))
