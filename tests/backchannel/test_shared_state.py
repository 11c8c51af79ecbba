"""What every process of a node must agree on lives in the database: the shared secrets (VAPID key,
session key) and the rate-limit counters. Checked on SQLite and PostgreSQL with two handles on one
database, as two processes would hold them."""
from __future__ import annotations

import asyncio
import time

from backchannel import guards, secrets
from backchannel.config import database_url
from federation import webpush
from models.db import Database
from models.migrate import upgrade


async def two_handles(database: str | None, data) -> tuple[Database, Database]:  # noqa: ANN001
    url = database_url(database or "", str(data))
    first, second = Database(url), Database(url)
    await upgrade(first)
    return first, second


async def test_processes_starting_together_make_one_set_of_secrets(tmp_path, database_factory):
    # Given two processes of one node, each with a data folder of its own, on an empty database
    db_a, db_b = await two_handles(database_factory(), tmp_path)
    try:
        # When both start at the same moment
        a, b = await asyncio.gather(secrets.load(db_a, tmp_path / "a"), secrets.load(db_b, tmp_path / "b"))
        # Then they hold the same VAPID key and session key, and a later start reads the same again
        assert a == b and set(a) == {"vapid", "session"}
        assert webpush.vapid_from_pem(a["vapid"]).public_key
        assert len(bytes.fromhex(a["session"])) == 32
        assert await secrets.load(db_b, tmp_path / "c") == a
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def test_keys_kept_in_the_data_folder_move_into_the_database(tmp_path, database_factory):
    # Given a node that kept its VAPID key and session key in its data folder (before they moved)
    data = tmp_path / "data"
    data.mkdir()
    pem = webpush.new_vapid_pem()
    (data / "vapid.pem").write_text(pem)
    (data / "admin_session_secret").write_text("ab" * 32 + "\n")
    db_a, db_b = await two_handles(database_factory(), data)
    try:
        # When it starts
        found = await secrets.load(db_a, data)
        # Then the database holds those very keys, so existing push subscriptions keep working,
        # and a second machine without the files gets them too
        assert found["vapid"] == pem.strip() and found["session"] == "ab" * 32
        assert await secrets.load(db_b, tmp_path / "elsewhere") == found
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def test_a_damaged_key_file_is_not_carried_over(tmp_path, database_factory):
    data = tmp_path / "data"
    data.mkdir()
    (data / "vapid.pem").write_text("not a key")
    db_a, db_b = await two_handles(database_factory(), data)
    try:
        found = await secrets.load(db_a, data)
        assert webpush.vapid_from_pem(found["vapid"])  # a new, valid key instead
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def test_hits_on_one_process_count_on_another(tmp_path, database_factory):
    # Given two processes' rate limits (10 requests per window per address) over one database
    db_a, db_b = await two_handles(database_factory(), tmp_path)
    a, b = guards.RateLimits(per_ip=10, per_account=10), guards.RateLimits(per_ip=10, per_account=10)
    start = (int(time.time() // guards.WINDOW) + 0.5) * guards.WINDOW  # mid-window, as a fixed clock
    try:
        # When one address makes 6 requests to process A and 4 to process B, and both share counts
        assert [a.by_ip.take("ip:192.0.2.1", now=start) for _ in range(6)] == [0.0] * 6
        assert [b.by_ip.take("ip:192.0.2.1", now=start) for _ in range(4)] == [0.0] * 4
        await a.flush(db_a)
        await b.flush(db_b)
        # Then B refuses the eleventh request, and tells when to try again
        assert 0 < b.by_ip.take("ip:192.0.2.1", now=start) <= guards.WINDOW * 1.5
        # And A, which let one more through before it learnt B's count at its next flush, refuses too
        assert a.by_ip.take("ip:192.0.2.1", now=start) == 0.0
        await a.flush(db_a)
        assert a.by_ip.take("ip:192.0.2.1", now=start) > 0
        # And another address, and the same address's account key, are not limited
        assert a.by_ip.take("ip:192.0.2.2", now=start) == 0.0
        assert a.by_account.take("account:1", now=start) == 0.0
        # And in the next window the previous one's hits still weigh, sliding out over its length
        assert a.by_ip.take("ip:192.0.2.1", now=start + guards.WINDOW * 0.55) > 0
        assert a.by_ip.take("ip:192.0.2.1", now=start + guards.WINDOW * 0.75) == 0.0
    finally:
        await db_a.dispose()
        await db_b.dispose()
