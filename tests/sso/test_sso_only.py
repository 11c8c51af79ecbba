"""`sso_only`: password sign-in is off everywhere, single sign-on still works; and a disabled login
cannot come back in through the provider."""
from __future__ import annotations

import httpx2
import pytest

from backchannel.config import ConfigError, load_config
from tests.rig.oidc import FakeProvider
from tests.sso.browser import Browser
from tests.rig.nodes import free_port
from tests.sso.conftest import ADMINS, CLIENT_ID, node_at_loopback, serving, sso_env

PASSWORD = "correct horse battery"
MODERATORS = "Backchannel-Moderators"


@pytest.fixture(scope="module")
def sso_only_node(tmp_path_factory):  # noqa: ANN201
    fake = FakeProvider(client_id=CLIENT_ID, claims={"preferred_username": "boss", "name": "The Boss",
                                                            "groups": [ADMINS]}).start()
    with serving(node_at_loopback(tmp_path_factory.mktemp("sso-only")), fake, BACKCHANNEL_SSO_ONLY="true",
                 BACKCHANNEL_OIDC_MODERATOR_GROUP=MODERATORS) as both:
        both[1].create_user("pat", password=PASSWORD)
        both[1].create_user("root", "--admin", password=PASSWORD)
        yield both


def test_password_sign_in_is_refused_on_the_web_the_oauth_form_and_the_password_grant(sso_only_node):
    _, node = sso_only_node
    http = httpx2.Client(base_url=node.base, timeout=30)
    # Given an admin with a password, and an app
    app = http.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                          "scopes": "read"}).json()
    # When the admin signs in with the password on the admin page
    page = http.get("/admin/sign_in")
    web = http.post("/admin/sign_in", data={"login": "root", "password": PASSWORD})
    # Then the page offers no password field and the post is refused
    assert 'type="password"' not in page.text and "Sign in with Acme SSO" in page.text
    assert web.status_code == 403 and "backchannel_admin" not in web.cookies
    # When a person tries the OAuth form with a password
    query = {"client_id": app["client_id"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "response_type": "code",
             "scope": "read"}
    form = http.get("/oauth/authorize", params=query)
    posted = http.post("/oauth/authorize", data={**query, "username": "pat", "password": PASSWORD,
                                                  "decision": "approve"})
    # Then the form has only the provider's button, and the post is refused without a code
    assert 'type="password"' not in form.text and 'value="sso"' in form.text
    assert posted.status_code == 403 and "<code>" not in posted.text
    # When an app uses the password grant
    grant = http.post("/oauth/token", data={"grant_type": "password", "client_id": app["client_id"],
                                            "client_secret": app["client_secret"], "username": "pat",
                                            "password": PASSWORD, "scope": "read"})
    # Then it is refused, and the server metadata no longer lists it
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    assert "password" not in http.get("/.well-known/oauth-authorization-server").json()["grant_types_supported"]


def test_single_sign_on_still_signs_an_admin_in(sso_only_node):
    _, node = sso_only_node
    # When the boss signs in through the provider, whose group claim makes them an admin
    page = Browser().get(node.base + "/auth/sso")
    # Then they are on the admin pages
    assert page.status_code == 200 and page.url.path == "/admin/dashboard", page.text[:300]


def test_a_disabled_login_cannot_come_back_through_the_provider(sso_only_node):
    fake, node = sso_only_node
    # Given a person who signed in once through the provider
    fake.claims = {"preferred_username": "quinn", "name": "Quinn"}
    fake.spoil = lambda c: ({**c, "sub": "quinn-subject"}, None)
    assert "@quinn@" in Browser().get(node.base + "/auth/sso").text
    # When an admin disables the login
    node.cli("account", "disable", "quinn")
    # Then signing in through the provider is refused
    page = Browser().get(node.base + "/auth/sso")
    assert page.status_code == 403 and "disabled" in page.text


def test_settings_that_cannot_work_are_refused_at_start():
    with pytest.raises(ConfigError, match="sso_only needs oidc_issuer"):
        load_config({"sso_only": True}, environ={})
    with pytest.raises(ConfigError, match="needs oidc_client_id"):
        load_config({"oidc_issuer": "https://login.acme.example"}, environ={})
    with pytest.raises(ConfigError, match="https URL"):
        load_config({"oidc_issuer": "login.acme.example", "oidc_client_id": "a", "oidc_client_secret": "b"},
                    environ={})
    assert "secret" not in repr(load_config({"oidc_issuer": "https://l.example", "oidc_client_id": "a",
                                             "oidc_client_secret": "secret"}, environ={}))


def test_an_unreachable_provider_is_a_clear_error_page(tmp_path):
    # Given a node whose provider is down (nothing listens at its issuer)
    node = node_at_loopback(tmp_path / "down")
    node.extra_env = sso_env(f"http://127.0.0.1:{free_port()}")
    node.start()
    try:
        # When someone starts signing in on the web
        page = Browser().get(node.base + "/auth/sso")
        # Then they get a 502 page that says so, and nothing else happens
        assert page.status_code == 502 and "provider cannot be used" in page.text
    finally:
        node.stop()


def test_admin_and_moderator_rights_follow_the_group_claim_at_each_sign_in(sso_only_node):
    fake, node = sso_only_node
    # Given Rae, in the admin group at the provider, who signs in and reaches the admin pages
    fake.spoil = lambda c: ({**c, "sub": "rae-subject"}, None)
    fake.claims = {"preferred_username": "rae", "groups": ["staff", ADMINS]}
    assert Browser().get(node.base + "/auth/sso").url.path == "/admin/dashboard"
    # When the provider drops Rae from the admin group and Rae signs in again
    fake.claims = {"preferred_username": "rae", "groups": ["staff"]}
    browser = Browser()
    page = browser.get(node.base + "/auth/sso")
    # Then Rae is signed in as a person, and the admin pages are closed to her
    assert page.status_code == 200 and "@rae@" in page.text
    assert browser.get(node.base + "/admin/reports").url.path == "/admin/sign_in"
    # When the provider puts Rae in the moderators group (its name in another case) and she signs in
    fake.claims = {"preferred_username": "rae", "groups": ["staff", MODERATORS.lower()]}
    browser = Browser()
    # Then she reaches the moderators' admin pages, but not the admins' domain settings
    assert browser.get(node.base + "/auth/sso").url.path == "/admin/dashboard"
    assert browser.get(node.base + "/admin/reports").status_code == 200
    assert browser.get(node.base + "/admin/domains").status_code == 403
