"""HTTP signature checks on a running node, case by case as in Mastodon's
spec/requests/signature_verification_spec.rb: valid requests pass; every broken one gets 401."""
import json
import time

import pytest

from tests.rig.fake_remote import FakeRemote, create, note, post_signed, raw_request
from tests.rig.nodes import Node, free_port
from tests.rig.signing import sign_cavage

NODE = "acme.test"
COVERED_POST = ["(request-target)", "host", "date", "digest"]


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    remote = FakeRemote("remote.test").start()
    other = FakeRemote("other.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"remote.test": remote.port, "other.test": other.port}).start()
    node.create_user("alice")
    yield node, remote, other
    node.stop()
    remote.stop()
    other.stop()


def activity_for(actor) -> tuple[dict, bytes]:
    activity = create(actor, note(actor, "hello"))
    return activity, json.dumps(activity).encode()


def post(node, headers, body, path="/inbox"):
    return raw_request(node.base + path, "POST", headers, body)


def test_valid_cavage_post_is_accepted(peers):
    node, remote, _ = peers
    actor = remote.add_actor("valid")
    status, _ = post_signed(node.base, NODE, "/inbox", create(actor, note(actor, "hi")), actor)
    assert status == 202


def test_valid_rfc9421_post_is_accepted(peers):
    node, remote, _ = peers
    actor = remote.add_actor("modern")
    status, _ = post_signed(node.base, NODE, "/users/alice/inbox", create(actor, note(actor, "hi")), actor,
                            scheme="rfc9421")
    assert status == 202


def test_signed_get_of_an_actor_is_served(peers):
    node, remote, _ = peers
    actor = remote.add_actor("getter")
    url = f"http://{NODE}/users/alice"
    headers = sign_cavage("GET", url, None, actor.key_id, actor.private_pem,
                          covered=["(request-target)", "host", "date"],
                          extra={"Accept": "application/activity+json"})
    status, body = raw_request(node.base + "/users/alice", "GET", headers)
    assert status == 200 and json.loads(body)["id"] == url


def test_unsigned_post_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("unsigned")
    _, body = activity_for(actor)
    status, text = post(node, {"Content-Type": "application/activity+json"}, body)
    assert status == 401 and "not signed" in text


def test_tampered_body_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("tamper")
    status, text = post_signed(node.base, NODE, "/inbox", create(actor, note(actor, "hi")), actor,
                               tamper=lambda h, b: (h, b.replace(b"hi", b"HI")))
    assert status == 401 and "digest" in text.lower()


def test_digest_not_covered_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("nodigest")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, actor.key_id, actor.private_pem,
                          covered=["(request-target)", "host", "date"])
    assert post(node, headers, body)[0] == 401


def test_wrong_digest_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("wrongdigest")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, actor.key_id, actor.private_pem,
                          covered=COVERED_POST, extra={"Digest": "SHA-256=" + "A" * 43 + "="})
    assert post(node, headers, body)[0] == 401


@pytest.mark.parametrize("signed_path, method", [("/users/alice/inbox", "POST"), ("/inbox", "PUT")])
def test_wrong_path_or_method_is_refused(peers, signed_path, method):
    node, remote, _ = peers
    actor = remote.add_actor(f"wrong{method.lower()}")
    _, body = activity_for(actor)
    headers = sign_cavage(method, f"http://{NODE}{signed_path}", body, actor.key_id, actor.private_pem,
                          covered=COVERED_POST)
    assert post(node, headers, body, path="/inbox")[0] == 401


def test_wrong_host_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("wronghost")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", "http://elsewhere.test/inbox", body, actor.key_id, actor.private_pem,
                          covered=COVERED_POST)
    assert post(node, headers, body)[0] == 401


@pytest.mark.parametrize("offset", [-13 * 3600, 13 * 3600])
def test_stale_or_future_date_is_refused(peers, offset):
    node, remote, _ = peers
    actor = remote.add_actor(f"date{abs(offset)}{'p' if offset > 0 else 'm'}")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, actor.key_id, actor.private_pem,
                          covered=COVERED_POST, date=time.time() + offset)
    assert post(node, headers, body)[0] == 401


def test_date_an_hour_off_is_accepted(peers):
    node, remote, _ = peers
    actor = remote.add_actor("hourly")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, actor.key_id, actor.private_pem,
                          covered=COVERED_POST, date=time.time() - 3600)
    assert post(node, headers, body)[0] == 202


def test_unknown_key_is_refused(peers):
    node, remote, _ = peers
    actor = remote.add_actor("ghost")
    _, body = activity_for(actor)
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, remote.base + "/users/nobody#main-key",
                          actor.private_pem, covered=COVERED_POST)
    status, text = post(node, headers, body)
    assert status == 401 and "unknown key" in text


def test_key_of_someone_else_than_the_actor_is_refused(peers):
    node, remote, other = peers
    signer = other.add_actor("mallory")  # a real key, on another server
    victim = remote.add_actor("victim")
    activity = create(victim, note(victim, "words put in the victim's mouth"))
    body = json.dumps(activity).encode()
    headers = sign_cavage("POST", f"http://{NODE}/inbox", body, signer.key_id, signer.private_pem,
                          covered=COVERED_POST)
    status, text = post(node, headers, body)
    assert status == 401 and "actor" in text
