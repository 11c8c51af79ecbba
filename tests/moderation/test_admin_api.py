"""The admin API in-process: who may use it, and what each endpoint does."""
from __future__ import annotations

from models import accounts

ADMIN = "read write follow admin:read admin:write"


async def test_admin_scopes_without_admin_role_is_403(node):
    mallory = await node.person("mallory", scopes=ADMIN)
    for path in ("/api/v1/admin/reports", "/api/v1/admin/accounts", "/api/v1/admin/domain_blocks"):
        response = await mallory.get(path)
        assert response.status == 403, path
        assert (await response.json())["error"] == "This action is not allowed"
    response = await mallory.post("/api/v1/admin/domain_blocks", json={"domain": "spam.example"})
    assert response.status == 403


async def test_admin_without_admin_scopes_is_403(node):
    boss = await node.person("boss", admin=True, scopes="read write follow")
    response = await boss.get("/api/v1/admin/reports")
    assert response.status == 403
    assert (await response.json())["error"] == "This action is outside the authorized scopes"
    # a granular scope covers only its own kind
    token = await node.token(boss, "admin:read:reports")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await node.client.get("/api/v1/admin/reports", headers=headers)).status == 200
    assert (await node.client.get("/api/v1/admin/accounts", headers=headers)).status == 403
    assert (await node.client.get("/api/v1/admin/reports")).status == 401


async def test_domain_blocks_crud(node):
    boss = await node.person("boss", admin=True, scopes=ADMIN)
    response = await boss.post("/api/v1/admin/domain_blocks", json={
        "domain": "Spam.Example.", "severity": "suspend", "public_comment": "spam", "private_comment": "ugh"})
    assert response.status == 200, await response.text()
    block = await response.json()
    assert block["domain"] == "spam.example"
    assert block["severity"] == "suspend" and block["public_comment"] == "spam"
    assert (await boss.post("/api/v1/admin/domain_blocks", json={"domain": "spam.example"})).status == 422
    assert not (await node.rt.policy.check("spam.example")).allowed
    response = await boss.put(f"/api/v1/admin/domain_blocks/{block['id']}", json={"severity": "silence"})
    assert (await response.json())["severity"] == "silence"
    node.rt.policy.invalidate()
    verdict = await node.rt.policy.check("www.spam.example")
    assert verdict.allowed and verdict.silenced
    listed = await (await boss.get("/api/v1/admin/domain_blocks")).json()
    assert [b["domain"] for b in listed] == ["spam.example"]
    assert (await boss.delete(f"/api/v1/admin/domain_blocks/{block['id']}")).status == 200
    assert await (await boss.get("/api/v1/admin/domain_blocks")).json() == []
    assert (await boss.get(f"/api/v1/admin/domain_blocks/{block['id']}")).status == 404


async def test_domain_allows_crud(node):
    boss = await node.person("boss", admin=True, scopes=ADMIN)
    allow = await (await boss.post("/api/v1/admin/domain_allows", json={"domain": "globex.test"})).json()
    assert allow["domain"] == "globex.test"
    assert [a["domain"] for a in await (await boss.get("/api/v1/admin/domain_allows")).json()] == ["globex.test"]
    assert (await boss.delete(f"/api/v1/admin/domain_allows/{allow['id']}")).status == 200
    assert await (await boss.get("/api/v1/admin/domain_allows")).json() == []


