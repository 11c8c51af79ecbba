"""Federation with an independent implementation: a Fedify (TypeScript) peer on loopback.

Needs the interop tools (`../shared/interop/setup.sh`, installed in $INTEROP_HOME or
~/.cache/backchannel-interop); skipped, saying so, where they are not installed.
"""
import pytest

from tests.rig.fedify import NOT_INSTALLED, control, installed, running_peer
from tests.rig.nodes import eventually

pytestmark = pytest.mark.skipif(not installed(), reason=NOT_INSTALLED)


@pytest.fixture
def fedify(tmp_path):
    with running_peer(tmp_path) as port:
        yield port


def test_follow_each_other_and_exchange_posts_with_fedify(node, fedify):
    alice = node.mastodon(node.token("alice"))

    # alice follows the Fedify actor; it accepts (embedding the whole Follow in its Accept).
    found = alice.search(f"peer@127.0.0.1:{fedify}", resolve=True, result_type="accounts").accounts
    assert [a.acct for a in found] == [f"peer@127.0.0.1:{fedify}"]
    alice.account_follow(found[0].id)
    eventually(lambda: alice.account_relationships(found[0].id)[0].following, message="the Accept")

    # The peer posts to its followers; the post reaches alice's home timeline.
    control(fedify, "note", {"content": "<p>hello from Fedify</p>"})
    post = eventually(lambda: next((s for s in alice.timeline_home() if "hello from Fedify" in s.content), None),
                      message="the Fedify post at alice's")
    assert post.account.acct == f"peer@127.0.0.1:{fedify}"

    # The peer follows alice (a signed fetch of her actor, a Follow she accepts) and gets her post.
    control(fedify, "follow", {"target": f"{node.base}/users/alice"})
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="the peer follows")
    mine = alice.status_post("hello Fedify, from Backchannel")

    def delivered():
        return [a for a in control(fedify, "inbox")
                if a.get("type") == "Create" and isinstance(a.get("object"), dict)
                and a["object"].get("id") == mine.uri]
    eventually(delivered, message="alice's post in the Fedify inbox")

    # And the Accept of its Follow went back to it.
    assert any(a.get("type") == "Accept" for a in control(fedify, "inbox"))
