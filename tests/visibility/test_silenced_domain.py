"""A silenced domain: its accounts, even ones first seen after the silence, stay out of public
timelines, and their follows need approval."""
import sqlite3

from tests.rig.fake_remote import FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


def test_silenced_domain(tmp_path):
    noisy = FakeRemote("noisy.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"noisy.test": noisy.port}).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        node.cli("domain", "block", "noisy.test", "--severity", "silence")
        newcomer = noisy.add_actor("newcomer")  # never seen before the silence
        post = note(newcomer, "loud public words")
        assert post_signed(node.base, node.domain, "/inbox", create(newcomer, post), newcomer)[0] == 202
        assert post_signed(node.base, node.domain, "/inbox", follow(newcomer, "http://acme.test/users/alice"),
                           newcomer)[0] == 202
        requests = eventually(lambda: alice.follow_requests(), message="the follow waits for approval")
        assert [a.acct for a in requests] == ["newcomer@noisy.test"]
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:  # it is stored, just not shown
            assert db.execute("SELECT count(*) FROM statuses WHERE uri = ?", (post["id"],)).fetchone()[0] == 1
        assert all(s.uri != post["id"] for s in alice.timeline_public(remote=True))
        assert alice.account_verify_credentials().followers_count == 0
    finally:
        node.stop()
        noisy.stop()
