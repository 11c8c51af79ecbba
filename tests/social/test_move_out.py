"""Account migration out: alice@acme moves to alice2@globex, which names her as an alias. Her
followers on acme (local), globex (the new home) and initech (a third server) end up following
alice2; the move needs her password and the target's alias; a moved account posts no more."""
import pytest
import requests

from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test", "initech.test"]
PASSWORD = "correct horse battery"


class Api:
    def __init__(self, node, token):
        self.base, self.headers = node.base, {"Authorization": f"Bearer {token}"}

    def __call__(self, method, path, expect=200, **kwargs):
        resp = requests.request(method, self.base + path, headers=self.headers, timeout=60, **kwargs)
        assert resp.status_code == expect, resp.text
        return resp.json()

    def account_id(self, address):
        found = self("GET", "/api/v2/search", params={"q": address, "resolve": "true", "type": "accounts"})
        return found["accounts"][0]["id"]

    def following(self, address):
        return self("GET", "/api/v1/accounts/relationships", params={"id[]": self.account_id(address)})[0]["following"]


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    # acme (where alice moves from, and where the carried-over blocks, mutes and lists are read) runs
    # on PostgreSQL when one answers, the others on SQLite: both backends in one run.
    databases = {} if postgres_available() else {"acme.test": create_database()}
    nodes = start_cluster(DOMAINS, tmp_path_factory.mktemp("move"), databases=databases)
    acme, globex, initech = (nodes[d] for d in DOMAINS)
    apis = {"alice": Api(acme, make_people(acme, ["alice"], password=PASSWORD)["alice"])}
    for node, names in ((acme, ["bob", "erin"]), (globex, ["alice2", "carol"]), (initech, ["dave"])):
        apis.update({name: Api(node, token) for name, token in make_people(node, names).items()})
    for follower in ("bob", "carol", "dave"):
        apis[follower]("POST", f"/api/v1/accounts/{apis[follower].account_id('alice@acme.test')}/follow")
    for follower in ("bob", "carol", "dave"):
        eventually(lambda: apis[follower].following("alice@acme.test"), message=f"{follower} follows alice")
    bob, alice_at_acme = apis["bob"], apis["bob"].account_id("alice@acme.test")
    bob("POST", f"/api/v1/accounts/{alice_at_acme}/follow", json={"notify": True})
    experts = bob("POST", "/api/v1/lists", json={"title": "experts"})
    bob("POST", f"/api/v1/lists/{experts['id']}/accounts", json={"account_ids": [alice_at_acme]})
    apis["erin"]("POST", f"/api/v1/accounts/{alice_at_acme}/block")
    apis["dave"]("POST", f"/api/v1/accounts/{apis['dave'].account_id('alice@acme.test')}/mute")
    yield nodes, apis
    for node in nodes.values():
        node.stop()
    for url in databases.values():
        drop_database(url)


def test_alice_moves_to_globex_and_her_followers_follow_her_there(people):
    nodes, apis = people
    alice, alice2 = apis["alice"], apis["alice2"]
    # Without the new account's alias, or with the wrong password, nothing moves.
    alice("POST", "/api/v1/accounts/move", expect=422,
          data={"password": PASSWORD, "moved_to_uri": "http://globex.test/users/alice2"})
    made = alice2("POST", "/api/v1/accounts/alias", data={"also_known_as_uris[]": ["@alice@acme.test"]})
    assert made["source"]["also_known_as_uris"] == ["http://acme.test/users/alice"]
    actor = requests.get(f"{nodes['globex.test'].base}/users/alice2", timeout=30,
                         headers={"Accept": "application/activity+json"}).json()
    assert actor["alsoKnownAs"] == ["http://acme.test/users/alice"]
    alice("POST", "/api/v1/accounts/move", expect=403,
          data={"password": "wrong", "moved_to_uri": "http://globex.test/users/alice2"})
    alice("POST", "/api/v1/accounts/move", expect=422, json={"password": PASSWORD, "moved_to_uri": "carol@globex.test"})
    assert not alice("GET", "/api/v1/accounts/verify_credentials").get("moved")

    assert alice("POST", "/api/v1/accounts/move", expect=202,
                 json={"password": PASSWORD, "moved_to_uri": "alice2@globex.test"}) == {"message": "accepted"}
    bob, dave = apis["bob"], apis["dave"]
    for follower in ("bob", "carol", "dave"):
        eventually(lambda: apis[follower].following("alice2@globex.test"), message=f"{follower} follows alice2")
        eventually(lambda: not apis[follower].following("alice@acme.test"), message=f"{follower} left alice")
    # As Mastodon carries a move over: bob's choices and list, erin's block, dave's mute.
    alice2_id = bob.account_id("alice2@globex.test")
    assert bob("GET", "/api/v1/accounts/relationships", params={"id[]": alice2_id})[0]["notifying"]
    experts = bob("GET", "/api/v1/lists")[0]
    assert [a["acct"] for a in bob("GET", f"/api/v1/lists/{experts['id']}/accounts")] == ["alice2@globex.test"]
    assert apis["erin"]("GET", "/api/v1/accounts/relationships",
                        params={"id[]": apis["erin"].account_id("alice2@globex.test")})[0]["blocking"]
    assert dave("GET", "/api/v1/accounts/relationships",
                params={"id[]": dave.account_id("alice2@globex.test")})[0]["muting"]
    me = alice("GET", "/api/v1/accounts/verify_credentials")
    assert me["moved"]["acct"] == "alice2@globex.test"
    actor = requests.get(f"{nodes['acme.test'].base}/users/alice", timeout=30,
                         headers={"Accept": "application/activity+json"}).json()
    assert actor["movedTo"] == "http://globex.test/users/alice2"
    # Seen from initech, the old profile points to the new one.
    eventually(lambda: dave("GET", f"/api/v1/accounts/{dave.account_id('alice@acme.test')}").get("moved"),
               message="initech knows alice moved")
    # A moved account posts no more.
    alice("POST", "/api/v1/statuses", expect=422, json={"status": "still here?"})
    # Her followers here and on globex are told (Mastodon's `move` notification; dave muted her)
    for follower in (bob, apis["carol"]):
        eventually(lambda: [n for n in follower("GET", "/api/v1/notifications")
                            if n["type"] == "move" and n["account"]["username"] == "alice"],
                   message="a move notification")
    # and she cannot move again within 30 days, as on Mastodon
    again = alice("POST", "/api/v1/accounts/move", expect=422,
                  json={"password": PASSWORD, "moved_to_uri": "alice2@globex.test"})
    assert "30 days" in again["error"]


def test_aliases_must_be_accounts(people):
    _, apis = people
    carol = apis["carol"]
    carol("POST", "/api/v1/accounts/alias", expect=422, json={"also_known_as": ["nobody@initech.test"]})
    carol("POST", "/api/v1/accounts/alias", expect=422, json={"also_known_as": ["http://globex.test/users/carol"]})
    carol("POST", "/api/v1/accounts/alias", expect=422, json={"also_known_as": ["javascript:alert(1)"]})
    assert carol("POST", "/api/v1/accounts/alias", json={"also_known_as": []})["source"]["also_known_as_uris"] == []
