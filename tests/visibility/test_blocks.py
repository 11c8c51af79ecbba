"""Personal blocks across nodes: the blocked account sees nothing, cannot follow, and its replies
and mentions do not reach the blocker."""
import sqlite3

import pytest
from mastodon import MastodonAPIError

from tests.rig.nodes import eventually


def test_a_blocked_remote_account_sees_nothing_and_cannot_follow(pair):
    acme, globex = pair
    acme.create_user("alice")
    globex.create_user("troll")
    alice = acme.mastodon(acme.token("alice"))
    troll = globex.mastodon(globex.token("troll"))

    # Given the troll follows alice and has seen her posts
    alice_at_globex = troll.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
    troll.account_follow(alice_at_globex.id)
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="troll follows")
    first = alice.status_post("before the block")
    eventually(lambda: next((s for s in troll.timeline_home() if s.uri == first.uri), None),
               message="troll sees the first post")

    # When alice blocks the troll
    troll_at_acme = alice.search("troll@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_block(troll_at_acme.id)
    eventually(lambda: troll.account_relationships(alice_at_globex.id)[0].blocked_by, message="the Block arrives")

    # Then the follow is gone on both sides and later posts do not reach the troll
    assert alice.account_verify_credentials().followers_count == 0
    eventually(lambda: not troll.account_relationships(alice_at_globex.id)[0].following, message="unfollowed at globex")
    later = alice.status_post("after the block")
    # The troll cannot follow again, nor reach alice with a mention.
    # globex knows of the block, so its API refuses the follow at once.
    with pytest.raises(MastodonAPIError, match="cannot follow"):
        troll.account_follow(alice_at_globex.id)
    mention = troll.status_post("@alice@acme.test hello?")
    eventually(lambda: applied_at(acme, mention.uri + "/activity"), message="acme applied the mention")
    assert alice.account_verify_credentials().followers_count == 0
    assert [n.type for n in alice.notifications() if n.account.acct == "troll@globex.test"] == ["follow"]
    assert all(s.uri != later.uri for s in troll.timeline_home())


def applied_at(node, activity_uri: str) -> bool:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        row = db.execute("SELECT state FROM inbox_items WHERE activity_uri = ?", (activity_uri,)).fetchone()
    return bool(row) and row[0] == "done"


def test_a_follow_from_a_blocked_server_account_is_rejected(tmp_path):
    from tests.rig.fake_remote import FakeRemote, follow, post_signed
    from tests.rig.nodes import Node, free_port

    remote = FakeRemote("troll.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"troll.test": remote.port}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        troll = remote.add_actor("troll")
        found = alice.search("troll@troll.test", resolve=True, result_type="accounts").accounts[0]
        alice.account_block(found.id)
        eventually(lambda: any(r.body.get("type") == "Block" for r in remote.received), message="Block sent")
        status, _ = post_signed(node.base, node.domain, "/inbox", follow(troll, "http://acme.test/users/alice"), troll)
        assert status == 202
        reject = eventually(lambda: next((r for r in remote.received if r.body.get("type") == "Reject"), None),
                            message="the Follow is rejected")
        assert reject.body["object"]["actor"] == troll.uri
        assert alice.account_verify_credentials().followers_count == 0
    finally:
        node.stop()
        remote.stop()
