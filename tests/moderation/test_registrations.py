"""Sign-up through the Mastodon API, per the `registrations` setting, and invites."""
from __future__ import annotations

import dataclasses

import pytest

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from social import moderation, registrations
from tests.api.conftest import ApiNode, node_config, settle


def _node(mode: str):
    @pytest.fixture
    async def fixture(aiohttp_client, tmp_path):
        config = dataclasses.replace(node_config(tmp_path), registrations=mode)
        app = create_app(config)
        client = await aiohttp_client(app)
        yield ApiNode(client, app[RUNTIME])
        await settle(app[RUNTIME])
    return fixture


closed_node = _node("closed")
approval_node = _node("approval")
open_node = _node("open")


async def app_token(node: ApiNode) -> tuple[dict, str]:
    app = await (await node.client.post("/api/v1/apps", json={
        "client_name": "signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"})).json()
    token = await (await node.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read write"})).json()
    return app, token["access_token"]


async def sign_up(node: ApiNode, token: str, username: str, **extra):
    return await node.client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}, json={
        "username": username, "email": f"{username}@example.com", "password": "a long password",
        "agreement": True, "locale": "en", **extra})


async def password_grant(node: ApiNode, app: dict, username: str):
    return await node.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": "a long password", "scope": "read"})


async def test_closed_refuses_sign_up_but_an_invite_lets_one_in(closed_node):
    node = closed_node
    app, token = await app_token(node)
    assert (await sign_up(node, token, "walkin")).status == 403
    invite = await registrations.create_invite(node.rt, max_uses=1, expires_in_hours=1)
    response = await sign_up(node, token, "invited", invite_code=invite.code)
    assert response.status == 200, await response.text()
    body = await response.json()
    me = await node.client.get("/api/v1/accounts/verify_credentials",
                               headers={"Authorization": f"Bearer {body['access_token']}"})
    assert (await me.json())["username"] == "invited"
    # used up
    assert (await sign_up(node, token, "second", invite_code=invite.code)).status == 422
    assert (await sign_up(node, token, "third", invite_code="nonsense")).status == 422


async def test_sign_up_needs_an_app_token_and_agreement(open_node):
    node = open_node
    person = await node.person("someone")
    response = await node.client.post("/api/v1/accounts", headers=person.headers(), json={
        "username": "x", "email": "x@example.com", "password": "a long password", "agreement": True})
    assert response.status == 403
    _, token = await app_token(node)
    assert (await sign_up(node, token, "noagree", agreement=False)).status == 422
    assert (await sign_up(node, token, "someone")).status == 422  # taken
    response = await sign_up(node, token, "newbie")
    assert response.status == 200
    assert (await response.json())["access_token"]


async def test_approval_waits_for_an_admin(approval_node):
    node = approval_node
    app, token = await app_token(node)
    response = await sign_up(node, token, "hopeful", reason="I work here")
    assert response.status == 200
    assert (await response.json())["access_token"] is None
    assert (await password_grant(node, app, "hopeful")).status == 400

    boss = await node.person("boss", admin=True, scopes="admin:read admin:write")
    pending = await (await boss.get("/api/v2/admin/accounts", params={"status": "pending"})).json()
    assert [(a["username"], a["approved"], a["invite_request"]) for a in pending] == [
        ("hopeful", False, "I work here")]
    assert (await boss.post(f"/api/v1/admin/accounts/{pending[0]['id']}/approve")).status == 200
    response = await password_grant(node, app, "hopeful")
    assert response.status == 200, await response.text()

    await sign_up(node, token, "unwanted")
    unwanted = await moderation.find_account(node.rt, "unwanted")
    assert (await boss.post(f"/api/v1/admin/accounts/{unwanted.id}/reject")).status == 200
    assert (await password_grant(node, app, "unwanted")).status == 400
