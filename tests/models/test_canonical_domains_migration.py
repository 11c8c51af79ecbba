"""Revision 0003 moves domain rules and remote accounts' domains to their canonical spelling, so a
rule written with a port before it keeps covering that organisation afterwards."""
import time

import sqlalchemy as sa
from alembic import command

from backchannel.config import database_url
from models.db import Database
from models.migrate import alembic_config, upgrade
from models.schema import account_domain_blocks, accounts, domain_allows, domain_blocks

TABLES = ("domain_blocks", "domain_allows", "accounts", "account_domain_blocks")


async def test_rules_and_domains_written_before_are_made_canonical(tmp_path, database_factory):
    db = Database(database_url(database_factory() or "", str(tmp_path)))
    try:
        cfg = alembic_config()

        def to_0001(sync_conn) -> dict[str, sa.Table]:
            """The database as revision 0001 left it, with its tables as they were then (later
            revisions add columns that the rows written here must not name)."""
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "0001")
            then = sa.MetaData()
            then.reflect(sync_conn, only=TABLES)
            return then.tables

        async with db.write() as conn:
            then = await conn.run_sync(to_0001)
            now = time.time()
            block = dict(reject_media=False, public_comment="", private_comment="", created_at=now)
            await conn.execute(sa.insert(then["domain_blocks"]), [
                dict(id=1, domain="evil.example:8443", severity="suspend", **block),
                dict(id=2, domain="evil.example", severity="silence", **block),
                dict(id=3, domain="Other.Example.:443", severity="silence", **block)])
            await conn.execute(sa.insert(then["domain_allows"]), [
                dict(id=1, domain="good.example:8443", created_at=now), dict(id=2, domain="good.example", created_at=now)])
            person = dict(actor_type="Person", display_name="", note="", fields="[]", locked=False, bot=False,
                          discoverable=False, created_at=now, followers_count=0, following_count=0,
                          statuses_count=0)
            await conn.execute(sa.insert(then["accounts"]), [
                dict(id=10, username="x", domain="evil.example:443", uri="https://evil.example:443/users/x", **person),
                dict(id=11, username="y", domain="evil.example:8443", uri="https://evil.example:8443/users/y", **person),
                dict(id=12, username="z", domain="Plain.example.:80", uri="http://Plain.example.:80/users/z", **person)])
            await conn.execute(sa.insert(then["account_domain_blocks"]), [
                dict(id=1, account_id=10, domain="pest.example:80", created_at=now),
                dict(id=2, account_id=10, domain="pest.example", created_at=now)])

        await upgrade(db)

        async with db.read() as conn:
            blocks = (await conn.execute(sa.select(domain_blocks.c.domain, domain_blocks.c.severity)
                                         .order_by(domain_blocks.c.domain))).all()
            assert [tuple(b) for b in blocks] == [("evil.example", "suspend"), ("other.example", "silence")]
            assert list((await conn.execute(sa.select(domain_allows.c.domain))).scalars()) == ["good.example"]
            assert list((await conn.execute(sa.select(account_domain_blocks.c.domain))).scalars()) == ["pest.example"]
            domains = dict((await conn.execute(sa.select(accounts.c.id, accounts.c.domain))).all())
            assert domains == {10: "evil.example", 11: "evil.example:8443", 12: "plain.example"}
    finally:
        await db.dispose()
