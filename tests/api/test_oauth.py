"""OAuth 2: registering an app, the password, client-credentials and authorisation-code grants,
revocation and the server metadata."""
from __future__ import annotations

import asyncio
import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from tests.api.conftest import PASSWORD, ApiNode, node_config, settle

REDIRECT = "https://app.example/callback"


async def register(node, scopes: str = "read write follow push", redirect: str = REDIRECT) -> dict:
    response = await node.client.post("/api/v1/apps", data={
        "client_name": "Test app", "redirect_uris": redirect, "scopes": scopes,
        "website": "https://app.example"})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_register_app(node):
    app = await register(node)
    assert app["name"] == "Test app"
    assert app["redirect_uri"] == REDIRECT
    assert app["redirect_uris"] == [REDIRECT]
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert app["client_id"] and app["client_secret"] and app["vapid_key"]  # the node's VAPID key


async def test_register_app_with_json_and_several_redirects(node):
    response = await node.client.post("/api/v1/apps", json={
        "client_name": "Multi", "redirect_uris": [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]})
    app = await response.json()
    assert app["redirect_uris"] == [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]
    assert app["scopes"] == ["read"]


async def test_register_app_validates(node):
    assert (await node.client.post("/api/v1/apps", json={"redirect_uris": REDIRECT})).status == 422
    bad_scope = await node.client.post("/api/v1/apps", json={"client_name": "x", "scopes": "read admin"})
    assert bad_scope.status == 422
    assert (await node.client.post("/api/v1/apps", data=b"{not json",
                                   headers={"Content-Type": "application/json"})).status == 400


async def test_password_grant_by_username_or_email(node):
    await node.person("alice")
    app = await register(node)
    for login in ("alice", "alice@example.com"):
        response = await node.client.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": login, "password": PASSWORD, "scope": "read write follow push"})
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["token_type"] == "Bearer"
        assert body["scope"] == "read write follow push"
        assert isinstance(body["created_at"], int)
        me = await node.client.get("/api/v1/accounts/verify_credentials",
                                   headers={"Authorization": f"Bearer {body['access_token']}"})
        assert (await me.json())["acct"] == "alice"
    verified = await node.client.get("/api/v1/apps/verify_credentials",
                                     headers={"Authorization": f"Bearer {body['access_token']}"})
    assert (await verified.json())["name"] == "Test app"


async def test_password_grant_refusals(node):
    await node.person("alice")
    app = await register(node, scopes="read")
    base = {"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
            "username": "alice", "password": PASSWORD}
    wrong_password = await node.client.post("/oauth/token", data={**base, "password": "nope"})
    assert wrong_password.status == 400
    assert (await wrong_password.json())["error"] == "invalid_grant"
    wrong_secret = await node.client.post("/oauth/token", data={**base, "client_secret": "nope"})
    assert wrong_secret.status == 401
    assert (await wrong_secret.json())["error"] == "invalid_client"
    unregistered_scope = await node.client.post("/oauth/token", data={**base, "scope": "read write"})
    assert (await unregistered_scope.json())["error"] == "invalid_scope"
    unknown_grant = await node.client.post("/oauth/token", data={**base, "grant_type": "magic"})
    assert (await unknown_grant.json())["error"] == "unsupported_grant_type"


