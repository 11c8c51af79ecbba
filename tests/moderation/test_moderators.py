"""The moderator role (Mastodon's Moderator): reports and account actions on the admin API and pages,
never federation, account deletion, or anything done to an admin or another moderator."""
from __future__ import annotations

from social import admin_accounts, moderation
from tests.moderation.test_admin_pages import csrf_of, signed_in

ADMIN = "read write follow admin:read admin:write"


async def moderator(node, name: str):  # noqa: ANN001, ANN201
    """A person made a moderator the way `backchannel user role NAME moderator` does it."""
    person = await node.person(name, scopes=ADMIN)
    await admin_accounts.set_role(node.rt, name, "moderator")
    return person


async def test_a_moderator_handles_reports_and_accounts_through_the_api(node):
    # Given a moderator, an admin, another moderator, and alice, reported by bob
    mod = await moderator(node, "mod")
    boss = await node.person("boss", admin=True, scopes=ADMIN)
    other = await moderator(node, "othermod")
    alice, bob = await node.person("alice"), await node.person("bob")
    report = await (await bob.post("/api/v1/reports", json={"account_id": alice.id, "comment": "spam"})).json()
    # Then the moderator's role is shown as Mastodon's Moderator
    me = await (await mod.get("/api/v1/accounts/verify_credentials")).json()
    assert me["role"]["name"] == "Moderator" and me["role"]["id"] == "1"
    # And they read and resolve reports, and list and see accounts
    assert (await mod.get("/api/v1/admin/reports")).status == 200
    resolved = await mod.post(f"/api/v1/admin/reports/{report['id']}/resolve")
    assert resolved.status == 200 and (await resolved.json())["action_taken"] is True
    listed = await (await mod.get("/api/v2/admin/accounts?permissions=staff")).json()
    assert {a["username"] for a in listed} == {"mod", "boss", "othermod"}
    assert (await mod.get(f"/api/v1/admin/accounts/{alice.id}")).status == 200
    # And they silence, suspend and unsuspend alice
    for path, body in ((f"/api/v1/admin/accounts/{alice.id}/action", {"type": "silence"}),
                       (f"/api/v1/admin/accounts/{alice.id}/action", {"type": "suspend"}),
                       (f"/api/v1/admin/accounts/{alice.id}/unsuspend", {})):
        assert (await mod.post(path, json=body)).status == 200, path
    # But they cannot touch domains or federation, delete an account, or act on staff
    refused = [
        await mod.get("/api/v1/admin/domain_blocks"),
        await mod.post("/api/v1/admin/domain_blocks", json={"domain": "spam.example"}),
        await mod.get("/api/v1/admin/domain_allows"),
        await mod.put("/api/v1/admin/federation", json={"mode": "open"}),
        await mod.delete(f"/api/v1/admin/accounts/{bob.id}"),
        await mod.post(f"/api/v1/admin/accounts/{boss.id}/action", json={"type": "suspend"}),
        await mod.post(f"/api/v1/admin/accounts/{other.id}/action", json={"type": "disable"}),
        await mod.post(f"/api/v1/admin/accounts/{other.id}/unsilence"),
    ]
    assert [r.status for r in refused] == [403] * len(refused)
    assert await moderation.list_domain_blocks(node.rt) == []
    assert (await boss.get(f"/api/v1/admin/accounts/{bob.id}")).status == 200  # bob is still there
    boss_account = await (await boss.get(f"/api/v1/admin/accounts/{boss.id}")).json()
    assert boss_account["suspended"] is False and boss_account["role"]["name"] == "Owner"
    # And an admin still may do all of it
    assert (await boss.post("/api/v1/admin/domain_blocks", json={"domain": "spam.example"})).status == 200
    assert (await boss.post(f"/api/v1/admin/accounts/{other.id}/action", json={"type": "silence"})).status == 200


async def test_a_moderator_uses_the_reports_and_accounts_pages_not_domains(node):
    # Given a moderator signed in to the admin pages, an admin, and alice
    await moderator(node, "mod")
    boss = await node.person("boss", admin=True)
    alice = await node.person("alice")
    client = await signed_in(node, "mod")
    try:
        # Then the reports and accounts pages open, and the menu does not offer domains
        reports = await client.get("/admin/reports")
        assert reports.status == 200 and "/admin/domains" not in await reports.text()
        accounts = await client.get("/admin/accounts")
        page = await accounts.text()
        assert accounts.status == 200
        token = csrf_of(page)
        # And the domains page and its actions are refused
        assert (await client.get("/admin/domains")).status == 403
        blocked = await client.post("/admin/domains/block", data={"domain": "spam.example", "csrf": token})
        assert blocked.status == 403 and await moderation.list_domain_blocks(node.rt) == []
        # And alice can be silenced, but the admin cannot be suspended
        done = await client.post(f"/admin/accounts/{alice.id}/silence", data={"csrf": token}, allow_redirects=False)
        assert done.status == 303
        refused = await client.post(f"/admin/accounts/{boss.id}/suspend", data={"csrf": token})
        assert refused.status == 403
        assert (await (await boss.get(f"/api/v1/accounts/{boss.id}")).json())["id"] == boss.id
        # And once `user role mod user` is run, their next request is sent to sign in
        await admin_accounts.set_role(node.rt, "mod", "user")
        assert (await client.get("/admin/reports", allow_redirects=False)).headers["Location"] == "/admin/sign_in"
    finally:
        await client.close()

