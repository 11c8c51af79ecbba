"""A node for clients that must reach every URL it announces (ws:// streams, links in pages)."""
import pytest

from tests.rig.nodes import Node, free_port


@pytest.fixture(scope="module")
def on_loopback(tmp_path_factory):  # noqa: ANN001, ANN201
    """A node whose domain is its loopback address, with alice and bob (one per test module)."""
    port = free_port()
    node = Node(domain=f"127.0.0.1:{port}", port=port, data=tmp_path_factory.mktemp("loopback")).start()
    node.create_user("alice")
    node.create_user("bob")
    yield node
    node.stop()
