"""Nothing leaks: every request leaving acme is recorded by peer servers, and each post reaches (and
can be fetched by) exactly who may see it."""
import json
import sqlite3

import pytest

from tests.rig.fake_remote import FakeRemote, follow, post_signed, raw_request
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port
from tests.rig.signing import sign_cavage

AP = "application/activity+json"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    peers = {name: FakeRemote(f"{name}.test").start() for name in ("follower", "outsider", "mentioned")}
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={f"{n}.test": p.port for n, p in peers.items()}).start()
    node.create_user("alice")
    node.create_user("bob")
    alice_token = node.token("alice")
    alice = node.mastodon(alice_token)
    bob = node.mastodon(node.token("bob"))
    reader = peers["follower"].add_actor("reader")
    stranger = peers["outsider"].add_actor("stranger")
    friend = peers["mentioned"].add_actor("friend")
    post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="reader follows")
    # The stranger has been seen by acme (it fetched alice once), but does not follow.
    stranger_at_acme = alice.search(f"stranger@outsider.test", resolve=True, result_type="accounts").accounts[0]
    friend_at_acme = alice.search("friend@mentioned.test", resolve=True, result_type="accounts").accounts[0]
    assert stranger_at_acme and friend_at_acme

    posts = {
        # local_only as GoToSocial takes it; Mastodon.py has no such parameter, so it goes raw.
        "local": alice.status(api(node.base, alice_token, "POST", "/api/v1/statuses",
                                  {"status": "LOCAL-ONLY words", "local_only": True})[1]["id"]),
        "private": alice.status_post("FOLLOWERS-ONLY words", visibility="private"),
        "direct": alice.status_post("@friend@mentioned.test DIRECT words", visibility="direct"),
        "public": alice.status_post("PUBLIC words"),
    }
    drained = lambda: _queues_empty(node)  # noqa: E731
    eventually(drained, message="every delivery done")
    yield node, peers, posts, {"reader": reader, "stranger": stranger, "friend": friend}, bob
    node.stop()
    for peer in peers.values():
        peer.stop()


def _queues_empty(node) -> bool:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        pending = db.execute("SELECT (SELECT count(*) FROM fanouts) + "
                             "(SELECT count(*) FROM deliveries WHERE state = 'pending')").fetchone()[0]
    return pending == 0


def _texts(peer: FakeRemote) -> str:
    return json.dumps([r.body for r in peer.received])


def test_the_local_only_post_leaves_the_node_for_nobody(world):
    node, peers, posts, _, _ = world
    for peer in peers.values():
        assert "LOCAL-ONLY" not in _texts(peer)
    assert posts["local"].local_only is True


def test_the_followers_only_post_reaches_only_the_follower(world):
    _, peers, _, _, _ = world
    assert "FOLLOWERS-ONLY" in _texts(peers["follower"])
    assert "FOLLOWERS-ONLY" not in _texts(peers["outsider"])
    assert "FOLLOWERS-ONLY" not in _texts(peers["mentioned"])


def test_the_direct_message_reaches_only_the_mentioned_account(world):
    _, peers, _, actors, _ = world
    assert "DIRECT" not in _texts(peers["follower"])
    assert "DIRECT" not in _texts(peers["outsider"])
    deliveries = [r for r in peers["mentioned"].received if "DIRECT" in json.dumps(r.body)]
    assert [r.path for r in deliveries] in (["/inbox"], [actors["friend"].inbox.removeprefix(peers["mentioned"].base)])
    note = deliveries[0].body["object"]
    assert note["to"] == [actors["friend"].uri] and note["cc"] == []


def test_the_public_post_reaches_the_follower(world):
    _, peers, _, _, _ = world
    assert "PUBLIC words" in _texts(peers["follower"])


def fetch(node, post, actor=None):
    path = post.uri.removeprefix("http://acme.test")
    headers = {"Accept": AP}
    if actor is not None:
        headers = sign_cavage("GET", "http://acme.test" + path, None, actor.key_id, actor.private_pem,
                              covered=["(request-target)", "host", "date"], extra={"Accept": AP})
    return raw_request(node.base + path, "GET", headers)[0]


@pytest.mark.parametrize("kind", ["local", "private", "direct"])
def test_outsiders_cannot_fetch_what_they_may_not_see(world, kind):
    node, _, posts, actors, _ = world
    assert fetch(node, posts[kind]) == 404
    assert fetch(node, posts[kind], actors["stranger"]) == 404


def test_those_who_may_see_a_post_can_fetch_it_signed(world):
    node, _, posts, actors, _ = world
    assert fetch(node, posts["private"], actors["reader"]) == 200
    assert fetch(node, posts["direct"], actors["friend"]) == 200
    assert fetch(node, posts["direct"], actors["reader"]) == 404
    assert fetch(node, posts["local"], actors["reader"]) == 404  # not even for a follower
    assert fetch(node, posts["public"]) == 200


def test_a_bad_signature_on_a_fetch_is_refused(world):
    node, _, posts, actors, _ = world
    path = posts["public"].uri.removeprefix("http://acme.test")
    headers = sign_cavage("GET", "http://acme.test/elsewhere", None, actors["reader"].key_id,
                          actors["reader"].private_pem, covered=["(request-target)", "host", "date"])
    assert raw_request(node.base + path, "GET", headers)[0] == 401


def test_local_accounts_see_local_only_posts_but_not_others_private_ones(world):
    _, _, posts, _, bob = world
    assert "LOCAL-ONLY" in bob.status(posts["local"].id).content
    assert any(s.id == posts["local"].id for s in bob.timeline_local())
    with pytest.raises(Exception):
        bob.status(posts["private"].id)
    with pytest.raises(Exception):
        bob.status(posts["direct"].id)


def test_local_only_posts_are_not_boosted_outside(world):
    node, peers, posts, _, bob = world
    bob.status_reblog(posts["local"].id)
    eventually(lambda: _queues_empty(node), message="queues drained")
    for peer in peers.values():
        assert "Announce" not in [r.body.get("type") for r in peer.received if posts["local"].uri in json.dumps(r.body)]


def test_a_reply_never_widens_the_audience(world):
    node, _, posts, _, _ = world
    alice = node.mastodon(node.token("alice"))
    reply = alice.status_post("replying to myself in public", in_reply_to_id=posts["private"].id,
                              visibility="public")
    assert reply.visibility == "private"
    local_reply = alice.status_post("reply to the local-only post", in_reply_to_id=posts["local"].id)
    assert local_reply.local_only is True
