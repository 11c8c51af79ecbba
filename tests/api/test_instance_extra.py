"""The smaller instance endpoints: peers, weekly activity, descriptions, rules, public domain blocks."""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from models import accounts, moderation
from tests.api.conftest import node_config, settle


async def _remote(node, username: str, domain: str) -> None:  # noqa: ANN001
    async with node.rt.db.write() as conn:
        await accounts.upsert_remote(conn, {"username": username, "domain": domain,
                                            "uri": f"https://{domain}/users/{username}"})


async def _block(node, domain: str, severity: str, comment: str = "") -> None:  # noqa: ANN001
    async with node.rt.db.write() as conn:
        await moderation.upsert_domain_block(conn, domain, severity=severity, public_comment=comment,
                                             private_comment="internal only")
    node.rt.policy.invalidate()


async def test_peers_are_known_domains_without_suspended_ones(node):
    await _remote(node, "ann", "beta.example")
    await _remote(node, "bo", "beta.example")
    await _remote(node, "cy", "gamma.example")
    await _remote(node, "di", "spam.example")
    await _remote(node, "ed", "sub.spam.example")
    await _remote(node, "fi", "quiet.example")
    await node.person("alice")  # local accounts are not peers
    await _block(node, "spam.example", "suspend", "spam")
    await _block(node, "quiet.example", "silence")

    peers = await (await node.client.get("/api/v1/instance/peers")).json()
    assert peers == ["beta.example", "gamma.example", "quiet.example"]


async def test_public_domain_blocks_carry_severity_comment_and_digest(node):
    await _block(node, "spam.example", "suspend", "floods everyone")
    await _block(node, "quiet.example", "silence")
    await _block(node, "watch.example", "noop")
    blocks = await (await node.client.get("/api/v1/instance/domain_blocks")).json()
    assert blocks == [
        {"domain": "quiet.example", "digest": hashlib.sha256(b"quiet.example").hexdigest(),
         "severity": "silence"},
        {"domain": "spam.example", "digest": hashlib.sha256(b"spam.example").hexdigest(),
         "severity": "suspend", "comment": "floods everyone"},
    ]


async def test_activity_counts_this_weeks_posts_sign_ins_and_sign_ups(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    await node.token(alice, "read")
    for text in ("one", "two", "three"):
        await alice.post_status(text)
    await bob.post_status("four")

    weeks = await (await node.client.get("/api/v1/instance/activity")).json()
    assert len(weeks) == 12
    assert set(weeks[0]) == {"week", "statuses", "logins", "registrations"}
    assert all(isinstance(v, str) for w in weeks for v in w.values())
    this_week = datetime.fromtimestamp(int(weeks[0]["week"]), timezone.utc)
    assert this_week.weekday() == 0 and this_week.timestamp() <= time.time()
    assert int(weeks[0]["week"]) - int(weeks[1]["week"]) == 7 * 86400
    assert weeks[0]["statuses"] == "4" and weeks[0]["registrations"] == "2" and weeks[0]["logins"] == "3"
    assert all(w["statuses"] == "0" for w in weeks[1:])


async def test_descriptions_rules_translations_emojis_announcements(node):
    alice = await node.person("alice")
    extended = await (await node.client.get("/api/v1/instance/extended_description")).json()
    assert extended["content"] == "<p>A Backchannel node</p>" and extended["updated_at"].endswith("Z")
    assert await (await node.client.get("/api/v1/instance/rules")).json() == []
    assert await (await node.client.get("/api/v1/instance/translation_languages")).json() == {}
    assert await (await node.client.get("/api/v1/custom_emojis")).json() == []
    assert await (await alice.get("/api/v1/announcements")).json() == []


@pytest.mark.parametrize("mode, enabled, approval", [("closed", False, False), ("approval", True, True),
                                                     ("open", True, False)])
async def test_instance_reports_the_registrations_setting(tmp_path, mode, enabled, approval):
    from dataclasses import replace

    app = create_app(replace(node_config(tmp_path), registrations=mode))
    async with TestClient(TestServer(app)) as client:
        v2 = await (await client.get("/api/v2/instance")).json()
        v1 = await (await client.get("/api/v1/instance")).json()
        await settle(app[RUNTIME])
    assert v2["registrations"] == {"enabled": enabled, "approval_required": approval,
                                   "message": None, "url": None}
    assert (v1["registrations"], v1["approval_required"]) == (enabled, approval)


async def test_peers_in_allowlist_mode_are_only_allowed_domains(tmp_path):
    from dataclasses import replace

    from tests.api.conftest import ApiNode

    app = create_app(replace(node_config(tmp_path), federation_mode="allowlist"))
    async with TestClient(TestServer(app)) as client:
        node = ApiNode(client, app[RUNTIME])
        await _remote(node, "ann", "beta.example")
        await _remote(node, "cy", "gamma.example")
        async with node.rt.db.write() as conn:
            await moderation.add_domain_allow(conn, "gamma.example")
        node.rt.policy.invalidate()
        peers = await (await client.get("/api/v1/instance/peers")).json()
        await settle(node.rt)
    assert peers == ["gamma.example"]
