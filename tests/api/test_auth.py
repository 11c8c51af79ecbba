"""Bearer tokens and scopes: 401 without a valid token, 403 outside the token's scopes."""
from __future__ import annotations

import time

from sqlalchemy import update

from models.schema import accounts, users

INVALID = {"error": "The access token is invalid"}
OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}


async def test_no_token_is_401(node):
    response = await node.client.get("/api/v1/accounts/verify_credentials")
    assert response.status == 401
    assert await response.json() == INVALID


async def test_unknown_token_is_401(node):
    response = await node.client.get("/api/v1/timelines/home", headers={"Authorization": "Bearer nope"})
    assert response.status == 401
    assert await response.json() == INVALID


async def test_unknown_token_is_401_even_where_anonymous_is_welcome(node):
    response = await node.client.get("/api/v1/timelines/public", headers={"Authorization": "Bearer nope"})
    assert response.status == 401


async def test_token_in_query_string(node):
    alice = await node.person("alice")
    response = await node.client.get("/api/v1/accounts/verify_credentials",
                                     params={"access_token": alice.token})
    assert response.status == 200
    assert (await response.json())["username"] == "alice"


async def test_missing_scope_is_403(node):
    alice = await node.person("alice", scopes="write")
    response = await alice.get("/api/v1/accounts/verify_credentials")
    assert response.status == 403
    assert await response.json() == OUT_OF_SCOPE


async def test_granular_scopes(node):
    alice = await node.person("alice", scopes="read:statuses write:statuses")
    assert (await alice.get("/api/v1/timelines/home")).status == 200
    assert (await alice.get("/api/v1/notifications")).status == 403
    assert (await alice.post("/api/v1/statuses", json={"status": "hi"})).status == 200
    assert (await alice.post(f"/api/v1/accounts/{alice.id}/follow")).status == 403


async def test_read_covers_read_star_and_follow_covers_follows(node):
    bob = await node.person("bob")
    alice = await node.person("alice", scopes="read follow")
    assert (await alice.get("/api/v1/notifications")).status == 200
    assert (await alice.post(f"/api/v1/accounts/{bob.id}/follow")).status == 200
    assert (await alice.post("/api/v1/statuses", json={"status": "hi"})).status == 403


async def test_revoked_token_is_401(node):
    from models import oauth

    alice = await node.person("alice")
    async with node.rt.db.write() as conn:
        assert await oauth.revoke_token(conn, alice.token)
    assert (await alice.get("/api/v1/accounts/verify_credentials")).status == 401


async def test_disabled_user_and_suspended_account_are_refused(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    async with node.rt.db.write() as conn:
        await conn.execute(update(users).where(users.c.id == alice.user.id).values(disabled=True))
        await conn.execute(update(accounts).where(accounts.c.id == bob.account.id).values(suspended_at=time.time()))
    assert (await alice.get("/api/v1/accounts/verify_credentials")).status == 403
    assert (await bob.get("/api/v1/accounts/verify_credentials")).status == 403


async def test_app_token_cannot_act_for_a_user(node):
    response = await node.client.post("/api/v1/apps", json={"client_name": "bot", "scopes": "read"})
    app = await response.json()
    response = await node.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read"})
    token = (await response.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await node.client.get("/api/v1/apps/verify_credentials", headers=headers)).status == 200
    assert (await node.client.get("/api/v1/timelines/public", headers=headers)).status == 200
    response = await node.client.get("/api/v1/timelines/home", headers=headers)
    assert response.status == 422


async def test_a_used_token_marks_its_person_active_today_at_most_once_an_hour(node):
    from sqlalchemy import select

    from models import dashboard
    from models.schema import active_days, oauth_tokens

    # Given a token made two days ago that an app has not used since
    alice = await node.person("alice")
    async with node.rt.db.write() as conn:
        await conn.execute(update(oauth_tokens).values(created_at=time.time() - 2 * dashboard.DAY))

    async def state():  # noqa: ANN202
        async with node.rt.db.read() as conn:
            used = (await conn.execute(select(oauth_tokens.c.last_used_at))).scalar_one()
            days = (await conn.execute(select(active_days.c.day, active_days.c.account_id))).all()
            active = await dashboard.active_per_day(conn, dashboard.day_of(time.time()) - 2)
        return used, [tuple(d) for d in days], active
    assert (await state())[0] is None
    # When the app reads with it, twice
    assert (await alice.get("/api/v1/timelines/home")).status == 200
    first = await state()
    assert (await alice.get("/api/v1/timelines/home")).status == 200
    # Then the token says when it was used, Alice counts among today's active people, and the second
    # read wrote nothing
    today = dashboard.day_of(time.time())
    assert first[0] is not None and first[1] == [(today, alice.account.id)]
    assert first[2] == {today - 2: 1, today: 1}
    assert await state() == first