async def test_authorization_code_with_pkce(node):
    await node.person("alice")
    app = await register(node)
    verifier = "a-verifier-that-is-long-enough-to-be-realistic-0123456789"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT,
             "scope": "read write", "state": "xyz", "code_challenge": challenge,
             "code_challenge_method": "S256"}

    form = await node.client.get("/oauth/authorize", params=query)
    assert form.status == 200
    assert "Test app" in await form.text()
    assert form.headers["X-Frame-Options"] == "DENY"

    wrong = await node.client.post("/oauth/authorize", data={**query, "username": "alice", "password": "x",
                                                             "decision": "approve"}, allow_redirects=False)
    assert wrong.status == 401

    approved = await node.client.post("/oauth/authorize", data={
        **query, "username": "alice", "password": PASSWORD, "decision": "approve"}, allow_redirects=False)
    assert approved.status == 302
    location = urlsplit(approved.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    returned = parse_qs(location.query)
    assert returned["state"] == ["xyz"]
    code = returned["code"][0]

    exchange = {"grant_type": "authorization_code", "client_id": app["client_id"],
                "client_secret": app["client_secret"], "redirect_uri": REDIRECT, "code": code}
    without_verifier = await node.client.post("/oauth/token", data=exchange)
    assert without_verifier.status == 400  # and the code is now used up

    approved = await node.client.post("/oauth/authorize", data={
        **query, "username": "alice", "password": PASSWORD, "decision": "approve"}, allow_redirects=False)
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    response = await node.client.post("/oauth/token", data={**exchange, "code": code, "code_verifier": verifier})
    assert response.status == 200, await response.text()
    assert (await response.json())["scope"] == "read write"
    again = await node.client.post("/oauth/token", data={**exchange, "code": code, "code_verifier": verifier})
    assert (await again.json())["error"] == "invalid_grant"


async def test_authorize_refuses_unregistered_redirect_and_denial_redirects(node):
    app = await register(node)
    bad = await node.client.get("/oauth/authorize/", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": "https://evil.example/"})
    assert bad.status == 400
    denied = await node.client.post("/oauth/authorize", data={
        "client_id": app["client_id"], "redirect_uri": REDIRECT, "state": "s", "decision": "deny"},
        allow_redirects=False)
    assert denied.status == 302
    assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]


async def test_out_of_band_code_is_shown(node):
    await node.person("alice")
    app = await register(node, redirect="urn:ietf:wg:oauth:2.0:oob")
    page = await node.client.post("/oauth/authorize", data={
        "client_id": app["client_id"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "scope": "read",
        "username": "alice", "password": PASSWORD, "decision": "approve"})
    assert page.status == 200
    assert "<code>" in await page.text()


async def test_revoke(node):
    await node.person("alice")
    app = await register(node)
    response = await node.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": "alice", "password": PASSWORD, "scope": "read"})
    token = (await response.json())["access_token"]
    revoked = await node.client.post("/oauth/revoke", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"], "token": token})
    assert revoked.status == 200
    me = await node.client.get("/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 401


async def test_server_metadata(node):
    response = await node.client.get("/.well-known/oauth-authorization-server")
    body = await response.json()
    assert body["issuer"] == "http://acme.test/"
    assert body["token_endpoint"] == "http://acme.test/oauth/token"
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"password", "authorization_code", "client_credentials"} <= set(body["grant_types_supported"])
    assert "read:statuses" in body["scopes_supported"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_mastodon_py_signs_in_posts_and_reads(aiohttp_server, unused_tcp_port, tmp_path):
    """Mastodon.py, as a real client: register, log in with a password, post, read the timeline."""
    from mastodon import Mastodon

    port = unused_tcp_port
    app = create_app(node_config(tmp_path, domain=f"127.0.0.1:{port}"))
    server = await aiohttp_server(app, port=port)
    node = ApiNode(None, app[RUNTIME])  # type: ignore[arg-type] - Mastodon.py is the client here
    await node.person("alice")
    base = f"http://127.0.0.1:{port}"

    def client_session() -> dict:
        client_id, client_secret = Mastodon.create_app("mastodon.py test", api_base_url=base)
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
        api.log_in("alice@example.com", PASSWORD, allow_http=True)
        me = api.account_verify_credentials()
        posted = api.status_post("Hello from Mastodon.py", visibility="unlisted")
        return {"me": me, "posted": posted, "version": api.retrieve_mastodon_version(),
                "public": api.timeline_public(local=True)}

    result = await asyncio.to_thread(client_session)
    assert result["me"]["acct"] == "alice"
    assert result["posted"]["visibility"] == "unlisted"
    assert "Hello from Mastodon.py" in result["posted"]["content"]
    assert result["version"].startswith("4.3")
    assert result["public"] == []  # unlisted posts stay off the public timeline
    await settle(node.rt)
