"""A moderator's "force sensitive" (`POST /api/v1/admin/accounts/:id/action` with type=sensitive,
undone by `…/unsensitive`), for a person of this node and one of another server, on a real node with
a real remote server, through Mastodon.py: their new posts and edits are sensitive whatever they say,
a local person's also as they are sent out; earlier posts keep their flag; unsensitive ends it. And
reports a moderator takes (`assign_to_self`) and lets go (`unassign`)."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.attacks.hostile import send
from tests.rig.fake_remote import FakeRemote, create, note
from tests.rig.nodes import Node, free_port

ADMIN_SCOPES = "read write follow admin:read admin:write"


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    remote = FakeRemote("globex.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"globex.test": remote.port}).start()
    node.create_user("boss", "--admin")
    node.create_user("troll")
    node.create_user("alice")
    yield node, remote
    node.stop()
    remote.stop()


def test_a_sensitized_persons_new_posts_are_sensitive_here_and_as_sent_until_unsensitized(arena):
    node, remote = arena
    boss = node.mastodon(node.token("boss", ADMIN_SCOPES))
    troll = node.mastodon(node.token("troll"))
    alice = node.mastodon(node.token("alice"))
    # Given a local person and a remote one, each with a post from before
    before = troll.status_post("an ordinary post")
    shouter = remote.add_actor(f"shouter{time.time_ns()}")
    send(node, shouter, create(shouter, note(shouter, "a remote post from before")))
    there = alice.search_v2(f"{shouter.username}@globex.test", resolve=True)["accounts"][0]
    me = troll.me()
    # When a moderator marks both sensitive
    for account_id in (me["id"], there["id"]):
        boss.admin_account_moderate(account_id, action="sensitive")
        assert boss.admin_account(account_id)["sensitized"] is True
    # Then their new posts are sensitive though they did not say so
    after = troll.status_post("a post after the warning", sensitive=False)
    assert after["sensitive"] is True
    late = note(shouter, "a remote post after the warning")
    send(node, shouter, create(shouter, late))
    shown = {s["content"]: s["sensitive"] for s in alice.account_statuses(there["id"])}
    assert shown == {"<p>a remote post from before</p>": False, "<p>a remote post after the warning</p>": True}
    # also as the local post is served to other servers, and an edit cannot clear it
    served = requests.get(node.base + urlsplit(after["uri"]).path, headers={"Accept": "application/activity+json"}, timeout=30).json()
    assert served["sensitive"] is True
    assert troll.status_update(after["id"], "edited, still warned", sensitive=False)["sensitive"] is True
    # while the earlier post keeps its own flag
    assert troll.status(before["id"])["sensitive"] is False
    # When the moderator lifts it, new posts are as their author says again
    boss.admin_account_unsensitive(me["id"])
    assert boss.admin_account(me["id"])["sensitized"] is False
    assert troll.status_post("a post after the lift")["sensitive"] is False


def test_a_moderator_takes_a_report_and_lets_it_go(arena):
    node, _ = arena
    boss = node.mastodon(node.token("boss", ADMIN_SCOPES))
    alice = node.mastodon(node.token("alice"))
    troll = node.mastodon(node.token("troll"))
    rude = troll.status_post("something rude")
    report = alice.report(troll.me()["id"], status_ids=[rude["id"]], comment="rude")
    assert boss.admin_report(report["id"])["assigned_account"] is None
    taken = boss.admin_report_assign(report["id"])
    assert taken["assigned_account"]["username"] == "boss"
    assert boss.admin_reports()[0]["assigned_account"]["username"] == "boss"
    assert boss.admin_report_unassign(report["id"])["assigned_account"] is None
    # Someone without the admin role cannot take one
    refused = requests.post(f"{node.base}/api/v1/admin/reports/{report['id']}/assign_to_self",
                            headers={"Authorization": f"Bearer {node.token('alice', ADMIN_SCOPES)}"}, timeout=30)
    assert refused.status_code == 403
    missing = requests.post(f"{node.base}/api/v1/admin/reports/1/assign_to_self",
                            headers={"Authorization": f"Bearer {node.token('boss', ADMIN_SCOPES)}"}, timeout=30)
    assert missing.status_code == 404
