"""Moving one's account out, through the endpoints GoToSocial offers for it:
POST /api/v1/accounts/alias and POST /api/v1/accounts/move (social.migration does the work)."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.params import Params
from api.entities.accounts import credential_account_entity
from backchannel.keys import RUNTIME
from social import migration


async def alias(request: web.Request) -> web.Response:
    """`also_known_as_uris[]` (GoToSocial's name) or `also_known_as[]`: account URIs or handles;
    the list replaces the aliases, an empty one clears them. Answers the updated account."""
    viewer = await auth.require(request, "write:accounts")
    params = await Params.read(request)
    given = params.list("also_known_as_uris") + params.list("also_known_as")
    rt = request.app[RUNTIME]
    account = await migration.set_aliases(rt, viewer.account, given)
    async with rt.db.read() as conn:
        body = await credential_account_entity(conn, rt, account, viewer.user)
    return web.json_response(body)


async def move(request: web.Request) -> web.Response:
    """`password` and `moved_to_uri` (a URI or a handle): 202 as GoToSocial answers."""
    viewer = await auth.require(request, "write:accounts")
    params = await Params.read(request)
    await migration.move_out(request.app[RUNTIME], viewer.account, viewer.user.id, params.str("password") or "",
                             params.str("moved_to_uri") or "")
    return web.json_response({"message": "accepted"}, status=202)


ROUTES = [
    web.post("/api/v1/accounts/alias", alias),
    web.post("/api/v1/accounts/move", move),
]
