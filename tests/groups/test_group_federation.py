"""Groups (communities of practice) federated as FEP-1b12 groups, across three real nodes and the
Fedify peer: people on acme.test, globex.test and the Fedify peer join a group on a third node (the
"hub", known by its loopback address so the peer can reach it); what a member posts in the group
reaches every other member; a non-member's post and a post a moderator removed are not relayed; a
`local` group refuses a remote follow.
"""
import pytest

from tests.interop.test_fedify_peer import PEER, control, fedify  # noqa: F401 - the peer fixture
from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.nodes import Node, eventually, free_port

pytestmark = pytest.mark.skipif(not PEER.exists(), reason="the Fedify peer is not installed")


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """acme.test and globex.test (SQLite) and the hub (PostgreSQL when it is there), side by side."""
    root = tmp_path_factory.mktemp("groups")
    acme_port, globex_port, hub_port = free_port(), free_port(), free_port()
    database = create_database() if postgres_available() is None else None
    named = {"acme.test": acme_port, "globex.test": globex_port}
    made = {
        "acme": Node("acme.test", acme_port, root / "acme", resolve={"globex.test": globex_port}),
        "globex": Node("globex.test", globex_port, root / "globex", resolve={"acme.test": acme_port}),
        "hub": Node(f"127.0.0.1:{hub_port}", hub_port, root / "hub", database=database, resolve=named),
    }
    try:
        for node in made.values():
            node.launch()
        for node in made.values():
            node.wait_ready()
        yield made
    finally:
        for node in made.values():
            node.stop()
        if database:
            drop_database(database)


@pytest.fixture(scope="module")
def people(nodes):
    acme, globex, hub = nodes["acme"], nodes["globex"], nodes["hub"]
    for node, names in ((acme, ["alice", "eve"]), (globex, ["bob"]), (hub, ["mod", "dana"])):
        for name in names:
            node.create_user(name)
    out = hub.cli("group", "create", "practice", "--title", "Observability practice",
                  "--description", "We learn to run systems we can see into.", "--moderator", "mod",
                  "--rule", "Be kind")
    assert "created group @practice@" in out
    hub.cli("group", "create", "insiders", "--title", "Hub people only", "--join", "local")
    clients = {name: node.mastodon(node.token(name)) for node, name in
               ((acme, "alice"), (acme, "eve"), (globex, "bob"), (hub, "mod"), (hub, "dana"))}
    return clients


def find(client, acct):
    return client.search(acct, resolve=True, result_type="accounts").accounts[0]


def test_a_group_is_an_account_people_join_by_following(nodes, people):
    hub = nodes["hub"]
    group_acct = f"practice@{hub.domain}"
    for name in ("alice", "bob", "dana"):
        client = people[name]
        group = client.account_lookup("practice") if name == "dana" else find(client, group_acct)
        assert group.group is True
        client.account_follow(group.id)
        eventually(lambda: client.account_relationships(group.id)[0].following, message=f"{name} joins")
    mod = people["mod"]
    found = mod.account_lookup("practice")
    eventually(lambda: mod.account(found.id).followers_count == 3, message="three members")
