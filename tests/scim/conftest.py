"""A running node with a SCIM token, shared by the SCIM tests of one module (on SQLite, and on
PostgreSQL when it is there), and a remote server whose people follow the provisioned ones."""
from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.rig.fake_remote import FakeRemote
from tests.rig.nodes import Node, free_port

MEDIA = "application/scim+json"


class Scim:
    def __init__(self, node: Node, token: str, remote: FakeRemote):
        self.node, self.token, self.remote = node, token, remote
        self.base = node.base + "/scim/v2"
        self.http = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.http.post(path, json=body, headers={"Content-Type": MEDIA})

    def patch(self, path: str, *operations: dict) -> httpx.Response:
        return self.http.patch(path, json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                           "Operations": list(operations)}, headers={"Content-Type": MEDIA})

    def user(self, user_name: str, **extra) -> dict:
        response = self.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                        "userName": user_name, **extra})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scim_node(request, tmp_path_factory):  # noqa: ANN001, ANN201
    from tests.rig.databases import create_database, drop_database, postgres_available

    database = None
    if request.param == "postgresql":
        reason = postgres_available()
        if reason:
            pytest.skip(reason)
        database = create_database()
    remote = FakeRemote("globex.test").start()  # where followers of provisioned people live
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("scim"), database=database,
                resolve={"globex.test": remote.port}).start()
    try:
        token = node.cli("scim", "token", "create", "--label", "HR directory").strip()
        yield Scim(node, token, remote)
    finally:
        node.stop()
        remote.stop()
        if database:
            drop_database(database)
