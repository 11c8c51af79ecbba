"""What a domain rule covers, on a real database (SQLite, and PostgreSQL when present): the name,
every port of it, every subdomain of it, and nothing that only looks like it."""
import time

import pytest
import sqlalchemy as sa

from backchannel.config import database_url
from models import account_domain_blocks
from models.db import Database
from models.domains import covering, on_domain
from models.migrate import upgrade
from models.schema import accounts, domain_blocks

# (stored accounts.domain, covered by a rule on example.org)
DOMAINS = [
    ("example.org", True), ("example.org:8443", True), ("a.example.org", True), ("a.b.example.org:8443", True),
    ("notexample.org", False), ("example.org.evil", False), ("example.organic", False),
    ("example_org", False), ("exampleXorg", False), ("evil.org", False),
    ("a.under_score.test", False), ("a.underXscore.test:8443", False),  # for the rule on under_score.test
]


@pytest.fixture
async def db(tmp_path, database_factory):
    database = Database(database_url(database_factory() or "", str(tmp_path)))
    await upgrade(database)
    now = time.time()
    async with database.write() as conn:
        await conn.execute(sa.insert(accounts), [
            dict(id=i + 1, username=f"u{i}", domain=domain, uri=f"https://{domain}/users/u{i}", created_at=now)
            for i, (domain, _) in enumerate(DOMAINS)])
        await conn.execute(sa.insert(domain_blocks).values(id=1, domain="example.org", severity="silence",
                                                           created_at=now))
        await conn.execute(sa.insert(domain_blocks).values(id=2, domain="under_score.test", severity="silence",
                                                           created_at=now))
        await account_domain_blocks.add(conn, 1, "example.org")
    yield database
    await database.dispose()


async def test_a_rule_covers_ports_and_subdomains_and_nothing_else(db):
    expected = {domain for domain, covered in DOMAINS if covered}
    async with db.read() as conn:
        by_name = set((await conn.execute(sa.select(accounts.c.domain).where(
            on_domain(accounts.c.domain, "example.org")))).scalars())
        by_rule = set((await conn.execute(sa.select(accounts.c.domain).where(sa.exists().where(
            on_domain(accounts.c.domain, domain_blocks.c.domain))))).scalars())
        personally = {domain for i, (domain, _) in enumerate(DOMAINS)
                      if await account_domain_blocks.blocking(conn, [1], domain)}
    assert by_name == expected
    # `_` in a rule is not a LIKE wildcard: under_score.test covers its subdomain, not underXscore.test.
    assert by_rule == expected | {"a.under_score.test"}
    assert personally == expected


def test_covering_names():
    assert covering("a.example.org:8443") == ["a.example.org", "example.org", "org"]
    assert covering("192.0.2.1:8080") == ["192.0.2.1"]
    assert covering("[2001:db8::1]:443") == ["[2001:db8::1]"]
