"""Hostile bodies get a clear 4xx, never a 500."""
import pytest

from tests.rig.fake_remote import raw_request
from tests.rig.nodes import Node, free_port

DEEP = b"[" * 50_000 + b"]" * 50_000


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    node.create_user("alice")
    node.alice_token = node.token("alice")
    yield node
    node.stop()


@pytest.mark.parametrize("path", ["/inbox", "/users/alice/inbox"])
@pytest.mark.parametrize("body, status", [
    (DEEP, 400), (b"not json", 400), (b"[1, 2]", 400), (b'{"type": "Create"}', 400),
    (b"x" * (1024 * 1024 + 1), 413),
])
def test_inbox_refuses_bad_bodies(node, path, body, status):
    code, text = raw_request(node.base + path, "POST", {"Content-Type": "application/activity+json"}, body)
    assert code == status, text


def test_api_refuses_deep_json(node):
    code, text = raw_request(node.base + "/api/v1/statuses", "POST",
                             {"Authorization": f"Bearer {node.alice_token}", "Content-Type": "application/json"},
                             DEEP)
    assert code == 400 and "deeper" in text


def test_unknown_inbox_is_404(node):
    assert raw_request(node.base + "/users/nobody/inbox", "POST", {}, b"{}")[0] == 404
