"""A discussion across three organisations reads whole on each of them.

bob@globex posts; carol@initech replies; dave@acme follows carol only, so acme receives carol's
reply without the post it answers (its ancestor is fetched in the background); dave answers carol,
which initech hears of but globex does not (globex finds it when someone reads the thread, in
initech's `replies` collection of carol's post).
"""
import pytest

from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test", "initech.test"]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    nodes = start_cluster(DOMAINS, tmp_path_factory.mktemp("threads"))
    yield nodes
    for node in nodes.values():
        node.stop()


def _find(client, uri):
    found = client.search(uri, resolve=True, result_type="statuses").statuses
    return found[0] if found else None


def _local(client, uri):
    """The status with this uri, as this node knows it (None when it does not, without fetching)."""
    found = client.search(uri, resolve=False, result_type="statuses").statuses
    return found[0] if found else None


def test_a_reply_chain_across_three_nodes_is_whole_on_each(nodes):
    acme, globex, initech = (nodes[d] for d in DOMAINS)
    bob = globex.mastodon(make_people(globex, ["bob"])["bob"])
    carol = initech.mastodon(make_people(initech, ["carol"])["carol"])
    dave = acme.mastodon(make_people(acme, ["dave"])["dave"])

    carol_at_acme = dave.search("carol@initech.test", resolve=True, result_type="accounts").accounts[0]
    dave.account_follow(carol_at_acme.id)
    eventually(lambda: dave.account_relationships(carol_at_acme.id)[0].following, message="dave follows carol")

    root = bob.status_post("What is the best way to onboard a new team to #devops?")
    root_at_initech = _find(carol, root.uri)
    first = carol.status_post("@bob@globex.test pair them with someone for a week", in_reply_to_id=root_at_initech.id)

    # acme got carol's reply without its parent; the parent arrives by itself, and links up.
    first_at_acme = eventually(lambda: _local(dave, first.uri), message="carol's reply reaches acme")
    ancestors = eventually(lambda: [s.uri for s in dave.status_context(first_at_acme.id).ancestors],
                           message="acme fetched the post carol answered")
    assert ancestors == [root.uri]
    assert dave.status(first_at_acme.id).in_reply_to_id is not None

    second = dave.status_post("@carol@initech.test and write down what they learn", in_reply_to_id=first_at_acme.id)
    chain = [root.uri, first.uri, second.uri]
    eventually(lambda: _local(carol, second.uri), message="initech hears of dave's answer")

    for node, client in ((acme, dave), (globex, bob), (initech, carol)):
        def whole(client=client):
            top = _local(client, root.uri)
            below = [s.uri for s in client.status_context(top.id).descendants]
            return below == chain[1:] and below
        eventually(whole, timeout=30, message=f"the whole thread below the root on {node.domain}")
        last = _local(client, second.uri)
        assert [s.uri for s in client.status_context(last.id).ancestors] == chain[:2], node.domain
        middle = _local(client, first.uri)
        context = client.status_context(middle.id)
        assert ([s.uri for s in context.ancestors], [s.uri for s in context.descendants]) == (chain[:1], chain[2:])
