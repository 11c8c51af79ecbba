"""WebFinger, host-meta and NodeInfo on a running node."""
import pytest

from tests.rig.fake_remote import raw_request
from tests.rig.http import get_json
from tests.rig.nodes import Node, free_port


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    node.create_user("alice")
    yield node
    node.stop()


def test_webfinger_finds_an_account_by_acct_and_by_actor_url(node):
    for resource in ("acct:alice@acme.test", "alice@acme.test", "http://acme.test/users/alice"):
        status, doc = get_json(f"{node.base}/.well-known/webfinger?resource={resource}")
        assert status == 200, resource
        assert doc["subject"] == "acct:alice@acme.test"
        assert {"rel": "self", "type": "application/activity+json",
                "href": "http://acme.test/users/alice"} in doc["links"]


@pytest.mark.parametrize("resource, status", [("acct:nobody@acme.test", 404),
                                              ("acct:alice@globex.test", 404), ("", 400)])
def test_webfinger_refuses_what_is_not_here(node, resource, status):
    assert get_json(f"{node.base}/.well-known/webfinger?resource={resource}")[0] == status


def test_host_meta_points_to_webfinger(node):
    status, text = raw_request(node.base + "/.well-known/host-meta", "GET", {})
    assert status == 200
    assert 'template="http://acme.test/.well-known/webfinger?resource={uri}"' in text


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo(node, version):
    status, index = get_json(node.base + "/.well-known/nodeinfo")
    assert status == 200
    href = next(link["href"] for link in index["links"] if link["rel"].endswith(version))
    assert href == f"http://acme.test/nodeinfo/{version}"
    status, doc = get_json(f"{node.base}/nodeinfo/{version}")
    assert doc["version"] == version
    assert doc["software"]["name"] == "backchannel"
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"]["users"]["total"] == 1
    assert doc["metadata"]["upstream"]["name"] == "mastodon"
