"""Deliveries to a failing peer: retried with backoff until it recovers; dropped on 410."""
import sqlite3
import time

import pytest

from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.nodes import Node, eventually, free_port


@pytest.fixture
def setup(tmp_path):
    remote = FakeRemote("peer.test", shared_inbox=False).start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"peer.test": remote.port}).start()
    node.create_user("alice")
    alice = node.mastodon(node.token("alice"))
    follower = remote.add_actor("reader")
    post_signed(node.base, node.domain, "/inbox", follow(follower, "http://acme.test/users/alice"), follower)
    eventually(lambda: any(r.body.get("type") == "Accept" for r in remote.received), message="Accept")
    yield node, remote, alice
    node.stop()
    remote.stop()


def creates(remote):
    return [r for r in remote.received if r.body.get("type") == "Create"]


def delivery_rows(node):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute("SELECT state, attempts, last_error FROM deliveries").fetchall()


def delivery_counts(node):
    """The admin dashboard's counts: {(domain, outcome): attempts}."""
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return {(d, o): n for d, o, n in db.execute("SELECT domain, outcome, count FROM delivery_days")}


def test_a_peer_that_fails_then_recovers_gets_the_delivery(setup):
    node, remote, alice = setup
    remote.inbox_status = 503
    alice.status_post("while the peer is failing")
    # Three failures, as the dashboard counts them (a row's `attempts` also counts one under way,
    # which may meet the recovered peer)
    eventually(lambda: delivery_counts(node).get(("peer.test", "retry"), 0) >= 3, message="three failed attempts")
    assert any(r[1] >= 3 for r in delivery_rows(node))
    assert creates(remote)  # recorded while answering 503
    remote.received.clear()
    remote.inbox_status = 202
    eventually(lambda: delivery_rows(node) == [], message="the delivery completes and leaves the queue")
    assert len(creates(remote)) == 1
    # And the dashboard counts the failed attempts and the delivery (the Accept and the Create) by domain
    counts = delivery_counts(node)
    assert counts[("peer.test", "retry")] >= 3 and counts[("peer.test", "delivered")] == 2


def test_gone_ends_retries(setup):
    node, remote, alice = setup
    remote.inbox_status = 410
    alice.status_post("to a reader who left")
    rows = eventually(lambda: [r for r in delivery_rows(node) if r[0] == "failed"], message="dropped")
    assert rows[0][1] == 1 and "410" in rows[0][2]
    time.sleep(1.5)
    assert len(creates(remote)) == 1  # never tried again
