"""Server-side request forgery against a node in its production mode (no --insecure-http): a hostile
peer over real https points the node at loopback in every way it can, and a canary listening on
loopback must never see a single connection."""
import socket
import sqlite3
import threading

import pytest

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, follow, post_signed, raw_request
from tests.rig.nodes import Node, eventually, free_port
from tests.rig.signing import sign_cavage
from tests.rig.tls import make_ca_and_cert


class Canary:
    """Counts every TCP connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    ca, context = make_ca_and_cert(folder, ["evil.test"])
    evil = FakeRemote("evil.test", ssl_context=context).start()
    canary = Canary()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme"), insecure=False,
                resolve={"evil.test": evil.port}, extra_env={"SSL_CERT_FILE": str(ca)}).start()
    node.create_user("alice")
    alice = node.mastodon(node.token("alice"))
    # The https path works at all (so what follows is refused for the right reason).
    evil.add_actor("mallory")
    assert [a.acct for a in alice.search("mallory@evil.test", resolve=True, result_type="accounts").accounts] \
        == ["mallory@evil.test"]
    yield node, evil, canary, alice
    node.stop()
    evil.stop()
    canary.close()


def handled(node, activity_id):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        row = db.execute("SELECT state FROM inbox_items WHERE activity_uri = ?", (activity_id,)).fetchone()
    return row and row[0] != "pending"


def test_an_inbox_on_loopback_gets_no_delivery(attack):
    node, evil, canary, alice = attack
    spy = evil.add_actor("spy")
    spy.extra.update({"inbox": f"https://127.0.0.1:{canary.port}/inbox", "endpoints": {}})
    activity = follow(spy, "https://acme.test/users/alice")
    assert post_signed(node.base, node.domain, "/inbox", activity, spy)[0] == 202
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="the follow")

    def delivery_state():
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            row = db.execute("SELECT state, last_error FROM deliveries WHERE inbox_url LIKE '%127.0.0.1%'").fetchone()
        return row if row and row[0] == "failed" else None
    state, error = eventually(delivery_state, message="the Accept to loopback is refused")
    assert "non-public" in error
    assert canary.connections == 0


@pytest.mark.parametrize("target", ["https://127.0.0.1:{port}/note", "https://localhost:{port}/note",
                                    "https://[::1]:{port}/note", "https://evil.test/redirect",
                                    "http://evil.test/plain"])
def test_objects_pointing_at_loopback_are_never_fetched(attack, target):
    node, evil, canary, _ = attack
    evil.raw["/redirect"] = (302, {"Location": f"https://localhost:{canary.port}/secret"}, b"")
    booster = evil.add_actor("booster")
    url = target.format(port=canary.port)
    activity = {"@context": AS_CONTEXT, "id": f"{booster.uri}/announce/{abs(hash(url))}", "type": "Announce",
                "actor": booster.uri, "object": url, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert post_signed(node.base, node.domain, "/inbox", activity, booster)[0] == 202
    eventually(lambda: handled(node, activity["id"]), message="the Announce handled")
    assert canary.connections == 0


def test_a_key_on_loopback_is_never_fetched(attack):
    node, _, canary, _ = attack
    body = b'{"type": "Create", "actor": "https://evil.test/users/mallory", "id": "https://evil.test/x"}'
    from federation.httpsig import generate_key_pair

    private_pem, _ = generate_key_pair()
    headers = sign_cavage("POST", "https://acme.test/inbox", body, f"https://127.0.0.1:{canary.port}/key#k",
                          private_pem, covered=["(request-target)", "host", "date", "digest"])
    assert raw_request(node.base + "/inbox", "POST", headers, body)[0] == 401
    assert canary.connections == 0


@pytest.mark.parametrize("acct", ["x@127.0.0.1:{port}", "x@localhost:{port}", "x@[::1]:{port}"])
def test_webfinger_to_loopback_is_refused(attack, acct):
    _, _, canary, alice = attack
    assert alice.search(acct.format(port=canary.port), resolve=True, result_type="accounts").accounts == []
    assert canary.connections == 0
