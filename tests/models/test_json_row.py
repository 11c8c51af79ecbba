"""models.rows.JsonRow: a whole row carried as JSON in one column (a page's attachments and polls
come with its other facts) reads back exactly as the row itself, on SQLite and PostgreSQL."""
import sqlalchemy as sa

from models import rows
from models.schema import polls
from tests.models.test_page_join import _reader_who_favourited


async def test_a_row_read_as_json_equals_the_row_to_the_last_digit_of_its_floats(db):
    # Given a poll whose times have more digits than SQLite's JSON keeps (15), a null float and flags
    await _reader_who_favourited(db, 10)  # an account and its posts 1 to 10
    async with db.write() as conn:
        await conn.execute(sa.insert(polls), [
            dict(id=7, status_id=8, account_id=1, options='[{"title": "é\\"\\n", "votes_count": 2}]', multiple=True,
                 hide_totals=False, expires_at=1795955770.1234567, votes_count=2, voters_count=None,
                 ended_notified=False, created_at=0.1 + 0.2),
            dict(id=9, status_id=10, account_id=1, options="[]", multiple=False, hide_totals=True, expires_at=None,
                 votes_count=0, voters_count=3, ended_notified=True, created_at=-1e-300)])
    # When it is read as a row and as JSON
    as_json = rows.JsonRow(polls)
    async with db.read() as conn:
        plain = sorted(await rows.fetch(conn, sa.select(polls)), key=lambda r: r.id)
        texts = await rows.fetch(conn, sa.select(as_json.label("row")).order_by(polls.c.id))
    # Then both give the same values, of the same types
    read = as_json.reader()
    decoded = [read(r.row) for r in texts]
    assert [r._mapping for r in decoded] == [r._mapping for r in plain]
    assert [type(v) for v in decoded[0]._mapping.values()] == [type(v) for v in plain[0]._mapping.values()]
    assert decoded[0].multiple is True and decoded[1].hide_totals is True and decoded[0].expires_at == 1795955770.1234567
