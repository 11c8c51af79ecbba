"""A node that signs people in through npm's oidc-provider on loopback."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import httpx2
import pytest

from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.nodes import Node, free_port
from tests.rig.oidc import OidcProvider, install_reason

CLIENT_ID, CLIENT_SECRET = "backchannel", "a-client-secret-for-tests-only-0123456789"
ADMINS = "backchannel-admins"
PEOPLE = {
    "jane": {"preferred_username": "jane.doe", "name": "Jane Doe", "email": "jane@acme.example",
             "email_verified": True, "groups": ["staff"]},
    "ada": {"preferred_username": "ada", "name": "Ada Admin", "email": "ada@acme.example",
            "email_verified": True, "groups": ["staff", ADMINS]},
    "lin": {"preferred_username": "lin", "name": "Lin App", "email": "lin@acme.example", "email_verified": True},
    "kim": {"preferred_username": "kim", "name": "Kim Known", "email": "kim@acme.example", "email_verified": True},
    "pia": {"preferred_username": "pia.p", "name": "Pia", "email": "pia@acme.example", "email_verified": True},
}


def sso_env(issuer: str, **extra: str) -> dict[str, str]:
    return {"BACKCHANNEL_OIDC_ISSUER": issuer, "BACKCHANNEL_OIDC_CLIENT_ID": CLIENT_ID,
            "BACKCHANNEL_OIDC_CLIENT_SECRET": CLIENT_SECRET, "BACKCHANNEL_OIDC_NAME": "Acme SSO",
            "BACKCHANNEL_OIDC_ADMIN_GROUP": ADMINS, **extra}


def node_at_loopback(data, database: str | None = None) -> Node:  # noqa: ANN001
    """A node whose domain is its loopback address, so the provider can send browsers back to it."""
    port = free_port()
    return Node(domain=f"127.0.0.1:{port}", port=port, data=data, database=database)


@contextmanager
def serving(node: Node, provider, **env: str) -> Iterator[tuple]:  # noqa: ANN001
    """The node started with the provider as its issuer; both stopped afterwards."""
    node.extra_env = sso_env(provider.issuer, **env)
    try:
        node.start()
        yield provider, node
    finally:
        node.stop()
        provider.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def provider_and_node(request, tmp_path_factory):  # noqa: ANN001, ANN201
    reason = install_reason()
    if reason:
        pytest.skip(reason)
    database = None
    if request.param == "postgresql":
        if postgres_available():
            pytest.skip(postgres_available())
        database = create_database()
    node = node_at_loopback(tmp_path_factory.mktemp("sso"), database)
    provider = OidcProvider(CLIENT_ID, CLIENT_SECRET, [node.base + "/auth/sso/callback",
                                                       node.base + "/oauth/authorize/sso"], PEOPLE).start()
    try:
        with serving(node, provider) as both:
            yield both
    finally:
        if database:
            drop_database(database)


def lookup_status(node: Node, acct: str) -> int:
    return httpx2.get(node.base + "/api/v1/accounts/lookup", params={"acct": acct}, timeout=30).status_code
