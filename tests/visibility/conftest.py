"""Two running nodes, acme.test and globex.test, for tests of what one lets the other see."""
import pytest

from tests.rig.nodes import start_cluster


@pytest.fixture
def pair(tmp_path):
    nodes = start_cluster(["acme.test", "globex.test"], tmp_path)
    yield nodes["acme.test"], nodes["globex.test"]
    for node in nodes.values():
        node.stop()
