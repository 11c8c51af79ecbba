"""OAuth 2 on this node: registering a client app, issuing and revoking access tokens, issuing and
redeeming single-use authorisation codes. The client API checks the request (client credentials,
scopes, PKCE) and calls one of these."""
from __future__ import annotations

import time

from federation.runtime import Runtime
from models import dashboard, oauth
from models.oauth import App, Code, TokenInfo

USE_INTERVAL = 3600.0  # a token's last use is written at most this often (and on a new day)


async def register_app(rt: Runtime, *, name: str, redirect_uris: list[str], scopes: list[str],
                       website: str | None) -> App:
    async with rt.db.write() as conn:
        return await oauth.create_app(conn, name, redirect_uris, scopes, website)


async def issue_token(rt: Runtime, *, user_id: int | None, app_id: int | None, scopes: str | list[str]) -> str:
    """A new access token (only its digest is stored); user_id None: the app's own token."""
    async with rt.db.write() as conn:
        return await oauth.create_token(conn, user_id=user_id, app_id=app_id, scopes=scopes)


async def revoke_token(rt: Runtime, token: str, *, app_id: int | None) -> None:
    """Revoke a token (only one issued to `app_id`, when given: an app revokes its own)."""
    async with rt.db.write() as conn:
        await oauth.revoke_token(conn, token, app_id=app_id)


async def note_use(rt: Runtime, info: TokenInfo, now: float | None = None) -> None:
    """A token was used (by an app, or by a web session): its `last_used_at`, and its person among the
    day's active people (the admin dashboard), written at most once an hour per token, so a read
    costs nothing more the rest of the time."""
    now = time.time() if now is None else now
    last = info.last_used_at
    if last is not None and now - last < USE_INTERVAL and dashboard.day_of(last) == dashboard.day_of(now):
        return
    async with rt.db.write() as conn:
        await oauth.touch_token(conn, info.token_id, now)
        if info.account is not None:
            await dashboard.note_active(conn, info.account.id, now)


async def issue_code(rt: Runtime, *, app_id: int, user_id: int, redirect_uri: str, scopes: list[str],
                     code_challenge: str | None, code_challenge_method: str | None) -> str:
    async with rt.db.write() as conn:
        return await oauth.create_code(conn, app_id=app_id, user_id=user_id, redirect_uri=redirect_uri,
                                       scopes=scopes, code_challenge=code_challenge,
                                       code_challenge_method=code_challenge_method)


async def redeem_code(rt: Runtime, code: str, *, app_id: int) -> Code | None:
    """Use up a code issued to `app_id`; None when unknown, used or expired."""
    async with rt.db.write() as conn:
        return await oauth.redeem_code(conn, code, app_id=app_id)
