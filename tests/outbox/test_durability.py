"""Queued work survives a crash: deliveries interrupted by SIGKILL, and deliveries to a node that
is down, all arrive once things are running again."""
import pytest

from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.nodes import Node, eventually, free_port, start_cluster

FOLLOWERS = 50


def creates_received(remote: FakeRemote) -> set[str]:
    return {r.path for r in remote.received if r.body.get("type") == "Create"}


def test_sigkill_during_fan_out_loses_no_delivery(tmp_path):
    # Given alice with 50 followers on a slow server, each with an inbox of its own
    remote = FakeRemote("slow.test", shared_inbox=False).start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"slow.test": remote.port},
                extra_env={"BACKCHANNEL_DELIVERY_CONCURRENCY": "4"}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        followers = [remote.add_actor(f"f{i}") for i in range(FOLLOWERS)]
        for actor in followers:
            status, _ = post_signed(node.base, node.domain, "/inbox", follow(actor, f"http://{node.domain}/users/alice"), actor)
            assert status == 202
        eventually(lambda: alice.account_verify_credentials().followers_count == FOLLOWERS,
                   message="50 followers", timeout=60)

        # When alice posts and the node is killed while delivering
        remote.inbox_delay = 0.3
        alice.status_post("an update for everyone")
        eventually(lambda: len(creates_received(remote)) >= 3, message="fan-out under way")
        node.kill()
        delivered_before = len(creates_received(remote))
        assert delivered_before < FOLLOWERS, "the kill came too late to test anything"

        # Then after a restart every follower's inbox gets the post
        remote.inbox_delay = 0
        node.start()
        eventually(lambda: creates_received(remote) == {a.inbox.removeprefix(remote.base) for a in followers},
                   timeout=60, message="every inbox got the Create")
    finally:
        node.stop()
        remote.stop()


@pytest.fixture
def pair(tmp_path, database_factory):
    nodes = start_cluster(["acme.test", "globex.test"], tmp_path,
                          databases={d: database_factory() for d in ("acme.test", "globex.test")})
    yield nodes["acme.test"], nodes["globex.test"]
    for node in nodes.values():
        node.stop()


def test_post_to_a_node_that_is_down_arrives_when_it_is_back(pair):
    acme, globex = pair
    acme.create_user("alice")
    globex.create_user("guru")
    alice = acme.mastodon(acme.token("alice"))
    guru = globex.mastodon(globex.token("guru"))
    alice_token = acme.token("alice")
    target = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(target.id)
    eventually(lambda: alice.account_relationships(target.id)[0].following, message="alice follows guru")

    # Given acme is down
    acme.stop()
    # When guru posts
    post = guru.status_post("posted while acme was down")
    # Then once acme is back, the post arrives
    acme.start()
    alice = acme.mastodon(alice_token)
    eventually(lambda: any(s.uri == post.uri for s in alice.timeline_home()), timeout=60,
               message="the post reached acme after its restart")
