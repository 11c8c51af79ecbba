"""Every ID token check refuses what it must: a provider of our own on loopback signs in whoever
asks, and issues a token spoiled in one way at a time."""
from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from tests.rig.oidc import FakeProvider
from tests.sso.browser import Browser
from tests.sso.conftest import CLIENT_ID, lookup_status, node_at_loopback, serving

CLAIMS = {"preferred_username": "mallory", "name": "Mallory", "email": "mallory@acme.example",
          "email_verified": True}
FOREIGN_KEY = RSAKey.generate_key(2048, parameters={"kid": "good"})  # the provider's key id, not its key

# What the provider does to the token, and the reason the node gives for refusing it.
SPOILS = {
    "another issuer": (lambda c: ({**c, "iss": "http://127.0.0.1:1"}, None), "Invalid claim: &#39;iss&#39;"),
    "another audience": (lambda c: ({**c, "aud": "some-other-client"}, None), "Invalid claim: &#39;aud&#39;"),
    "another nonce": (lambda c: ({**c, "nonce": "replayed-from-elsewhere"}, None), "Invalid claim: &#39;nonce&#39;"),
    "no nonce": (lambda c: ({k: v for k, v in c.items() if k != "nonce"}, None), "Missing claim: &#39;nonce&#39;"),
    "a signature by another key": (lambda c: (c, FOREIGN_KEY), "bad_signature"),
    "an expired token": (lambda c: ({**c, "iat": int(time.time()) - 3600, "exp": int(time.time()) - 600}, None),
                         "expired"),
}


@pytest.fixture(scope="module")
def fake_and_node(tmp_path_factory):  # noqa: ANN201
    fake = FakeProvider(client_id=CLIENT_ID, claims=CLAIMS).start()
    with serving(node_at_loopback(tmp_path_factory.mktemp("fake-sso")), fake) as both:
        yield both


@pytest.mark.parametrize("spoiled", list(SPOILS))
def test_a_spoiled_id_token_is_refused_and_nobody_is_signed_in(fake_and_node, spoiled):
    fake, node = fake_and_node
    # Given the provider issues an ID token with <spoiled>
    fake.spoil, reason = SPOILS[spoiled]
    # When a person signs in through it
    browser = Browser()
    page = browser.get(node.base + "/auth/sso")
    # Then the node refuses the token: no session, no account
    assert page.status_code == 403, page.text[:300]
    assert "ID token was refused" in page.text and reason in page.text
    assert "backchannel_admin" not in browser.http.cookies
    assert lookup_status(node, "mallory") == 404


def test_the_untouched_token_signs_in(fake_and_node):
    # Given the same provider issuing a correct token (so the refusals above are the spoils' doing)
    fake, node = fake_and_node
    fake.spoil = None
    # When the person signs in
    page = Browser().get(node.base + "/auth/sso")
    # Then the account exists
    assert page.status_code == 200 and "@mallory@" in page.text, page.text[:300]
    assert lookup_status(node, "mallory") == 200
