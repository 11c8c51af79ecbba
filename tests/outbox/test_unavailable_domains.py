"""A peer that keeps failing: its circuit breaker stops the knocking (and stays open across a
restart: it is stored), it is marked unavailable after long enough, and it is restored as soon as it
speaks to the node again."""
import sqlite3
import time

from tests.rig.fake_remote import FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


def pending_for(node, host):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute("SELECT count(*) FROM deliveries WHERE state = 'pending' AND inbox_url LIKE ?",
                          (f"%{host}%",)).fetchone()[0]


def open_until(node, host):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        row = db.execute("SELECT open_until FROM instances WHERE domain = ?", (host,)).fetchone()
    return row[0] if row else None


def unavailable(node, host):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        row = db.execute("SELECT unavailable_since FROM instances WHERE domain = ?", (host,)).fetchone()
    return bool(row and row[0])


def test_breaker_then_unavailable_then_restored(tmp_path):
    peer = FakeRemote("flaky.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"flaky.test": peer.port},
                extra_env={"BACKCHANNEL_BREAKER_THRESHOLD": "3", "BACKCHANNEL_BREAKER_OPEN_SECONDS": "12",
                           "BACKCHANNEL_DOMAIN_UNAVAILABLE_AFTER": "4"}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        reader = peer.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")

        # The peer starts failing: after 3 failures in a row the breaker stops the knocking.
        peer.inbox_status = 503
        peer.received.clear()
        peer.received_at.clear()
        alice.status_post("one")
        eventually(lambda: len(peer.received) >= 3, message="three failed attempts")
        time.sleep(2)
        assert len(peer.received) == 3, "the open breaker lets no request through"
        assert pending_for(node, "flaky.test") == 1  # waiting, not dropped

        # The node is killed and restarted: the breaker is stored, so the knocking does not resume.
        closes_at = open_until(node, "flaky.test")
        node.kill()
        node.start()
        time.sleep(1)
        # However long the restart took on a loaded machine, nothing knocked before the breaker closed.
        assert all(at >= closes_at - 0.5 for at in peer.received_at[3:]), (closes_at, peer.received_at)

        # Its next try fails after more than domain_unavailable_after: unavailable, nothing new is queued.
        eventually(lambda: unavailable(node, "flaky.test"), timeout=40, message="marked unavailable")
        eventually(lambda: pending_for(node, "flaky.test") == 0, message="its delivery given up")
        assert "flaky.test  failing since" in node.cli("domain", "peers")
        assert "  unavailable since 2" in node.cli("domain", "peers")
        alice = node.mastodon(node.token("alice"))
        alice.status_post("two")
        time.sleep(1)
        assert pending_for(node, "flaky.test") == 0

        # It speaks again: restored, and the next post reaches it.
        peer.inbox_status = 202
        assert post_signed(node.base, node.domain, "/inbox", create(reader, note(reader, "back")), reader)[0] == 202
        assert not unavailable(node, "flaky.test")
        alice.status_post("three")
        eventually(lambda: any(r.body.get("type") == "Create" and "three" in r.body["object"]["content"]
                               for r in peer.received), message="the post after its return arrives")
    finally:
        node.stop()
        peer.stop()
