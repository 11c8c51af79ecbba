"""The real app in-process (tests.api.conftest's node), on SQLite and on PostgreSQL."""
from __future__ import annotations

import dataclasses

import pytest

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from tests.api.conftest import ApiNode, node_config, settle


@pytest.fixture
async def node(aiohttp_client, tmp_path, database_factory):  # noqa: ANN001, ANN201
    config = dataclasses.replace(node_config(tmp_path), database=database_factory() or "")
    app = create_app(config)
    client = await aiohttp_client(app)
    yield ApiNode(client, app[RUNTIME])
    await settle(app[RUNTIME])
