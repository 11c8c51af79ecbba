"""Full-text search and expert discovery across three organisations' nodes (real processes), on
SQLite and on PostgreSQL.

Given: at globex, guru ("Priya from Payments", no topic word in any name) posts about observability
and gets replies, favourites and boosts from other people; noisy said the word once; quiet writes
followers-only and hermit local-only. At initech, carol replies to guru, dana is not indexable and
fran writes followers-only. At acme, ann follows most of them (so acme holds their posts) and alice
searches: she follows fran, favourited one of dana's posts, blocked decoy, and has posts of her own.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.rig.clients import mastodon_py
from tests.rig.http import api
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people, wait_idle

DOMAINS = ["acme.test", "globex.test", "initech.test"]
TOPIC = "observability"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    from tests.rig.databases import create_database, drop_database, postgres_available

    databases: dict[str, str] = {}
    if request.param == "postgresql":
        if reason := postgres_available():
            pytest.skip(reason)
        databases = {d: create_database() for d in DOMAINS}
    nodes = start_cluster(DOMAINS, tmp_path_factory.mktemp("search"), databases=databases)
    try:
        yield build_scene(nodes)
    finally:
        for node in nodes.values():
            node.stop()
        for url in databases.values():
            drop_database(url)


class World:
    def __init__(self, nodes):  # noqa: ANN001
        self.nodes = nodes
        self.tokens: dict[str, str] = {}
        self.home: dict[str, str] = {}  # person → domain
        self.posts: dict[str, dict] = {}  # label → status as its author's node returned it

    def call(self, who: str, method: str, path: str, body: dict | None = None, expect: int = 200):  # noqa: ANN201
        status, data = api(self.nodes[self.home[who]].base, self.tokens[who], method, path, body)
        assert status == expect, (who, method, path, status, data)
        return data

    def post(self, who: str, label: str, text: str, **extra) -> dict:  # noqa: ANN003
        self.posts[label] = self.call(who, "POST", "/api/v1/statuses", {"status": text, **extra})
        return self.posts[label]

    def resolve(self, who: str, acct: str) -> str:
        found = self.call(who, "GET", "/api/v2/search?" + urlencode({"q": acct, "resolve": "true", "type": "accounts"}))
        assert found["accounts"], (who, acct)
        return found["accounts"][0]["id"]

    def follow(self, who: str, acct: str) -> None:
        target = self.resolve(who, acct)
        self.call(who, "POST", f"/api/v1/accounts/{target}/follow")
        eventually(lambda: self.call(who, "GET", f"/api/v1/accounts/relationships?id[]={target}")[0]["following"],
                   message=f"{who} follows {acct}")

    def local_copy(self, who: str, label: str) -> dict:
        """The status `label` as `who`'s node knows it (waiting for it to arrive)."""
        uri = self.posts[label]["uri"]
        return eventually(lambda: self.call(who, "GET", "/api/v2/search?" + urlencode({"q": uri, "resolve": "true",
                                                                                      "type": "statuses"}))["statuses"][0],
                          message=f"{label} known to {who}")

    def search(self, who: str, q: str, **params) -> list[str]:  # noqa: ANN003
        """The labels of the posts `who` finds (each post's label is its first word)."""
        body = self.call(who, "GET", "/api/v2/search?" + urlencode({"q": q, "type": "statuses", **params}))
        return [label_of(s) for s in body["statuses"]]

    def idle(self) -> None:
        for node in self.nodes.values():
            wait_idle(node)


def label_of(status: dict) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", status["content"]).split()[0]


