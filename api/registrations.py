"""POST /api/v1/accounts: sign-up through a Mastodon app, with the app's own token (client
credentials). What the `registrations` setting allows is decided in social.registrations."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.entities.apps import token_entity
from api.params import Params
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from social import apps, registrations


async def sign_up(request: web.Request) -> web.Response:
    caller = await auth.require_app(request, "write:accounts")
    if caller.user is not None or caller.app is None:
        raise auth.OutOfScope("Sign-up needs an app's own token (client credentials)")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    account, approved = await registrations.register(
        rt, username=params.str("username") or "", email=(params.str("email") or "").strip(),
        password=params.str("password") or "", agreement=params.bool("agreement"),
        reason=params.str("reason") or "", invite_code=params.str("invite_code"))
    if not approved:
        # Mastodon answers with a token that cannot be used yet; this node issues none until an
        # admin approves, and the client signs in then.
        return web.json_response(token_entity(None, "") | {"approval_required": True})
    async with rt.db.read() as conn:
        found = await accounts_store.user_by_login(conn, account.username)
    scopes = " ".join(caller.app.scopes)
    token = await apps.issue_token(rt, user_id=found[0].id, app_id=caller.app.id, scopes=scopes)
    return web.json_response(token_entity(token, scopes), headers={"Cache-Control": "no-store"})


ROUTES = [web.post("/api/v1/accounts", sign_up)]
