"""Faults with nothing lost: Retry-After honoured, a 500-inbox fan-out killed half-way, the
database vanishing, and what is stored about tokens."""
import sqlite3

import pytest

from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port


def test_retry_after_is_honoured(tmp_path):
    peer = FakeRemote("busy.test", shared_inbox=False).start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"busy.test": peer.port}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        reader = peer.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")
        peer.inbox_status, peer.inbox_headers = 503, {"Retry-After": "2"}
        peer.received.clear()
        peer.received_at.clear()
        alice.status_post("please wait for me")
        eventually(lambda: len(peer.received_at) >= 2, message="a retry", timeout=30)
        # The retry base here is 0.3 s and the cap 2 s: without Retry-After it would come sooner.
        assert peer.received_at[1] - peer.received_at[0] >= 1.9
        peer.inbox_status, peer.inbox_headers = 202, {}
        eventually(lambda: peer.received[-1].body.get("type") == "Create" and peer.inbox_status == 202
                   and _pending(node) == 0, message="delivered once the peer recovers")
    finally:
        node.stop()
        peer.stop()


def _pending(node) -> int:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute("SELECT count(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]


def test_sigkill_during_a_500_inbox_fan_out(tmp_path):
    peers = [FakeRemote(f"org{i}.test", shared_inbox=False).start() for i in range(5)]
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={p.domain: p.port for p in peers}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        followers = [peer.add_actor(f"f{i}") for peer in peers for i in range(100)]
        for actor in followers:
            assert post_signed(node.base, node.domain, "/inbox", follow(actor, "http://acme.test/users/alice"),
                               actor)[0] == 202
        eventually(lambda: alice.account_verify_credentials().followers_count == 500, timeout=120,
                   message="500 followers")
        for peer in peers:
            peer.inbox_delay = 0.05
        alice.status_post("to five hundred inboxes")

        def creates():
            return {(p.domain, r.path) for p in peers for r in p.received if r.body.get("type") == "Create"}
        eventually(lambda: len(creates()) >= 20, message="fan-out under way")
        node.kill()
        assert len(creates()) < 500, "the kill came too late to test anything"
        for peer in peers:
            peer.inbox_delay = 0
        node.start()
        eventually(lambda: len(creates()) == 500, timeout=120, message="all 500 inboxes served after restart")
    finally:
        node.stop()
        for peer in peers:
            peer.stop()


def test_a_vanished_database_answers_503(tmp_path):
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    url = create_database()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", database=url).start()
    try:
        node.create_user("alice")
        token = node.token("alice")
        assert api(node.base, token, "GET", "/api/v1/accounts/verify_credentials")[0] == 200
        drop_database(url)  # every connection is cut and the data is gone
        status, body = api(node.base, token, "POST", "/api/v1/statuses", {"status": "into the void"})
        assert status == 503 and "database" in body["error"].lower()
    finally:
        node.stop()
        drop_database(url)


def test_tokens_are_stored_only_as_hashes(tmp_path):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme")
    node.data.mkdir(parents=True)
    node.create_user("alice")
    token = node.token("alice")
    raw = b"".join(p.read_bytes() for p in node.data.glob("backchannel.sqlite3*"))
    assert token.encode() not in raw