def build_scene(nodes) -> World:  # noqa: ANN001
    world = World(nodes)
    people = {"acme.test": ["alice", "ann"], "globex.test": ["guru", "noisy", "quiet", "hermit"],
              "initech.test": ["carol", "dana", "fran", "decoy"]}
    for domain, names in people.items():
        world.tokens.update(make_people(nodes[domain], names))
        world.home.update({name: domain for name in names})
    world.call("guru", "PATCH", "/api/v1/accounts/update_credentials",
               {"display_name": "Priya from Payments",
                "note": "I keep payment systems up: site reliability, observability, incident postmortems."})
    world.call("decoy", "PATCH", "/api/v1/accounts/update_credentials", {"display_name": "Observability Fan"})
    for quiet_one in ("dana", "fran"):
        body = world.call(quiet_one, "PATCH", "/api/v1/accounts/update_credentials", {"indexable": False})
        assert body["indexable"] is False
    for acct in ("guru@globex.test", "noisy@globex.test", "quiet@globex.test", "hermit@globex.test",
                 "carol@initech.test", "dana@initech.test", "decoy@initech.test"):
        world.follow("ann", acct)
    world.follow("alice", "fran@initech.test")
    world.follow("carol", "guru@globex.test")

    world.post("guru", "g1", "g1 Observability starts with the questions you ask during an incident #sre #observability")
    world.post("guru", "g2", "g2 Our incident review template: timeline, contributing factors #observability")
    world.post("guru", "g3", "g3 Tracing beats logging when latency hides in queues #observability #tracing")
    world.post("guru", "g4", "g4 Beobachtbarkeit ist mehr als Dashboards: observability", language="de")
    world.post("noisy", "n1", "n1 I once heard the word observability at a conference")
    world.post("quiet", "q1", "q1 secretword plans for the observability budget", visibility="private")
    world.post("hermit", "h1", "h1 localword observability notes", local_only=True)
    world.post("dana", "d1", "d1 danaword observability experiments")
    world.post("dana", "d2", "d2 danaliked thoughts on tracing")
    world.post("fran", "f1", "f1 fernweh field notes", visibility="private")
    world.post("decoy", "b1", "b1 blockedword from someone alice blocked")
    world.post("alice", "a1", "a1 zettelkasten method for observability learning", visibility="private")
    world.post("alice", "a2", "a2 Which observability tool do you use?",
               poll={"options": ["metrics", "traces"], "expires_in": 3600})
    world.post("alice", "a3", "a3 Reading https://example.com/guide about observability today")
    world.post("alice", "a5", "a5 observability spoilers", sensitive=True, spoiler_text="cw")

    g1_at_initech = world.local_copy("carol", "g1")
    world.post("carol", "c1", "c1 @guru@globex.test great point about observability", in_reply_to_id=g1_at_initech["id"])
    for label in ("g1", "g2"):
        copy = world.local_copy("ann", label)
        world.call("ann", "POST", f"/api/v1/statuses/{copy['id']}/favourite")
    world.call("ann", "POST", f"/api/v1/statuses/{world.local_copy('ann', 'g1')['id']}/reblog")
    d2 = world.local_copy("alice", "d2")
    world.call("alice", "POST", f"/api/v1/statuses/{d2['id']}/favourite")
    g2 = world.local_copy("alice", "g2")
    world.post("alice", "a4", "a4 thanks, observability reviews are gold", in_reply_to_id=g2["id"])
    for label in ("g3", "g4", "n1", "d1", "c1", "f1", "b1"):
        world.local_copy("ann" if label != "f1" else "alice", label)
    world.call("alice", "POST", f"/api/v1/accounts/{world.resolve('alice', 'decoy@initech.test')}/block")
    eventually(lambda: world.search("alice", "fernweh") == ["f1"], message="fran's post arrived for alice")
    world.idle()
    return world


# --- Expert discovery -----------------------------------------------------------------------------

def test_a_person_finds_the_expert_on_another_node_by_topic_words(world):
    alice = mastodon_py(world.nodes["acme.test"], world.tokens["alice"])
    found = alice.search_v2("observability incident", resolve=False, result_type="accounts").accounts
    accts = [a.acct for a in found]
    assert accts[0] == "guru@globex.test", accts
    assert "observability" not in (found[0].display_name + found[0].username).lower()
    assert accts.index("guru@globex.test") < accts.index("noisy@globex.test")
    assert "dana@initech.test" not in accts  # not indexable, and her bio says nothing of it
    assert "quiet@globex.test" not in accts  # their only word on it is followers-only


def test_experts_lists_the_posts_that_earned_the_place_and_the_hashtags(world):
    experts = world.call("alice", "GET", "/api/v1/experts?q=observability")
    assert experts[0]["account"]["acct"] == "guru@globex.test"
    guru = experts[0]
    shown = [label_of(s) for s in guru["statuses"]]
    assert "g1" in shown and len(shown) <= 3  # the post others replied to, favourited and boosted
    assert guru["hashtags"][0] == {"name": "observability", "url": "http://acme.test/tags/observability", "uses": 3}
    assert guru["matching_statuses_count"] == 4
    people = [e["account"]["acct"] for e in experts]
    assert "quiet@globex.test" not in people and "dana@initech.test" not in people
    assert "decoy@initech.test" not in people  # "Observability Fan", but alice blocked them
    assert "decoy@initech.test" in [e["account"]["acct"] for e in world.call("ann", "GET", "/api/v1/experts?q=observability")]
    assert all(e["score"] >= experts[i + 1]["score"] for i, e in enumerate(experts[:-1]))
    assert world.call("alice", "GET", "/api/v1/experts?q=%20", expect=422)


def test_directory_filters_by_topic_and_orders_by_followers(world):
    listed = world.call("alice", "GET", "/api/v1/directory?topic=observability&order=followers")
    accts = [a["acct"] for a in listed]
    assert {"guru@globex.test", "noisy@globex.test", "alice"} <= set(accts) and "ann" not in accts
    counts = [a["followers_count"] for a in listed]
    assert counts == sorted(counts, reverse=True)


