"""Signing in through a real OpenID provider (npm's oidc-provider) on the web and from a Mastodon app."""
from __future__ import annotations

import html
import re

import httpx2
from mastodon import Mastodon

from tests.sso.browser import Browser

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write"]


def sign_in_at_provider(browser: Browser, page: httpx2.Response, login: str) -> httpx2.Response:
    """The person types their login at the provider's form, then consents to the node."""
    assert "/interaction/" in str(page.url), page.text[:500]
    page = browser.submit(page, login=login, password="whatever the provider checks")
    if "/interaction/" in str(page.url):  # the consent step: "Continue"
        page = browser.submit(page)
    return page


def lookup(node, acct: str) -> httpx2.Response:  # noqa: ANN001
    return httpx2.get(node.base + "/api/v1/accounts/lookup", params={"acct": acct}, timeout=30)


def test_an_admin_signs_in_on_the_web_and_lands_on_the_admin_pages(provider_and_node):
    _, node = provider_and_node
    browser = Browser()
    # Given the sign-in page offers the provider
    page = browser.get(node.base + "/admin/sign_in")
    assert "Sign in with Acme SSO" in page.text
    # When Ada follows it and signs in at the provider (her groups include the admin group)
    page = browser.get(node.base + "/auth/sso")
    page = sign_in_at_provider(browser, page, "ada")
    # Then she is on the admin pages, signed in
    assert page.status_code == 200 and page.url.path == "/admin/dashboard", page.text[:500]
    # And her account was made from the provider's claims
    account = lookup(node, "ada").json()
    assert account["username"] == "ada" and account["display_name"] == "Ada Admin"


def test_a_person_signs_in_on_the_web_and_is_the_same_account_the_next_time(provider_and_node):
    _, node = provider_and_node
    # Given Jane, whose provider username is jane.doe, signs in for the first time
    page = sign_in_at_provider(browser := Browser(), Browser.get(browser, node.base + "/auth/sso"), "jane")
    # Then she is signed in to the web as herself (she is no admin: the admin pages stay closed)
    assert page.status_code == 200 and "@jane_doe@" in page.text, page.text[:500]
    assert browser.get(node.base + "/admin/reports").url.path == "/admin/sign_in"
    assert lookup(node, "jane_doe").json()["display_name"] == "Jane Doe"
    # When she signs in again from another browser
    again = Browser()
    page = sign_in_at_provider(again, again.get(node.base + "/auth/sso"), "jane")
    # Then it is the same account, not a second one
    assert "@jane_doe@" in page.text
    assert lookup(node, "jane_doe_2").status_code == 404


def test_a_mastodon_app_signs_in_through_the_provider_on_the_oauth_form(provider_and_node):
    _, node = provider_and_node
    # Given an app registered with Mastodon.py, and its authorisation URL opened in a browser
    client_id, client_secret = Mastodon.create_app("SSO app", scopes=SCOPES, redirect_uris=OOB,
                                                   api_base_url=node.base)
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=node.base, request_timeout=30)
    browser = Browser()
    page = browser.get(app.auth_request_url(scopes=SCOPES, redirect_uris=OOB, allow_http=True))
    assert "Sign in with Acme SSO and authorise" in page.text
    # When Lin chooses the provider on the form and signs in there
    page = browser.submit(page, decision="sso")
    page = sign_in_at_provider(browser, page, "lin")
    # Then the node shows the code for the app, which logs in with it
    assert page.status_code == 200 and "<code>" in page.text, page.text[:500]
    code = html.unescape(re.search(r"<code>([^<]+)</code>", page.text).group(1))
    token = app.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    # And the token acts for the account made from Lin's claims
    me = Mastodon(access_token=token, api_base_url=node.base, request_timeout=30).account_verify_credentials()
    assert me.username == "lin" and me.display_name == "Lin App"


def test_an_existing_account_with_the_verified_email_is_linked_not_duplicated(provider_and_node):
    _, node = provider_and_node
    # Given Kim already has an account here with the e-mail the provider vouches for
    node.create_user("kim_here", "--email", "kim@acme.example", "--display-name", "Kim")
    # When Kim signs in through the provider
    browser = Browser()
    page = sign_in_at_provider(browser, browser.get(node.base + "/auth/sso"), "kim")
    # Then it is that account
    assert "@kim_here@" in page.text, page.text[:500]
    assert lookup(node, "kim").status_code == 404


def test_a_callback_without_the_browser_that_started_it_is_refused(provider_and_node):
    _, node = provider_and_node
    # Given a sign-in started in one browser, up to the provider's answer
    first = Browser()
    first.http.follow_redirects = False
    start = first.get(node.base + "/auth/sso")
    assert start.status_code == 303
    state = re.search(r"state=([^&]+)", start.headers["Location"]).group(1)
    # When another browser (no state cookie) brings a callback for that state
    other = Browser()
    answer = other.get(node.base + f"/auth/sso/callback?state={state}&code=stolen")
    # Then it is refused
    assert answer.status_code == 403 and "not started in this browser" in answer.text
    # And a callback with no state at all is refused too, never a 500
    assert other.get(node.base + "/auth/sso/callback").status_code == 403


def test_the_directory_provisions_a_person_who_signs_in_through_the_provider_until_deactivated(provider_and_node):
    _, node = provider_and_node
    scim = httpx2.Client(base_url=node.base + "/scim/v2", timeout=30, headers={
        "Authorization": "Bearer " + node.cli("scim", "token", "create").strip()})
    # Given the HR directory provisioned Pia through SCIM, with the e-mail the provider knows
    created = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                        "userName": "pia@acme.example", "displayName": "Pia Provisioned",
                                        "emails": [{"value": "pia@acme.example", "primary": True}]}).json()
    # When Pia signs in through the provider
    page = sign_in_at_provider(browser := Browser(), Browser.get(browser, node.base + "/auth/sso"), "pia")
    # Then it is the provisioned account (@pia), not a new one made from her claims (@pia_p)
    assert "@pia@" in page.text, page.text[:500]
    assert lookup(node, "pia_p").status_code == 404
    # When the directory deactivates her
    scim.patch(f"/Users/{created['id']}", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                "Operations": [{"op": "replace", "path": "active", "value": False}]})
    # Then the provider can no longer sign her in here
    again = Browser()
    page = sign_in_at_provider(again, again.get(node.base + "/auth/sso"), "pia")
    assert page.status_code == 403 and "disabled" in page.text
