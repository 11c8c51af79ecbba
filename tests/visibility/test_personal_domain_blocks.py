"""A person blocks a whole domain: followers from there are removed, its posts and mentions no longer
reach them, and new follows from there are rejected."""
import pytest

from tests.rig.fake_remote import FakeRemote, create, follow, note, post_signed
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port


@pytest.fixture
def setup(tmp_path):
    spam = FakeRemote("spam.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"spam.test": spam.port}).start()
    node.create_user("alice")
    token = node.token("alice")
    yield node, spam, token, node.mastodon(token)
    node.stop()
    spam.stop()


def send(node, actor, activity):
    assert post_signed(node.base, node.domain, "/inbox", activity, actor)[0] == 202


def test_a_personal_domain_block(setup):
    node, spam, token, alice = setup
    fan = spam.add_actor("fan")
    send(node, fan, follow(fan, "http://acme.test/users/alice"))
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="fan follows")

    assert api(node.base, token, "POST", "/api/v1/domain_blocks", {"domain": "SPAM.test."})[0] == 200
    assert api(node.base, token, "GET", "/api/v1/domain_blocks")[1] == ["spam.test"]
    assert alice.account_verify_credentials().followers_count == 0

    mention = note(fan, "@alice hello", tag=[{"type": "Mention", "href": "http://acme.test/users/alice"}],
                   cc=["http://acme.test/users/alice"])
    send(node, fan, create(fan, mention))
    send(node, fan, follow(fan, "http://acme.test/users/alice"))
    eventually(lambda: any(r.body.get("type") == "Reject" for r in spam.received), message="follow rejected")
    assert not [n for n in alice.notifications() if n.type == "mention"]
    assert alice.account_verify_credentials().followers_count == 0

    assert api(node.base, token, "DELETE", "/api/v1/domain_blocks", {"domain": "spam.test"})[0] == 200
    assert api(node.base, token, "GET", "/api/v1/domain_blocks")[1] == []


def test_bad_domains_are_refused_clearly(setup):
    node, _, token, _ = setup
    for bad in ("", "acme.test", "not a domain"):
        status, body = api(node.base, token, "POST", "/api/v1/domain_blocks", {"domain": bad})
        assert status == 422 and body["error"]
