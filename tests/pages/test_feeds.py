"""RSS and Atom feeds of a profile, a hashtag and the local timeline, read by feedparser: valid,
escaped, found from the pages, and holding only what an anonymous reader may see."""
import re
import urllib.request

import feedparser
import pytest
import requests

from tests.rig.nodes import Node, free_port
from tests.rig.people import make_people

TRICKY = 'Ops & <Dev> "quoted" \'single\''
SECRET = "followers-only-marker"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    token = make_people(node, ["alice"])["alice"]
    requests.patch(f"{node.base}/api/v1/accounts/update_credentials", headers={"Authorization": f"Bearer {token}"},
                   data={"display_name": TRICKY}, timeout=30).raise_for_status()

    def post(text, visibility="public", **extra):
        resp = requests.post(f"{node.base}/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                             json={"status": text, "visibility": visibility, **extra}, timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()

    node.posts = {
        "public": post(f"{TRICKY} about #devops, see https://example.com/?a=1&b=2"),
        "warned": post("behind a warning #devops", spoiler_text="CW: <b>spoilers</b> & more"),
        "unlisted": post("quietly listed", "unlisted"),
        "private": post(f"{SECRET} #devops", "private"),
        "local": post("local-only-marker #devops", "local"),
        "direct": post("direct-marker", "direct"),
    }
    yield node
    node.stop()


def _get(node, path):
    with urllib.request.urlopen(node.base + path, timeout=30) as resp:
        return resp.headers.get("Content-Type", ""), resp.read()


def _parse(node, path):
    content_type, body = _get(node, path)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return content_type, body, parsed


@pytest.mark.parametrize("kind,version", [("rss", "rss20"), ("atom", "atom10")])
def test_a_profile_feed_is_valid_escaped_and_public_only(node, kind, version):
    content_type, body, parsed = _parse(node, f"/@alice.{kind}")
    assert content_type.startswith(f"application/{kind}+xml")
    assert parsed.version == version
    assert TRICKY in parsed.feed.title
    titles = [e.title for e in parsed.entries]
    assert "CW: <b>spoilers</b> & more" in titles  # the content warning, as text, not markup
    first = next(e for e in parsed.entries if e.link.endswith(node.posts["public"]["id"]))
    assert first.title.startswith(TRICKY)
    html = first.content[0].value if kind == "atom" else first.description
    assert "&amp;lt;Dev&amp;gt;" not in html and "&lt;Dev&gt;" in html  # escaped once, as in the post's HTML
    assert "?a=1&amp;b=2" in html
    assert {e.id for e in parsed.entries} == {node.posts[k]["uri"] for k in ("public", "warned", "unlisted")}
    for marker in (SECRET, "local-only-marker", "direct-marker"):
        assert marker.encode() not in body


@pytest.mark.parametrize("path", ["/tags/devops.rss", "/tags/DevOps.atom", "/public/local.rss", "/public/local.atom"])
def test_hashtag_and_local_feeds_hold_public_posts_only(node, path):
    _, body, parsed = _parse(node, path)
    ids = {e.id for e in parsed.entries}
    assert node.posts["public"]["uri"] in ids
    assert node.posts["private"]["uri"] not in ids and node.posts["local"]["uri"] not in ids
    for marker in (SECRET, "local-only-marker", "direct-marker", "quietly listed"):
        assert marker.encode() not in body  # unlisted posts stay out of the public timelines too


def test_pages_announce_their_feeds(node):
    for page, feed in (("/@alice", "/@alice.rss"), ("/tags/devops", "/tags/devops.rss"), ("/", "/public/local.rss")):
        _, html = _get(node, page)
        links = re.findall(rb'<link rel="alternate" type="application/rss\+xml" title="[^"]*" href="([^"]+)"', html)
        assert links == [feed.encode()], page


def test_feeds_of_nobody_are_not_found(node):
    for path in ("/@nobody.rss", "/lists/12345.rss"):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(node, path)
        assert err.value.code == 404
