"""A report about a remote account, forwarded: the account's own server gets it as a report for its
admins (a Flag from the reporting node's instance actor, so the reporter stays anonymous)."""
from __future__ import annotations

import pytest
import requests
from mastodon import MastodonAPIError

from tests.rig.nodes import eventually, start_cluster

DOMAINS = ["acme.test", "globex.test"]
ADMIN_SCOPES = "read write follow admin:read admin:write"


@pytest.fixture
def cluster(tmp_path):
    nodes = start_cluster(DOMAINS, tmp_path)
    yield nodes
    for node in nodes.values():
        node.stop()


def test_a_forwarded_report_reaches_the_remote_admins(cluster):
    acme, globex = (cluster[d] for d in DOMAINS)
    acme.create_user("alice")
    acme.create_user("boss", "--admin")
    globex.create_user("guru")
    globex.create_user("admin", "--admin")
    alice = acme.mastodon(acme.token("alice"))
    guru = globex.mastodon(globex.token("guru"))
    post = guru.status_post("an offensive post")
    guru_at_acme = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(guru_at_acme.id)
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following, message="alice follows guru")
    post2 = guru.status_post("another offensive post")
    seen = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == post2.uri), None),
                      message="guru's post at acme")

    report = alice.report(guru_at_acme.id, status_ids=[seen.id], comment="this is abuse", forward=True,
                          category="violation")
    assert report.forwarded is True

    # acme's admins have it, with alice as the reporter,
    boss = acme.mastodon(acme.token("boss", scopes=ADMIN_SCOPES))
    local = boss.admin_reports()
    assert [(r.account.username, r.target_account.account.acct) for r in local] == [("alice", "guru@globex.test")]
    # and globex's admins get it from acme, about guru and his post, without alice's name.
    admin_token = globex.token("admin", scopes=ADMIN_SCOPES)
    url = globex.base + "/api/v1/admin/reports"

    def arrived():
        reports = requests.get(url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10).json()
        return reports if reports else None

    reports = eventually(arrived, message="the forwarded report on globex")
    assert len(reports) == 1
    forwarded = reports[0]
    assert forwarded["target_account"]["username"] == "guru" and forwarded["target_account"]["domain"] is None
    assert forwarded["comment"] == "this is abuse"
    assert [s["uri"] for s in forwarded["statuses"]] == [post2.uri]
    assert forwarded["account"]["domain"] == "acme.test"
    assert "alice" not in str(forwarded["account"])
    assert post.uri not in str(forwarded)

    # globex's admin resolves it with the CLI.
    listing = globex.cli("report", "list")
    assert "open  other: guru@globex.test reported by acme.test@acme.test" in listing
    assert "this is abuse" in listing
    assert f"report #{forwarded['id']} resolved" in globex.cli("report", "resolve", forwarded["id"])
    assert globex.cli("report", "list").strip() == "no unresolved reports"

    # Suspending a local account tells the servers that know it: globex drops alice and the follow.
    alice_at_globex = guru.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
    guru.account_follow(alice_at_globex.id)
    eventually(lambda: guru.account_relationships(alice_at_globex.id)[0].following, message="guru follows alice")
    assert acme.cli("account", "suspend", "alice").strip() == "suspended alice@acme.test"
    guru_id = guru.account_verify_credentials().id
    eventually(lambda: guru.account_following(guru_id) == [], message="globex applied the Delete of alice")
    assert not guru.search("alice@acme.test", result_type="accounts").accounts
    with pytest.raises(MastodonAPIError):
        alice.account_verify_credentials()
