"""Every HTML page carries a Content-Security-Policy and nosniff, and shows no unescaped input."""
import urllib.error
import urllib.request

import pytest

from tests.rig.nodes import Node, free_port


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    node.create_user("alice", "--display-name", "<script>alert(1)</script>")
    client = node.mastodon(node.token("alice"))
    from mastodon import Mastodon

    client_id, _ = Mastodon.create_app("csp-test", api_base_url=node.base, scopes=["read"],
                                       redirect_uris="urn:ietf:wg:oauth:2.0:oob")
    node.post = client.status_post("<b>not bold</b> & <img src=x onerror=alert(1)>")
    node.client_id = client_id
    yield node
    node.stop()


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


@pytest.mark.parametrize("path", ["/", "/@alice", "POST", "/admin/sign_in", "AUTHORIZE", "/invite/nonexistent"])
def test_html_pages_have_a_csp(node, path):
    if path == "POST":
        path = f"/@alice/{node.post.id}"
    if path == "AUTHORIZE":
        path = (f"/oauth/authorize?response_type=code&client_id={node.client_id}"
                "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read")
    status, headers, body = fetch(node.base + path)
    assert headers.get("Content-Type", "").startswith("text/html"), (path, status)
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp or "default-src 'self'" in csp, (path, csp)
    assert "script-src" not in csp or "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
