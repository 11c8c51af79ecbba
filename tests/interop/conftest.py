"""A node for an independent peer to federate with."""
import pytest

from tests.rig.nodes import Node, free_port


@pytest.fixture
def node(tmp_path):
    port = free_port()
    # A peer cannot be told where acme.test is, so this node is known by its loopback address.
    node = Node(domain=f"127.0.0.1:{port}", port=port, data=tmp_path / "node").start()
    node.create_user("alice")
    yield node
    node.stop()
