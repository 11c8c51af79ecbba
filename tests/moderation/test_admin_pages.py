"""The admin pages: sign-in with a session cookie, admins only, CSRF on every form, escaped output."""
from __future__ import annotations

import re

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from social import moderation, registrations
from tests.api.conftest import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r"name=csrf value='([^']+)'", html).group(1)


async def signed_in(node, login: str) -> TestClient:
    client = TestClient(node.client.server, cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    response = await client.post("/admin/sign_in", data={"login": login, "password": PASSWORD},
                                 allow_redirects=False)
    assert response.status == 303, await response.text()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    return client


async def test_only_admins_get_in(node):
    await node.person("alice")
    assert (await node.client.get("/admin/reports", allow_redirects=False)).headers["Location"] == "/admin/sign_in"
    response = await node.client.post("/admin/sign_in", data={"login": "alice", "password": PASSWORD})
    assert response.status == 403
    response = await node.client.post("/admin/sign_in", data={"login": "alice", "password": "wrong"})
    assert response.status == 401
    forged = await node.client.get("/admin/reports", allow_redirects=False,
                                   cookies={"backchannel_admin": "1.9999999999.deadbeef"})
    assert forged.status == 303


async def test_domains_form_needs_csrf_and_escapes(node):
    boss = await node.person("boss", admin=True)
    client = await signed_in(node, "boss")
    try:
        page = await (await client.get("/admin/domains")).text()
        token = csrf_of(page)
        refused = await client.post("/admin/domains/block", data={"domain": "spam.example", "csrf": "nope"})
        assert refused.status == 403
        assert await moderation.list_domain_blocks(node.rt) == []
        done = await client.post("/admin/domains/block", data={
            "domain": "spam.example", "severity": "silence", "public_comment": "<script>x</script>",
            "csrf": token}, allow_redirects=False)
        assert done.status == 303
        page = await (await client.get("/admin/domains")).text()
        assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
        [block] = await moderation.list_domain_blocks(node.rt)
        assert (block.domain, block.severity) == ("spam.example", "silence")
        bad = await client.post("/admin/domains/block", data={"domain": "not a domain", "csrf": token})
        assert bad.status == 422 and "not a domain name" in await bad.text()
        await client.post("/admin/domains/unblock", data={"domain": "spam.example", "csrf": token})
        await client.post("/admin/domains/allow", data={"domain": "globex.test", "csrf": token})
        assert [a.domain for a in await moderation.list_domain_allows(node.rt)] == ["globex.test"]

        # reports: resolve button
        troll = await node.person("troll", scopes="read write")
        alice = await node.person("alice")
        report = await moderation.create_report(node.rt, alice.account, troll.account.id, comment="<b>mean</b>")
        page = await (await client.get("/admin/reports")).text()
        assert "&lt;b&gt;mean&lt;/b&gt;" in page
        await client.post(f"/admin/reports/{report.id}/resolve", data={"csrf": token})
        assert (await moderation.get_report(node.rt, report.id)).resolved

        # accounts: mark sensitive (its new posts are), then suspend: the troll's token is dead
        await client.post(f"/admin/accounts/{troll.account.id}/sensitive", data={"csrf": token})
        assert (await troll.post_status("shouting"))["sensitive"] is True
        assert "sensitive" in await (await client.get("/admin/accounts", params={"username": "troll"})).text()
        page = await (await client.get("/admin/accounts")).text()
        assert f"/admin/accounts/{troll.account.id}/suspend" in page
        assert f"/admin/accounts/{boss.account.id}/suspend" not in page
        await client.post(f"/admin/accounts/{troll.account.id}/suspend", data={"csrf": token})
        assert (await troll.get("/api/v1/accounts/verify_credentials")).status in (401, 403)
        assert (await client.post(f"/admin/accounts/{boss.account.id}/suspend",
                                  data={"csrf": token})).status == 403

        # losing admin rights ends the session at once
        from sqlalchemy import update

        from models.schema import users
        async with node.rt.db.write() as conn:
            await conn.execute(update(users).where(users.c.id == boss.user.id).values(admin=False))
        assert (await client.get("/admin/domains", allow_redirects=False)).status == 303
    finally:
        await client.close()


async def test_invite_sign_up_page(node):
    invite = await registrations.create_invite(node.rt, max_uses=1)
    client = TestClient(node.client.server, cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    try:
        page = await (await client.get(f"/invite/{invite.code}")).text()
        token = csrf_of(page)
        fields = {"username": "newbie", "email": "newbie@example.com", "password": "a long password",
                  "agreement": "1"}
        assert (await client.post(f"/invite/{invite.code}", data={**fields, "csrf": "x"})).status == 403
        done = await client.post(f"/invite/{invite.code}", data={**fields, "csrf": token})
        welcome = await done.text()
        assert done.status == 200 and "@newbie@acme.test" in welcome and '<a href="/auth/sign_in">Sign in</a>' in welcome
        # and the account signs in on the web at once
        signed = await client.post("/auth/sign_in", data={"login": "newbie", "password": "a long password"},
                                   allow_redirects=False)
        assert signed.status == 303 and signed.headers["Location"] == "/home"
        assert (await client.get(f"/invite/{invite.code}")).status == 404  # used up
    finally:
        await client.close()


async def test_the_federation_mode_is_changed_from_the_domains_page(node):
    # Given an admin signed in to the admin pages of a node in blocklist mode
    await node.person("boss", admin=True)
    client = await signed_in(node, "boss")
    try:
        page = await (await client.get("/admin/domains")).text()
        assert "Federation mode: <strong>blocklist</strong>" in page
        token = csrf_of(page)
        # A forged form (no CSRF token) changes nothing
        assert (await client.post("/admin/domains/mode", data={"mode": "open", "csrf": "nope"})).status == 403
        # When the admin picks allowlist
        done = await client.post("/admin/domains/mode", data={"mode": "allowlist", "csrf": token},
                                 allow_redirects=False)
        # Then it is stored and shown, and the policy follows
        assert done.status == 303
        assert await node.rt.policy.mode() == "allowlist"
        assert "Federation mode: <strong>allowlist</strong>" in await (await client.get("/admin/domains")).text()
        assert not await node.rt.policy.allows("globex.test")
        # A mode that does not exist is refused with the reason, and changes nothing
        bad = await client.post("/admin/domains/mode", data={"mode": "sometimes", "csrf": token})
        assert bad.status == 422 and "sometimes" in await bad.text()
        assert await node.rt.policy.mode() == "allowlist"
    finally:
        await client.close()
