"""A node in-process (the real app from backchannel.app.create_app) and small factories:
people with accounts, users and tokens, and a client that speaks for each of them."""
from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from backchannel.app import create_app
from backchannel.config import Config
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation.httpsig import generate_key_pair
from models import accounts, oauth
from models.schema import fanouts

PASSWORD = "correct horse battery staple"
ALL_SCOPES = "read write follow push"


@functools.cache
def key_pair() -> tuple[str, str]:
    """One RSA key for every test account: generating keys is slow and these never sign."""
    return generate_key_pair()


@dataclass
class Person:
    node: "ApiNode"
    account: accounts.Account
    user: accounts.User
    token: str

    @property
    def id(self) -> str:
        return str(self.account.id)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kw: Any):  # noqa: ANN201
        return await self.node.client.get(path, headers=self.headers(), **kw)

    async def post(self, path: str, **kw: Any):  # noqa: ANN201
        return await self.node.client.post(path, headers=self.headers(), **kw)

    async def put(self, path: str, **kw: Any):  # noqa: ANN201
        return await self.node.client.put(path, headers=self.headers(), **kw)

    async def patch(self, path: str, **kw: Any):  # noqa: ANN201
        return await self.node.client.patch(path, headers=self.headers(), **kw)

    async def delete(self, path: str, **kw: Any):  # noqa: ANN201
        return await self.node.client.delete(path, headers=self.headers(), **kw)

    async def post_status(self, text: str, **fields: Any) -> dict:
        response = await self.post("/api/v1/statuses", json={"status": text, **fields})
        assert response.status == 200, await response.text()
        return await response.json()


@dataclass
class ApiNode:
    client: TestClient
    rt: Runtime

    async def person(self, username: str, *, locked: bool = False, admin: bool = False,
                     scopes: str = ALL_SCOPES) -> Person:
        private_pem, public_pem = key_pair()
        async with self.rt.db.write() as conn:
            account = await accounts.create_local(
                conn, username=username, uris=self.rt.urls.account_columns(username), private_key_pem=private_pem,
                public_key_pem=public_pem, display_name=username.title(), locked=locked)
            user = await accounts.create_user(conn, account_id=account.id, email=f"{username}@example.com",
                                              password=PASSWORD, admin=admin)
            token = await oauth.create_token(conn, user_id=user.id, app_id=None, scopes=scopes)
        return Person(self, account, user, token)

    async def token(self, person: Person, scopes: str) -> str:
        async with self.rt.db.write() as conn:
            return await oauth.create_token(conn, user_id=person.user.id, app_id=None, scopes=scopes)


def node_config(tmp_path, domain: str = "acme.test") -> Config:  # noqa: ANN001
    return Config(domain=domain, data=str(tmp_path), insecure_http=True, workers=True)


async def settle(rt: Runtime) -> None:
    """Let the queue workers finish before the app shuts down.

    On Python 3.11, asyncio.wait_for swallows a cancellation that arrives while the awaited event is
    being set, so a worker woken at shutdown (backchannel.workers.run_queue) keeps running and the
    cleanup waits forever. Shutting down idle workers avoids that race until the worker is fixed.
    """
    async def idle() -> bool:
        async with rt.db.read() as conn:
            busy = (await conn.execute(select(func.count()).select_from(fanouts)
                                       .where(fanouts.c.state == "pending"))).scalar_one()
        return busy == 0
    await eventually(idle)
    await asyncio.sleep(0.1)


@pytest.fixture
async def node(aiohttp_client, tmp_path):  # noqa: ANN001, ANN201
    app = create_app(node_config(tmp_path))
    client = await aiohttp_client(app)
    rt = app[RUNTIME]
    yield ApiNode(client, rt)
    await settle(rt)


@pytest.fixture
async def db_node(aiohttp_client, tmp_path, database_factory):  # noqa: ANN001, ANN201
    """As `node`, once on SQLite and once on PostgreSQL (skipped, with the reason, when absent)."""
    app = create_app(Config(domain="acme.test", data=str(tmp_path), insecure_http=True, workers=True,
                            database=database_factory() or ""))
    client = await aiohttp_client(app)
    rt = app[RUNTIME]
    yield ApiNode(client, rt)
    await settle(rt)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll until `check` returns something truthy (the queue workers run beside the test)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)
