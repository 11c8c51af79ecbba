"""Secure mode (authorized_fetch): posts and collections are served only to signed fetches; actor
documents stay public so keys can be discovered."""
from tests.rig.fake_remote import FakeRemote, raw_request
from tests.rig.nodes import Node, free_port
from tests.rig.signing import sign_cavage

AP = "application/activity+json"


def test_secure_mode_requires_signed_fetches(tmp_path):
    peer = FakeRemote("peer.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"peer.test": peer.port},
                extra_env={"BACKCHANNEL_AUTHORIZED_FETCH": "true"}).start()
    try:
        node.create_user("alice")
        post = node.mastodon(node.token("alice")).status_post("public, but only for signed fetches")
        fetcher = peer.add_actor("fetcher")
        path = post.uri.removeprefix("http://acme.test")

        def signed(p):
            return sign_cavage("GET", "http://acme.test" + p, None, fetcher.key_id, fetcher.private_pem,
                               covered=["(request-target)", "host", "date"], extra={"Accept": AP})

        for unsigned_path in (path, "/users/alice/outbox", "/users/alice/followers"):
            assert raw_request(node.base + unsigned_path, "GET", {"Accept": AP})[0] == 401, unsigned_path
            assert raw_request(node.base + unsigned_path, "GET", signed(unsigned_path))[0] == 200, unsigned_path
        assert raw_request(node.base + "/users/alice", "GET", {"Accept": AP})[0] == 200
    finally:
        node.stop()
        peer.stop()
