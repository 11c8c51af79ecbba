"""Shareable expert lists: alice@acme makes her list of experts public; dave@globex imports it in one
step, by its URL and from its CSV, and every member is resolved (through WebFinger) and followed."""
import csv
import io

import feedparser
import pytest
import requests

from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test"]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    nodes = start_cluster(DOMAINS, tmp_path_factory.mktemp("lists"))
    acme, globex = (nodes[d] for d in DOMAINS)
    acme.tokens = make_people(acme, ["alice", "bob"])
    globex.tokens = make_people(globex, ["carol", "dave"])
    requests.patch(f"{acme.base}/api/v1/accounts/update_credentials", timeout=30,
                   headers={"Authorization": f"Bearer {acme.tokens['bob']}"},
                   data={"display_name": "Bob <the> Builder"}).raise_for_status()
    yield nodes
    for node in nodes.values():
        node.stop()


class Api:
    def __init__(self, node, name):
        self.base, self.headers = node.base, {"Authorization": f"Bearer {node.tokens[name]}"}

    def __call__(self, method, path, expect=200, **kwargs):
        resp = requests.request(method, self.base + path, headers=self.headers, timeout=60, **kwargs)
        assert resp.status_code == expect, resp.text
        return resp.json()


def _account_id(api, address):
    if address.endswith("@acme.test"):
        return api("GET", "/api/v1/accounts/lookup", params={"acct": address.split("@")[0]})["id"]
    return api("GET", "/api/v2/search", params={"q": address, "resolve": "true", "type": "accounts"})["accounts"][0]["id"]


@pytest.fixture(scope="module")
def shared(nodes):
    """alice's public list of bob (her colleague) and carol (at globex), both followed."""
    acme = nodes["acme.test"]
    alice = Api(acme, "alice")
    members = [_account_id(alice, a) for a in ("bob@acme.test", "carol@globex.test")]
    for account_id in members:
        alice("POST", f"/api/v1/accounts/{account_id}/follow")
    eventually(lambda: all(r["following"] for r in alice("GET", "/api/v1/accounts/relationships",
                                                               params={"id[]": members})), message="alice follows both")
    made = alice("POST", "/api/v1/lists", json={"title": 'Experts on "DevOps" & <SRE>'})
    assert made["public"] is False and "url" not in made
    alice("POST", f"/api/v1/lists/{made['id']}/accounts", json={"account_ids": members})
    shown = alice("PUT", f"/api/v1/lists/{made['id']}", json={"public": True})
    assert shown["public"] is True
    requests.post(f"{acme.base}/api/v1/statuses", headers=alice.headers, timeout=30,
                  json={"status": "members-only post", "visibility": "private"})
    return shown


def test_a_public_list_has_a_page_a_collection_a_csv_and_a_feed(nodes, shared):
    acme = nodes["acme.test"]
    url = shared["url"]
    assert url == f"http://acme.test/lists/{shared['id']}"
    local = acme.base + url.removeprefix("http://acme.test")
    page = requests.get(local, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "Bob &lt;the&gt; Builder" in page.text and "carol@globex.test" in page.text
    assert "Content-Security-Policy" in page.headers
    collection = requests.get(local, headers={"Accept": "application/activity+json"}, timeout=30).json()
    assert collection["type"] == "OrderedCollection" and collection["id"] == url
    assert collection["orderedItems"] == ["http://acme.test/users/bob", "http://globex.test/users/carol"]
    rows = list(csv.reader(io.StringIO(requests.get(local + ".csv", timeout=30).text)))
    assert rows == [[shared["title"], "bob@acme.test"], [shared["title"], "carol@globex.test"]]
    feed = feedparser.parse(requests.get(local + ".rss", timeout=30).content)
    assert not feed.bozo and shared["title"] in feed.feed.title


def test_a_private_list_is_not_shared(nodes):
    acme = nodes["acme.test"]
    alice = Api(acme, "alice")
    hidden = alice("POST", "/api/v1/lists", json={"title": "mine only"})
    for suffix in ("", ".csv", ".rss"):
        assert requests.get(f"{acme.base}/lists/{hidden['id']}{suffix}", timeout=30).status_code == 404


def test_a_list_imported_by_url_on_another_node_resolves_every_member(nodes, shared):
    globex = nodes["globex.test"]
    dave = Api(globex, "dave")
    done = dave("POST", "/api/v1/lists/import", json={"url": shared["url"]})
    assert done["not_found"] == [] and done["accounts_added"] == 2
    [imported] = done["lists"]
    assert imported["title"] == shared["title"] and imported["public"] is False
    members = dave("GET", f"/api/v1/lists/{imported['id']}/accounts")
    assert sorted(m["acct"] for m in members) == ["bob@acme.test", "carol"]
    eventually(lambda: all(r["following"] for r in dave("GET", "/api/v1/accounts/relationships",
                                                              params={"id[]": [m["id"] for m in members]})),
               message="dave follows the members")


def test_a_list_imported_from_its_csv_resolves_every_member(nodes, shared):
    acme, globex = nodes["acme.test"], nodes["globex.test"]
    exported = requests.get(f"{acme.base}/lists/{shared['id']}.csv", timeout=30).content
    carol = Api(globex, "carol")
    done = carol("POST", "/api/v1/lists/import", files={"file": ("lists.csv", exported, "text/csv")},
                 data={"title": "From alice"})
    [imported] = done["lists"]
    assert imported["title"] == "From alice"
    assert done["not_found"] == []  # carol herself is on it: not added to her own list
    assert [m["acct"] for m in carol("GET", f"/api/v1/lists/{imported['id']}/accounts")] == ["bob@acme.test"]


def test_bad_imports_are_refused_clearly(nodes):
    dave = Api(nodes["globex.test"], "dave")
    dave("POST", "/api/v1/lists/import", expect=422, json={})
    dave("POST", "/api/v1/lists/import", expect=422, files={"file": ("x.csv", b"just one column\n", "text/csv")})
    dave("POST", "/api/v1/lists/import", expect=422, json={"url": "ftp://acme.test/lists/1"})
    dave("POST", "/api/v1/lists/import", expect=502, json={"url": "http://acme.test/lists/999"})
    done = dave("POST", "/api/v1/lists/import", files={"file": ("x.csv", b"L,ghost@acme.test\n", "text/csv")})
    assert done["not_found"] == ["ghost@acme.test"] and done["accounts_added"] == 0