def test_a_person_is_found_by_any_spelling_of_their_own_nodes_address(world):
    # Apps search `name@this-node` when a person pastes a colleague's full address.
    for q in ("ann@acme.test", "@ann@ACME.test", "ann@acme.test.", "ann@acme.test:80", "Ann@Acme.Test"):
        for resolve in ("true", "false"):
            found = world.call("alice", "GET", "/api/v2/search?" + urlencode({"q": q, "type": "accounts",
                                                                              "resolve": resolve}))
            assert [a["acct"] for a in found["accounts"]][:1] == ["ann"], (q, resolve, found["accounts"])


# --- Who finds what -------------------------------------------------------------------------------

def test_search_finds_own_followed_interacted_and_public_indexable_posts(world):
    found = set(world.search("alice", TOPIC, limit=40))
    assert {"g1", "g2", "g3", "g4", "n1", "c1", "a1", "a2", "a3", "a4", "a5"} <= found
    assert world.search("alice", "zettelkasten") == ["a1"]  # her own followers-only post
    assert world.search("alice", "fernweh") == ["f1"]  # followers-only, by someone she follows
    assert world.search("alice", "danaliked") == ["d2"]  # not indexable, but she favourited it
    assert world.search("alice", "danaword") == []  # not indexable, no interaction


def test_search_never_finds_what_the_person_may_not_see(world):
    assert world.search("alice", "secretword") == []  # followers-only; acme holds it for ann
    assert world.search("ann", "secretword") == ["q1"]  # ann follows quiet
    assert world.search("alice", "localword") == []  # local-only at globex
    assert world.search("alice", "blockedword") == []  # public and indexable, but she blocked its author
    assert world.search("ann", "blockedword") == ["b1"]
    assert world.search("ann", "zettelkasten") == []  # alice's followers-only post
    assert world.search("guru", "localword") == []  # hermit's local-only post: not followed, not public
    assert world.search("noisy", "danaword") == []  # another node, nothing of dana's there


def test_operators(world):
    search = lambda q: set(world.search("alice", q, limit=40))  # noqa: E731
    assert search('"incident review"') == {"g2"}
    assert search('"review incident"') == set()
    assert search(f"{TOPIC} from:guru@globex.test") == {"g1", "g2", "g3", "g4"}
    assert search(f"{TOPIC} -from:guru@globex.test -from:me") == {"n1", "c1"}
    assert search(f"from:me {TOPIC}") == {"a1", "a2", "a3", "a4", "a5"}
    assert search(f"{TOPIC} has:poll") == {"a2"}
    assert search(f"{TOPIC} has:link") == {"a3"}
    assert search(f"{TOPIC} is:reply") == {"c1", "a4"}
    assert search(f"{TOPIC} is:sensitive") == {"a5"}
    assert search(f"{TOPIC} language:de") == {"g4"}
    assert search(f"{TOPIC} from:guru@globex.test -tracing") == {"g1", "g2", "g4"}
    assert search("#tracing") == {"g3"}
    assert search(f"{TOPIC} #sre") == {"g1"}
    assert search(f"{TOPIC} before:2000-01-01") == set()
    assert "g1" in search(f"{TOPIC} after:2000-01-01")
    assert search(f"{TOPIC} in:library") == {"a1", "a2", "a3", "a4", "a5", "g2"}  # hers and replied to
    for bad in ("has:banana", "before:yesterday", "in:attic"):
        world.call("alice", "GET", "/api/v2/search?" + urlencode({"q": bad, "type": "statuses"}), expect=422)


def test_results_are_ranked_and_paged(world):
    first = world.search("alice", f"{TOPIC} from:guru@globex.test", limit=2)
    second = world.search("alice", f"{TOPIC} from:guru@globex.test", limit=2, offset=2)
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)
    assert world.search("alice", "observability observability tool")[0] == "a2"


def test_the_index_follows_remote_edits_and_deletes(world):
    guru_g3 = world.posts["g3"]["id"]
    world.call("guru", "PUT", f"/api/v1/statuses/{guru_g3}", {"status": "g3 Tracing beats logging when latency "
                                                                        "hides in buffers #observability #tracing"})
    eventually(lambda: world.search("alice", "buffers") == ["g3"], message="the edit reached acme's index")
    assert world.search("alice", "queues") == []
    world.call("noisy", "DELETE", f"/api/v1/statuses/{world.posts['n1']['id']}")
    eventually(lambda: world.search("alice", "conference") == [], message="the delete reached acme's index")


def test_reindex_rebuilds_the_same_index(world):
    before = set(world.search("alice", TOPIC, limit=40))
    out = world.nodes["acme.test"].cli("search", "reindex")
    assert out.startswith("indexed ")
    assert set(world.search("alice", TOPIC, limit=40)) == before
    assert world.search("alice", "secretword") == []
