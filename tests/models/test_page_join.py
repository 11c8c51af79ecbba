"""models.rows.page_join: a page's ids joined first, one parameter whatever their number, on a real
database (SQLite, and PostgreSQL when present)."""
import time

import pytest
import sqlalchemy as sa

from models import rows
from models.db import Database
from models.schema import accounts, favourites, statuses


FAVOURITED = sa.select(favourites.c.status_id).select_from(rows.page_join(favourites.c.status_id)).where(
    favourites.c.account_id == sa.bindparam("viewer", type_=sa.BigInteger))


async def _reader_who_favourited(db: Database, count: int) -> None:
    now = time.time()
    async with db.write() as conn:
        await conn.execute(sa.insert(accounts), [dict(id=1, username="reader", uri="https://acme.example/u/1",
                                                      created_at=now)])
        await conn.execute(sa.insert(statuses), [dict(id=n, uri=f"https://acme.example/s/{n}", account_id=1,
                                                      local=True, content="", spoiler_text="", sensitive=False,
                                                      visibility="public", created_at=now) for n in range(1, count + 1)])
        await conn.execute(sa.insert(favourites), [dict(id=n, account_id=1, status_id=n, created_at=now)
                                                   for n in range(1, count + 1)])


async def test_the_rows_of_the_given_ids_come_once_each_however_the_ids_are_given(db):
    # Given a reader who favourited posts 1 to 5
    await _reader_who_favourited(db, 5)
    # When a page asks which of its posts she favourited, naming one twice and one she did not
    async with db.read() as conn:
        found = await rows.fetch(conn, FAVOURITED, {"ids": [2, 4, 2, 9], "viewer": 1})
        from_a_set = await rows.fetch(conn, FAVOURITED, {"ids": {3, 5}, "viewer": 1})
    # Then each favourited one comes once
    assert sorted(r.status_id for r in found) == [2, 4]
    assert sorted(r.status_id for r in from_a_set) == [3, 5]


async def test_the_ids_drive_the_read_on_sqlite(db):
    if not db.is_sqlite:
        pytest.skip("a question for SQLite's planner")
    # Given a reader with many favourites (an index on favourites.account_id tempts SQLite's planner)
    await _reader_who_favourited(db, 50)
    # When SQLite plans the page's statement
    sql = rows._compiled(FAVOURITED).sql
    async with db.read() as conn:
        plan = [row[-1] for row in (await conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, {"ids": "[1, 2]", "viewer": 1})).all()]
    # Then the ids are the outer loop and each is one search of the (account_id, status_id) index,
    # not a scan of the ids for each of her favourites
    assert plan[0].startswith("SCAN ids_given"), plan
    assert "account_id=? AND status_id=?" in plan[1], plan