async def test_account_actions_and_reports(node):
    boss = await node.person("boss", admin=True, scopes=ADMIN)
    troll = await node.person("troll")
    alice = await node.person("alice")
    post = await troll.post_status("something nasty")

    response = await alice.post("/api/v1/reports", json={
        "account_id": troll.id, "status_ids": [post["id"]], "comment": "rude", "category": "violation"})
    assert response.status == 200, await response.text()
    report = await response.json()
    assert report["target_account"]["id"] == troll.id and report["status_ids"] == [post["id"]]
    # posts of someone else cannot be attached
    other = await alice.post_status("mine")
    bad = await alice.post("/api/v1/reports", json={"account_id": troll.id, "status_ids": [other["id"]]})
    assert bad.status == 422

    listed = await (await boss.get("/api/v1/admin/reports")).json()
    assert [r["id"] for r in listed] == [report["id"]]
    assert listed[0]["account"]["username"] == "alice"
    assert listed[0]["target_account"]["account"]["acct"] == "troll"
    assert [s["id"] for s in listed[0]["statuses"]] == [post["id"]]

    # silence: out of the public timeline
    assert (await boss.post(f"/api/v1/admin/accounts/{troll.id}/action", json={"type": "silence"})).status == 200
    shown = await (await alice.get("/api/v1/timelines/public")).json()
    assert post["id"] not in [s["id"] for s in shown]
    assert (await (await boss.get(f"/api/v1/admin/accounts/{troll.id}")).json())["silenced"] is True
    await boss.post(f"/api/v1/admin/accounts/{troll.id}/unsilence")
    shown = await (await alice.get("/api/v1/timelines/public")).json()
    assert post["id"] in [s["id"] for s in shown]

    # disable: the token stops working; enable: it works again
    await boss.post(f"/api/v1/admin/accounts/{troll.id}/action", json={"type": "disable"})
    assert (await troll.get("/api/v1/accounts/verify_credentials")).status == 403
    await boss.post(f"/api/v1/admin/accounts/{troll.id}/enable")
    assert (await troll.get("/api/v1/accounts/verify_credentials")).status == 200

    # suspend (resolving the report): tokens revoked
    response = await boss.post(f"/api/v1/admin/accounts/{troll.id}/action",
                               json={"type": "suspend", "report_id": report["id"]})
    assert response.status == 200
    assert (await troll.get("/api/v1/accounts/verify_credentials")).status in (401, 403)
    body = await (await boss.get(f"/api/v1/admin/accounts/{troll.id}")).json()
    assert body["suspended"] is True and body["email"] == "troll@example.com"
    resolved = await (await boss.get(f"/api/v1/admin/reports/{report['id']}")).json()
    assert resolved["action_taken"] is True
    assert resolved["action_taken_by_account"]["username"] == "boss"
    assert await (await boss.get("/api/v1/admin/reports")).json() == []
    reopened = await (await boss.post(f"/api/v1/admin/reports/{report['id']}/reopen")).json()
    assert reopened["action_taken"] is False

    v2 = await (await boss.get("/api/v2/admin/accounts", params={"status": "suspended"})).json()
    assert [a["username"] for a in v2] == ["troll"]
    v2 = await (await boss.get("/api/v2/admin/accounts", params={"origin": "local", "username": "ali"})).json()
    assert [a["username"] for a in v2] == ["alice"]
    await boss.post(f"/api/v1/admin/accounts/{troll.id}/unsuspend")
    assert (await (await boss.get(f"/api/v1/admin/accounts/{troll.id}")).json())["suspended"] is False

    # delete: the account's login and posts are gone
    assert (await boss.delete(f"/api/v1/admin/accounts/{troll.id}")).status == 200
    async with node.rt.db.read() as conn:
        assert await accounts.user_by_login(conn, "troll") is None
    assert (await alice.get(f"/api/v1/statuses/{post['id']}")).status == 404
    # an admin cannot suspend themselves
    response = await boss.post(f"/api/v1/admin/accounts/{boss.id}/action", json={"type": "suspend"})
    assert response.status == 403


async def test_silencing_a_domain_silences_its_known_accounts(node):
    from sqlalchemy import insert

    from models.ids import new_id
    from models.schema import accounts as accounts_table
    from social import moderation

    async with node.rt.db.write() as conn:
        for name, domain in (("one", "spam.example"), ("two", "www.spam.example"), ("three", "fine.example"),
                             ("four", "spam.example:8443"), ("five", "www.spam.example:8443"),
                             ("six", "notspam.example")):
            await conn.execute(insert(accounts_table).values(
                id=new_id(), username=name, domain=domain, uri=f"http://{domain}/users/{name}",
                created_at=0.0))
    picked = await moderation.find_account(node.rt, "three@fine.example")
    block = await moderation.block_domain(node.rt, "spam.example", "silence")

    async def silenced() -> set[str]:
        async with node.rt.db.read() as conn:
            found = await moderation.moderation.admin_accounts(conn, status="silenced")
        return {a.username for a in found}

    assert await silenced() == {"one", "two", "four", "five"}  # every port and subdomain, no look-alike
    await moderation.silence_account(node.rt, picked.id)
    await moderation.unblock_domain(node.rt, block_id=block.id)
    assert await silenced() == {"three"}


async def test_federation_mode_is_read_and_changed_through_the_admin_api(node):
    # Given a node in the default blocklist mode, and an admin
    boss = await node.person("boss", admin=True, scopes=ADMIN)
    assert await (await boss.get("/api/v1/admin/federation")).json() == {"mode": "blocklist"}
    assert await node.rt.policy.allows("globex.test")
    # When the admin switches to allowlist mode
    response = await boss.put("/api/v1/admin/federation", json={"mode": "allowlist"})
    # Then the stored mode changes and the policy follows at once: globex.test is not on the list
    assert response.status == 200 and await response.json() == {"mode": "allowlist"}
    assert await (await boss.get("/api/v1/admin/federation")).json() == {"mode": "allowlist"}
    assert not await node.rt.policy.allows("globex.test")
    # A mode that does not exist is a 422 and changes nothing
    for bad in ("sometimes", "", "ALLOWLIST"):
        assert (await boss.put("/api/v1/admin/federation", json={"mode": bad})).status == 422
    assert await (await boss.get("/api/v1/admin/federation")).json() == {"mode": "allowlist"}
    # A non-admin cannot change it
    mallory = await node.person("mallory", scopes=ADMIN)
    assert (await mallory.put("/api/v1/admin/federation", json={"mode": "open"})).status == 403
