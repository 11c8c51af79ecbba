"""Suspending a domain: follows end both ways, what it posted and did is forgotten, and nothing
from it is accepted afterwards. The peer is a FakeRemote that signs its own requests."""
from __future__ import annotations

import time

import pytest
from mastodon import MastodonNotFoundError

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"


@pytest.fixture
def env(tmp_path):
    remote = FakeRemote("hostile.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path / "acme",
                resolve={"hostile.test": remote.port}).start()
    yield node, remote
    node.stop()
    remote.stop()


def send(node, actor, activity):
    return post_signed(node.base, NODE, "/inbox", activity, actor)


def test_suspending_a_domain_severs_and_purges(env):
    node, remote = env
    node.create_user("alice")
    alice = node.mastodon(node.token("alice"))
    spammer = remote.add_actor("spammer")

    # Given spammer follows alice, alice follows spammer, spammer posted and liked alice's post.
    assert send(node, spammer, follow(spammer, f"http://{NODE}/users/alice"))[0] == 202
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="spammer follows")
    found = alice.search("spammer@hostile.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(found.id)
    sent = eventually(lambda: next((r.body for r in remote.received if r.body.get("type") == "Follow"), None),
                      message="alice's Follow delivered")
    accept = {"@context": AS_CONTEXT, "id": spammer.uri + "/accepts/1", "type": "Accept", "actor": spammer.uri,
              "object": sent["id"]}
    assert send(node, spammer, accept)[0] == 202
    eventually(lambda: alice.account_relationships(found.id)[0].following, message="alice follows spammer")
    spam = note(spammer, "buy now")
    assert send(node, spammer, create(spammer, spam))[0] == 202
    cached = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == spam["id"]), None),
                        message="spam in alice's home")
    mine = alice.status_post("my own words")
    like = {"@context": AS_CONTEXT, "id": spammer.uri + "/likes/1", "type": "Like", "actor": spammer.uri,
            "object": mine.uri}
    assert send(node, spammer, like)[0] == 202
    eventually(lambda: alice.status(mine.id).favourites_count == 1, message="the like counts")
    assert {n.type for n in alice.notifications()} >= {"follow", "favourite"}

    # When the admin suspends the domain,
    out = node.cli("domain", "block", "hostile.test", "--severity", "suspend", "--private-comment", "spam farm")
    assert "blocked hostile.test (suspend)" in out

    # then the follows are gone both ways, with the counters,
    rel = alice.account_relationships(found.id)[0]
    assert not rel.following and not rel.followed_by
    me = alice.account_verify_credentials()
    assert me.followers_count == 0 and me.following_count == 0
    # what it posted and did here is forgotten,
    assert not [s for s in alice.timeline_home() if s.uri == spam["id"]]
    with pytest.raises(MastodonNotFoundError):
        alice.status(cached.id)
    assert alice.status(mine.id).favourites_count == 0
    assert not [n for n in alice.notifications() if n.account.acct == "spammer@hostile.test"]
    # and nothing from it is accepted any more, not even from a new account there.
    time.sleep(1.2)
    status, _ = send(node, spammer, create(spammer, note(spammer, "let me back in")))
    assert status == 403
    newcomer = remote.add_actor("newcomer")
    assert send(node, newcomer, follow(newcomer, f"http://{NODE}/users/alice"))[0] == 403
    assert alice.account_verify_credentials().followers_count == 0

    # The CLI shows it, and lifts it.
    assert "hostile.test  suspend" in node.cli("domain", "list")
    assert "unblocked hostile.test" in node.cli("domain", "unblock", "hostile.test")
    assert "blocked domains (0)" in node.cli("domain", "list")
