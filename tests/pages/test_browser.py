"""The pages in a real browser: Debian's headless Chromium, driven by Playwright, against a real
`backchannel serve` process. The CSP is the real one; every violation and console error is collected
from the page. Skipped, with the reason, where Chromium or Playwright is not installed."""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.pages.chromium import browser, skip_reason, watched  # noqa: F401 - fixtures
from tests.rig.nodes import Node, free_port

if reason := skip_reason():
    pytest.skip(reason, allow_module_level=True)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    port = free_port()
    node = Node(domain=f"127.0.0.1:{port}", port=port, data=tmp_path_factory.mktemp("browser")).start()
    node.create_user("alice", "--display-name", "Alice <Liddell>", password=PASSWORD)
    node.create_user("boss", "--admin", password=PASSWORD)
    yield node
    node.stop()


def test_the_violation_collector_sees_a_violation(node, watched):
    # Given a page under the CSP
    watched.page.goto(node.base + "/")
    assert watched.problems() == []
    # When something adds an inline style
    watched.page.evaluate("document.head.appendChild(document.createElement('style')).textContent = 'body{}'")
    # Then the collector reports it: an empty list elsewhere means there was none
    assert any("style-src" in p for p in watched.problems()), watched.problems()


def test_a_hashtag_link_on_a_status_page_leads_to_the_tag_page(node, watched, tmp_path):
    # Given a public post with a hashtag behind a content warning
    client = node.mastodon(node.token("alice"))
    status = client.status_post("Notes from the #ReadingGroup <b>session</b>", spoiler_text="Long notes")
    page = watched.page
    # When a visitor opens the post's page
    page.goto(f"{node.base}/@alice/{status.id}")
    content = page.locator(f"#status-{status.id} .content")
    # Then the text is folded under the warning, and the stylesheet applies
    assert page.locator(f"#status-{status.id} summary").inner_text() == "Long notes"
    assert not content.is_visible()
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
    # When the visitor opens the warning and follows the hashtag link
    page.locator(f"#status-{status.id} summary").click()
    assert content.is_visible() and "<b>session</b>" in content.inner_text()
    page.get_by_role("link", name="#ReadingGroup").click()
    page.wait_for_url(re.compile(r"/tags/readinggroup$"))
    # Then the tag page lists the post, and nothing broke the CSP on the way
    assert page.locator("h1").inner_text() == "#readinggroup"
    assert page.locator(f"#status-{status.id}").count() == 1
    page.screenshot(path=str(tmp_path / "tag-page.png"), full_page=True)
    assert watched.problems() == []


class _Callback(BaseHTTPRequestHandler):
    """The app's redirect_uri: answers every GET with a page, so the browser lands somewhere."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"signed in")

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def callback():
    server = HTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()
    server.server_close()


def _post(url: str, fields: dict) -> dict:
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=30) as resp:
        return json.loads(resp.read())


def test_the_oauth_form_signs_in_and_redirects_to_the_app(node, watched, callback, tmp_path):
    # Given an app registered with its own redirect URI
    app = _post(node.base + "/api/v1/apps", {"client_name": "Browser <app>", "redirect_uris": callback,
                                              "scopes": "read write"})
    query = urllib.parse.urlencode({"response_type": "code", "client_id": app["client_id"],
                                    "redirect_uri": callback, "scope": "read", "state": "s1"})
    page = watched.page
    # When a person opens the form, first types a wrong password
    page.goto(f"{node.base}/oauth/authorize?{query}")
    assert "Browser <app>" in page.locator("main").inner_text()
    page.get_by_label("E-mail or username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Authorise").click()
    # Then the form says so, still styled and under the CSP
    assert page.get_by_role("alert").inner_text() == "Wrong e-mail, username or password."
    page.screenshot(path=str(tmp_path / "oauth-form.png"), full_page=True)
    # When she signs in with the right one and authorises
    page.get_by_label("E-mail or username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Authorise").click()
    # Then the browser lands on the app's redirect URI with a code that the app exchanges for a token
    page.wait_for_url(re.compile("^" + re.escape(callback)))
    returned = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert returned["state"] == ["s1"]
    token = _post(node.base + "/oauth/token", {
        "grant_type": "authorization_code", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "redirect_uri": callback, "code": returned["code"][0]})
    me = urllib.request.Request(node.base + "/api/v1/accounts/verify_credentials",
                                headers={"Authorization": f"Bearer {token['access_token']}"})
    with urllib.request.urlopen(me, timeout=30) as resp:
        assert json.loads(resp.read())["acct"] == "alice"
    assert watched.problems() == []


def test_an_admin_signs_in_and_moves_through_the_admin_pages(node, watched):
    # Given an admin at the sign-in page
    page = watched.page
    page.goto(node.base + "/admin")
    page.wait_for_url(re.compile(r"/admin/sign_in$"))
    # When she signs in
    page.get_by_label("Username or e-mail").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Then she is on the dashboard, and can reach reports, domains and accounts through the menu
    page.wait_for_url(re.compile(r"/admin/dashboard$"))
    page.get_by_role("link", name="Reports").click()
    assert page.locator("h1").inner_text() == "Reports"
    page.get_by_role("link", name="Accounts").click()
    assert page.locator("h1").inner_text() == "Accounts"
    assert page.get_by_role("cell", name="alice@" + node.domain).count() == 1
    page.get_by_role("link", name="Domains").click()
    page.get_by_role("textbox", name="Domain").first.fill("spam.example")
    page.get_by_role("button", name="Block").click()
    assert page.get_by_role("cell", name="spam.example").count() == 1
    # And signing out ends the session
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/admin/sign_in$"))
    assert watched.problems() == []
