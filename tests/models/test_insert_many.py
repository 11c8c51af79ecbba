"""models.rows.insert_many on PostgreSQL sends many rows as one statement (arrays unnested) inside
the write's transaction: they commit or roll back with it, and a duplicate fails as SQLAlchemy's
IntegrityError, as one row at a time did."""
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from backchannel.config import database_url
from models.db import Database
from models.migrate import upgrade
from models.rows import insert_many
from models.schema import stream_events


def _events(first: int, n: int) -> list[dict]:
    return [{"id": first + k, "stream": "public", "event": "update", "ref_id": None if k % 2 else k,
             "created_at": 1.5 + k} for k in range(n)]


async def _count(database: Database) -> int:
    async with database.read() as conn:
        return (await conn.execute(select(func.count()).select_from(stream_events))).scalar_one()


async def test_rows_inserted_together_follow_their_transaction(postgres_url, tmp_path):
    database = Database(database_url(postgres_url, str(tmp_path)))
    await upgrade(database)
    try:
        # Given a write that began with another statement, When it inserts three rows, Then they are stored as given
        async with database.write() as conn:
            await conn.execute(select(1))
            await insert_many(conn, stream_events, _events(1, 3))
        async with database.read() as conn:
            rows = (await conn.execute(select(stream_events).order_by(stream_events.c.id))).all()
        assert [(r.id, r.stream, r.event, r.ref_id, r.created_at) for r in rows] == [
            (1, "public", "update", 0, 1.5), (2, "public", "update", None, 2.5), (3, "public", "update", 2, 3.5)]
        # When the transaction fails after the insert (first statement or not), Then none of its rows stay
        for first in (False, True):
            with pytest.raises(RuntimeError):
                async with database.write() as conn:
                    if not first:
                        await conn.execute(select(1))
                    await insert_many(conn, stream_events, _events(10, 4))
                    raise RuntimeError("after the insert")
        assert await _count(database) == 3
        # When a row repeats a stored id, Then SQLAlchemy's IntegrityError, and nothing of the lot is stored
        with pytest.raises(sa_exc.IntegrityError):
            async with database.write() as conn:
                await conn.execute(select(1))
                await insert_many(conn, stream_events, _events(20, 2) + _events(3, 1))
        assert await _count(database) == 3
    finally:
        await database.dispose()
