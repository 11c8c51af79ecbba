"""Web Push: the subscription API, and a notification pushed end to end to a fake push service,
decrypted here as a browser would (RFC 8291) and its VAPID signature checked (RFC 8292)."""
from __future__ import annotations

import dataclasses
import json
import os
import struct
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import pytest

from federation import webpush
from federation.webpush import b64url, b64url_decode, public_bytes
from tests.api.conftest import eventually
from tests.rig.fake_remote import FakeRemote


class Browser:
    """The receiving side of RFC 8291: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def keys(self) -> dict:
        return {"p256dh": b64url(public_bytes(self.key.public_key())), "auth": b64url(self.auth)}

    def decrypt(self, message: bytes) -> bytes:
        salt, rs, idlen = message[:16], struct.unpack("!I", message[16:20])[0], message[20]
        as_public = message[21:21 + idlen]
        record = message[21 + idlen:]
        assert idlen == 65 and rs >= 18 and len(record) <= rs
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
        shared = self.key.exchange(ec.ECDH(), sender)
        cek, nonce = webpush.derive(shared, self.auth, public_bytes(self.key.public_key()), as_public, salt)
        padded = AESGCM(cek).decrypt(nonce, record, None)
        unpadded = padded.rstrip(b"\x00")
        assert unpadded.endswith(b"\x02"), "the last record ends with delimiter 2"
        return unpadded[:-1]


def verify_jwt(token: str, public_key_b64: str) -> dict:
    """Check an ES256 JWT against a base64url uncompressed point; return its claims."""
    header, claims, signature = token.split(".")
    assert json.loads(b64url_decode(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = b64url_decode(signature)
    assert len(raw) == 64
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key_b64))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(claims))


def subscribe_body(endpoint: str, browser: Browser, **alerts: bool) -> dict:
    return {"subscription": {"endpoint": endpoint, "keys": browser.keys},
            "data": {"alerts": alerts or {"mention": True}, "policy": "all"}}


# --- Crypto without I/O ---------------------------------------------------------------------------

def test_encrypt_round_trip_and_a_tampered_signature_fails():
    browser = Browser()
    message = webpush.encrypt(b'{"hello": "world"}', browser.keys["p256dh"], browser.keys["auth"])
    assert browser.decrypt(message) == b'{"hello": "world"}'

    key = webpush.VapidKey(ec.generate_private_key(ec.SECP256R1()))
    token = key.jwt("https://push.example", "mailto:admin@example.com")
    assert verify_jwt(token, key.public_key)["aud"] == "https://push.example"
    other = webpush.VapidKey(ec.generate_private_key(ec.SECP256R1()))
    try:
        verify_jwt(token, other.public_key)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("a JWT verified with the wrong key")


def test_rfc8291_appendix_a_vector():
    """The RFC's own example: same keys and salt, same bytes; and the browser side reads it back."""
    def private(d: str) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(b64url_decode(d), "big"), ec.SECP256R1())

    message = webpush.encrypt(
        b"When I grow up, I want to be a watermelon",
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        "BTBZMqHH6r4Tts7J_aSIgg", salt=b64url_decode("DGv6ra1nlYgDCS1FRnbzlw"),
        sender_key=private("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
    assert b64url(message) == (
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8w"
        "EqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
    browser = Browser()
    browser.key, browser.auth = private("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"), b64url_decode("BTBZMqHH6r4Tts7J_aSIgg")
    assert browser.decrypt(message) == b"When I grow up, I want to be a watermelon"


# --- Subscription API -----------------------------------------------------------------------------

async def test_subscription_crud(node):
    alice = await node.person("alice")
    browser = Browser()

    # Given no subscription, GET answers as Mastodon does.
    missing = await alice.get("/api/v1/push/subscription")
    assert missing.status == 404
    assert await missing.json() == {"error": "Record not found"}

    # When alice subscribes with form fields, the subscription carries the node's key.
    created = await alice.post("/api/v1/push/subscription", data={
        "subscription[endpoint]": "https://push.example/send/abc",
        "subscription[keys][p256dh]": browser.keys["p256dh"],
        "subscription[keys][auth]": browser.keys["auth"],
        "data[alerts][mention]": "true", "data[alerts][follow]": "1", "data[policy]": "followed"})
    assert created.status == 200, await created.text()
    sub = await created.json()
    instance = await (await node.client.get("/api/v2/instance")).json()
    server_key = instance["configuration"]["vapid"]["public_key"]
    assert sub["server_key"] == server_key and len(b64url_decode(server_key)) == 65
    assert sub["endpoint"] == "https://push.example/send/abc"
    assert sub["policy"] == "followed"
    assert sub["alerts"]["mention"] is True and sub["alerts"]["follow"] is True
    assert sub["alerts"]["favourite"] is False and "admin.sign_up" in sub["alerts"]

    # Then GET shows it, PUT changes alerts and policy only.
    assert (await (await alice.get("/api/v1/push/subscription")).json())["id"] == sub["id"]
    changed = await alice.put("/api/v1/push/subscription",
                              json={"data": {"alerts": {"favourite": True, "mention": False}, "policy": "all"}})
    body = await changed.json()
    assert changed.status == 200
    assert body["alerts"]["favourite"] is True and body["alerts"]["mention"] is False
    assert body["alerts"]["follow"] is True and body["policy"] == "all"

    # A second POST with the same token replaces the subscription.
    again = await alice.post("/api/v1/push/subscription",
                             json=subscribe_body("https://push.example/send/def", browser))
    assert (await again.json())["id"] != sub["id"]

    # Another token of the same person has a subscription of its own.
    other_token = await node.token(alice, "push")
    other = await node.client.get("/api/v1/push/subscription",
                                  headers={"Authorization": f"Bearer {other_token}"})
    assert other.status == 404

    # DELETE removes it.
    assert (await alice.delete("/api/v1/push/subscription")).status == 200
    assert (await alice.get("/api/v1/push/subscription")).status == 404


async def test_subscription_needs_push_scope_and_valid_keys(node):
    alice = await node.person("alice")
    browser = Browser()
    read_only = await node.token(alice, "read write")
    refused = await node.client.post("/api/v1/push/subscription", headers={"Authorization": f"Bearer {read_only}"},
                                     json=subscribe_body("https://push.example/x", browser))
    assert refused.status == 403
    anonymous = await node.client.get("/api/v1/push/subscription")
    assert anonymous.status == 401

    bad_keys = subscribe_body("https://push.example/x", browser)
    bad_keys["subscription"]["keys"]["p256dh"] = b64url(b"\x04" + b"\x01" * 64)  # not on the curve
    assert (await alice.post("/api/v1/push/subscription", json=bad_keys)).status == 422
    no_endpoint = subscribe_body("", browser)
    assert (await alice.post("/api/v1/push/subscription", json=no_endpoint)).status == 422
    bad_policy = subscribe_body("https://push.example/x", browser)
    bad_policy["data"]["policy"] = "everyone"
    assert (await alice.post("/api/v1/push/subscription", json=bad_policy)).status == 422


async def test_plain_http_endpoints_are_refused_without_insecure_http(node):
    alice = await node.person("alice")
    original = node.rt.config
    node.rt.config = dataclasses.replace(original, insecure_http=False)
    try:
        refused = await alice.post("/api/v1/push/subscription",
                                   json=subscribe_body("http://push.example/x", Browser()))
        assert refused.status == 422
        ftp = await alice.post("/api/v1/push/subscription", json=subscribe_body("ftp://push.example/x", Browser()))
        assert ftp.status == 422
    finally:
        node.rt.config = original


async def test_apps_report_the_vapid_key(node):
    created = await node.client.post("/api/v1/apps", json={"client_name": "Pusher", "scopes": "read push"})
    app = await created.json()
    instance = await (await node.client.get("/api/v2/instance")).json()
    assert app["vapid_key"] == instance["configuration"]["vapid"]["public_key"] != ""
    # The key is the node's, in the database (backchannel.secrets), not a file of this process's
    assert not os.path.exists(os.path.join(node.rt.config.data, "vapid.pem"))


# --- End to end ----------------------------------------------------------------------------------

@pytest.fixture
def push_service():
    """A push service on loopback; it answers 201 Created unless a test sets its inbox_status."""
    service = FakeRemote("127.0.0.1", inbox_status=201).start()
    yield service
    service.stop()


async def test_a_mention_is_pushed_encrypted_and_signed(node, push_service):
    alice = await node.person("alice")
    bob = await node.person("bob")
    browser = Browser()
    endpoint = f"http://127.0.0.1:{push_service.port}/push/v1/alice-device"
    # Given alice's client subscribed to mentions only
    subscribed = await alice.post("/api/v1/push/subscription", json=subscribe_body(endpoint, browser))
    assert subscribed.status == 200, await subscribed.text()
    server_key = (await subscribed.json())["server_key"]

    # When bob mentions her
    await bob.post_status("hello @alice, are you there?")

    # Then the push service receives one message
    await eventually(lambda: _async(push_service.raw_bodies), timeout=15)
    received = push_service.received[0]
    assert received.path == "/push/v1/alice-device"
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0 and headers["urgency"] in ("very-low", "low", "normal", "high")

    # which alice's browser decrypts to a payload naming the notification
    payload = json.loads(browser.decrypt(push_service.raw_bodies[0]))
    notes = await (await alice.get("/api/v1/notifications")).json()
    assert payload["notification_id"] == notes[0]["id"]
    assert payload["notification_type"] == "mention"
    assert "Bob" in payload["title"] and "are you there?" in payload["body"]
    assert payload["preferred_locale"] and payload["icon"].startswith("http")

    # signed with the node's VAPID key, for the push service's origin
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == server_key
    claims = verify_jwt(fields["t"], server_key)
    assert claims["aud"] == f"http://127.0.0.1:{push_service.port}"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"].startswith(("mailto:", "https:", "http:"))

    # A type alice did not ask for is not pushed.
    await bob.post(f"/api/v1/statuses/{notes[0]['status']['id']}/favourite")
    await _drained(node)
    assert len(push_service.raw_bodies) == 1


async def test_gone_subscriptions_are_dropped_and_5xx_retried(node, push_service):
    from models.schema import push_deliveries

    # Given a push service that says the subscription is gone
    push_service.inbox_status = 410
    alice = await node.person("alice")
    bob = await node.person("bob")
    endpoint = f"http://127.0.0.1:{push_service.port}/push/gone"
    await alice.post("/api/v1/push/subscription", json=subscribe_body(endpoint, Browser()))
    await bob.post_status("@alice first")
    await eventually(lambda: _async(push_service.raw_bodies), timeout=15)

    async def gone() -> bool:
        return (await alice.get("/api/v1/push/subscription")).status == 404
    await eventually(gone)

    # A push service in trouble: the message waits for another attempt.
    push_service.inbox_status = 503
    await alice.post("/api/v1/push/subscription", json=subscribe_body(endpoint, Browser()))
    await bob.post_status("@alice second")

    async def rescheduled():  # noqa: ANN202
        async with node.rt.db.read() as conn:
            from sqlalchemy import select
            row = (await conn.execute(select(push_deliveries))).first()
        return row if row is not None and row.last_error and row.locked_until is None else None
    row = await eventually(rescheduled, timeout=15)
    assert row.state == "pending" and row.next_attempt_at > time.time() and "503" in row.last_error
    assert (await alice.get("/api/v1/push/subscription")).status == 200


async def test_policy_followed_pushes_only_from_accounts_she_follows(node, push_service):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    browser = Browser()
    body = subscribe_body(f"http://127.0.0.1:{push_service.port}/push/alice", browser)
    body["data"]["policy"] = "followed"
    await alice.post("/api/v1/push/subscription", json=body)
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/follow")).status == 200

    # When someone she follows and a stranger both mention her
    await carol.post_status("@alice from a stranger")
    await bob.post_status("@alice from someone she follows")
    await _drained(node)

    # Then only the first is pushed
    assert len(push_service.raw_bodies) == 1
    payload = json.loads(browser.decrypt(push_service.raw_bodies[0]))
    assert payload["title"] == "Bob mentioned you"


async def _async(value):  # noqa: ANN001, ANN202
    return value


async def _drained(node) -> None:  # noqa: ANN001
    from sqlalchemy import func, select

    from models.schema import push_deliveries

    async def empty() -> bool:
        async with node.rt.db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(push_deliveries))).scalar_one() == 0
    await eventually(empty)
    await _sleep(1.5)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
