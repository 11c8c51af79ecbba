"""Where test nodes keep their data: SQLite always; PostgreSQL when it can be reached.

BACKCHANNEL_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test) names a server to
create throw-away databases on; set it to "off" to skip the PostgreSQL runs.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid

DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str | None:
    url = os.environ.get("BACKCHANNEL_TEST_POSTGRES", DEFAULT)
    return None if url.lower() in ("", "off", "0", "no") else url


def _run(coro):  # noqa: ANN001, ANN202
    """Run a coroutine to completion from sync code, even inside an async test's running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def postgres_available() -> str | None:
    """None when PostgreSQL can be used, else why not."""
    url = postgres_admin_url()
    if url is None:
        return "BACKCHANNEL_TEST_POSTGRES=off"
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed"

    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=3)
        await conn.close()

    try:
        _run(probe())
    except Exception as err:  # noqa: BLE001
        return f"PostgreSQL at {url} cannot be reached: {err}"
    return None


def create_database() -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    import asyncpg

    admin = postgres_admin_url()
    name = f"bc_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    _run(create())
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    import asyncpg

    admin = postgres_admin_url()
    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    _run(drop())
