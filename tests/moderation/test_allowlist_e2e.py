"""acme federates only with the domains it allows. Three real nodes; acme runs in allowlist mode and
its admin changes the list with the CLI while it runs."""
from __future__ import annotations

import time

import pytest

from tests.moderation.conftest import sql, start_nodes
from tests.rig.nodes import eventually

DOMAINS = ["acme.test", "globex.test", "initech.test"]


@pytest.fixture
def cluster(tmp_path):
    nodes = start_nodes(tmp_path, DOMAINS, env={"acme.test": {"BACKCHANNEL_FEDERATION_MODE": "allowlist"}})
    yield nodes
    for node in nodes.values():
        node.stop()


def acme_inbox_items_at(node) -> list[tuple]:
    return sql(node, "SELECT activity_uri FROM inbox_items WHERE actor_uri LIKE 'http://acme.test/%'")


def deliveries_to(node, domain: str) -> list[tuple]:
    return sql(node, "SELECT state, last_error, body FROM deliveries WHERE inbox_url LIKE ?",
               f"http://{domain}/%")


def test_acme_federates_only_with_what_it_allows(cluster):
    acme, globex, initech = (cluster[d] for d in DOMAINS)
    acme.create_user("alice")
    globex.create_user("guru")
    initech.create_user("carol")
    alice = acme.mastodon(acme.token("alice"))
    guru = globex.mastodon(globex.token("guru"))
    carol = initech.mastodon(initech.token("carol"))

    # Given acme allows globex, and (for a moment, so carol can look alice up) initech.
    assert "allowed globex.test" in acme.cli("domain", "allow", "globex.test")
    acme.cli("domain", "allow", "initech.test")
    time.sleep(1.2)  # the running node re-reads the lists within a second
    alice_at_initech = carol.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
    acme.cli("domain", "disallow", "initech.test")
    listing = acme.cli("domain", "list")
    assert "federation mode: allowlist" in listing and "globex.test" in listing and "initech.test" not in listing
    time.sleep(1.2)

    # When carol follows alice, initech's delivery is refused for good and no follow comes of it.
    carol.account_follow(alice_at_initech.id)
    refused = eventually(lambda: [d for d in deliveries_to(initech, "acme.test") if d[0] == "failed"],
                         message="initech's Follow delivery refused")
    assert "403" in refused[0][1] and '"Follow"' in refused[0][2]
    assert alice.account_verify_credentials().followers_count == 0
    assert carol.account_relationships(alice_at_initech.id)[0].following is False

    # acme and globex federate: follow, post, reply.
    guru_at_acme = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(guru_at_acme.id)
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following, message="alice follows guru")
    alice_at_globex = guru.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
    guru.account_follow(alice_at_globex.id)
    eventually(lambda: guru.account_relationships(alice_at_globex.id)[0].following, message="guru follows alice")
    post = guru.status_post("notes from globex")
    seen = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == post.uri), None),
                      message="guru's post reaches alice")
    reply = alice.status_post("@guru@globex.test thanks", in_reply_to_id=seen.id)
    eventually(lambda: [s for s in guru.status_context(post.id).descendants if s.uri == reply.uri],
               message="alice's reply reaches guru")

    # An acme user mentioning someone on initech sends initech nothing.
    alice.status_post("@carol@initech.test are you there?")
    alice.status_post("a public post for all of alice's followers")
    eventually(lambda: [s for s in guru.timeline_home() if "all of alice" in s.content],
               message="alice's post reaches guru")
    assert acme_inbox_items_at(initech) == []
    assert deliveries_to(acme, "initech.test") == []

    # When acme takes globex off its list, without a restart: follows end, nothing crosses any more.
    acme.cli("domain", "disallow", "globex.test")
    assert alice.account_relationships(guru_at_acme.id)[0].following is False
    assert alice.account_relationships(guru_at_acme.id)[0].followed_by is False
    time.sleep(1.2)
    late = guru.status_post("globex after the cut")
    failed = eventually(lambda: [d for d in deliveries_to(globex, "acme.test")
                                 if d[0] == "failed" and "after the cut" in d[2]],
                        message="globex's delivery refused by acme")
    assert "403" in failed[0][1]
    assert not [s for s in alice.timeline_public(remote=True) if s.uri == late.uri]
    before = len(guru.timeline_home())
    received_from_acme = acme_inbox_items_at(globex)
    alice.status_post("@guru@globex.test acme after the cut")
    # Once acme's fan-out job for the post is done (and gone) and its delivery queue is empty, whatever
    # it would send has been sent, and globex stores what it accepts before answering.
    eventually(lambda: sql(acme, "SELECT count(*) FROM fanouts WHERE payload LIKE '%acme after the cut%'")
               == [(0,)] and sql(acme, "SELECT count(*) FROM deliveries WHERE state = 'pending'") == [(0,)],
               message="acme fans the post out and has nothing left to deliver")
    assert acme_inbox_items_at(globex) == received_from_acme
    assert not [s for s in guru.timeline_home() if "acme after the cut" in s.content]
    assert len(guru.timeline_home()) == before
    assert not [d for d in deliveries_to(acme, "globex.test") if "acme after the cut" in d[2]]
    assert acme_inbox_items_at(initech) == []
