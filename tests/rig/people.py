"""Factories that work on a running node's own database: many local people at once (the CLI starts
a process and makes an RSA key per account), and waiting until the node's queues are idle."""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, TypeVar

from tests.rig.nodes import Node

T = TypeVar("T")
_KEY: list[tuple[str, str]] = []


def _database(node: Node):  # noqa: ANN202
    from backchannel.config import database_url
    from models.db import Database

    return Database(database_url(node.database or "", str(node.data)))


def with_database(node: Node, work: Callable[..., Awaitable[T]]) -> T:
    """`work(db)` run against the node's database, from a test's (synchronous) code."""
    async def run() -> T:
        db = _database(node)
        try:
            return await work(db)
        finally:
            await db.dispose()
    return asyncio.run(run())


def make_people(node: Node, names: list[str], *, locked: tuple[str, ...] = (),
                scopes: str = "read write follow push", password: str | None = None) -> dict[str, str]:
    """Local accounts (sharing one key pair) with a bearer token each: name → token. `password`, when
    given, is every one's (scrypt makes that cost ~50 ms a person)."""
    from federation import httpsig
    from federation.urls import Urls
    from models import accounts, oauth

    if not _KEY:
        _KEY.append(httpsig.generate_key_pair())
    private_pem, public_pem = _KEY[0]
    urls = Urls(f"http://{node.domain}")

    async def work(db) -> dict[str, str]:  # noqa: ANN001
        tokens = {}
        async with db.write() as conn:
            for name in names:
                account = await accounts.create_local(conn, username=name, uris=urls.account_columns(name),
                                                      private_key_pem=private_pem, public_key_pem=public_pem,
                                                      locked=name in locked)
                user = await accounts.create_user(conn, account_id=account.id, email=f"{name}@{node.domain}",
                                                  password=password)
                tokens[name] = await oauth.create_token(conn, user_id=user.id, app_id=None, scopes=scopes)
        return tokens
    return with_database(node, work)


def wait_idle(node: Node, timeout: float = 30) -> None:
    """Until nothing the node received or queued is waiting: every inbox item and fan-out job has
    been applied (or given up). Deliveries to other servers are not waited for."""
    from sqlalchemy import func, select

    from models.schema import fanouts, inbox_items

    async def pending(db) -> int:  # noqa: ANN001
        async with db.read() as conn:
            return sum([(await conn.execute(select(func.count()).select_from(table)
                                            .where(table.c.state == "pending"))).scalar_one()
                        for table in (inbox_items, fanouts)])

    deadline = time.time() + timeout
    while with_database(node, pending):
        if time.time() > deadline:
            raise AssertionError(f"{node.domain} still has queued work after {timeout}s")
        time.sleep(0.1)
