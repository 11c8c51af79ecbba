"""The admin dashboard's figures on a real database (SQLite, and PostgreSQL when present): posts and
posters per UTC day, the people who used the node per day, deliveries counted per day and outcome however often they are counted, and the
domains that failed most."""
import time

import sqlalchemy as sa

from models import dashboard
from models.schema import accounts, favourites, follows, oauth_tokens, statuses, users

DAY = dashboard.DAY
TODAY = dashboard.day_of(time.time())


def _status(n: int, account_id: int, at: float, **values) -> dict:
    return dict(id=n, uri=f"https://acme.example/s/{n}", account_id=account_id, local=True, content="",
                spoiler_text="", sensitive=False, visibility="public", created_at=at, deleted_at=None) | values


async def test_posts_and_posters_are_counted_per_utc_day(db):
    # Given two people's posts over three days, one deleted and one remote
    start = (TODAY - 2) * DAY
    async with db.write() as conn:
        await conn.execute(sa.insert(accounts), [dict(id=i, username=f"u{i}", uri=f"https://acme.example/u/{i}",
                                                      created_at=start) for i in (1, 2)])
        await conn.execute(sa.insert(statuses), [
            _status(1, 1, start + 10), _status(2, 1, start + DAY - 1), _status(3, 2, start + DAY - 2),
            _status(4, 2, start + DAY + 5), _status(5, 1, start + 2 * DAY + 1, deleted_at=start),
            _status(6, 2, start + 2 * DAY + 7, local=False)])
    # When the dashboard reads them
    async with db.read() as conn:
        found = await dashboard.posts_per_day(conn, TODAY - 2)
    # Then each day has its posts and posters; deleted and remote posts are left out
    assert found == {TODAY - 2: (3, 2), TODAY - 1: (1, 1)}


async def test_deliveries_are_counted_per_day_outcome_and_domain(db):
    # Given delivery outcomes counted as the worker settles them
    async with db.write() as conn:
        for domain, outcome, times in (("a.example", "delivered", 3), ("a.example", "retry", 2),
                                       ("b.example", "dropped", 4), ("c.example", "retry", 1)):
            for _ in range(times):
                await dashboard.count_delivery(conn, domain, outcome)
        await dashboard.count_delivery(conn, "old.example", "dropped", at=(TODAY - 30) * DAY)
    # When the dashboard reads the last two weeks
    async with db.read() as conn:
        per_day = await dashboard.deliveries_per_day(conn, TODAY - 13)
        failing = await dashboard.failing_domains(conn, TODAY - 13)
    # Then the counts add up, and the failing domains come worst first
    assert per_day == {TODAY: {"delivered": 3, "retry": 3, "dropped": 4}}
    assert failing == [("b.example", 4), ("a.example", 2), ("c.example", 1)]


async def test_active_people_are_those_who_signed_in_or_acted_that_day(db):
    # Given three local people and a remote one over three days: u1 posts two days ago and follows
    # today, u2 signs in (a token) two days ago and favourites today, u3 signs in yesterday,
    # and the remote u4 favourites today
    start = (TODAY - 2) * DAY
    async with db.write() as conn:
        await conn.execute(sa.insert(accounts), [
            dict(id=i, username=f"u{i}", uri=f"https://acme.example/u/{i}", created_at=start,
                 domain="globex.example" if i == 4 else None) for i in (1, 2, 3, 4)])
        await conn.execute(sa.insert(users), [dict(id=10 + i, account_id=i, email=f"u{i}@acme.example", created_at=start)
                                              for i in (1, 2, 3)])
        await conn.execute(sa.insert(statuses), [_status(1, 1, start + 10), _status(2, 1, start + 20)])
        await conn.execute(sa.insert(oauth_tokens), [
            dict(id=1, token_hash="a" * 64, user_id=12, scopes="read", created_at=start + 30),
            dict(id=2, token_hash="b" * 64, user_id=13, scopes="read", created_at=start + DAY + 30)])
        await conn.execute(sa.insert(follows), [dict(id=1, account_id=1, target_account_id=4, state="accepted",
                                                     created_at=start + 2 * DAY + 5)])
        await conn.execute(sa.insert(favourites), [
            dict(id=1, account_id=2, status_id=1, created_at=start + 2 * DAY + 6),
            dict(id=2, account_id=4, status_id=1, created_at=start + 2 * DAY + 7)])
        # and u3's app reads with its token today (twice: it counts once)
        for _ in range(2):
            await dashboard.note_active(conn, 3, start + 2 * DAY + 8)
    # When the dashboard reads them
    async with db.read() as conn:
        found = await dashboard.active_per_day(conn, TODAY - 2)
    # Then each day counts each local person once, whatever they did, and the remote one never
    assert found == {TODAY - 2: 2, TODAY - 1: 1, TODAY: 3}
