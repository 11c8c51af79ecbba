"""/api/v1/polls/:id and voting."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.params import Params, path_id
from api.entities.polls import poll_entity
from backchannel.keys import RUNTIME
from models import polls as polls_store
from social import polls as polls_uc


async def _respond(request: web.Request, viewer, poll_id: int) -> web.Response:  # noqa: ANN001
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        poll, _ = await polls_uc.visible_poll(conn, poll_id, viewer)
        own = (await polls_store.choices_of(conn, viewer.id, [poll.id])).get(poll.id) if viewer else None
    return web.json_response(poll_entity(viewer, poll, own))


async def show(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    await polls_uc.notify_ended(request.app[RUNTIME])
    return await _respond(request, viewer, path_id(request))


async def vote(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:statuses")
    params = await Params.read(request)
    poll = await polls_uc.vote(request.app[RUNTIME], viewer.account, path_id(request), params.list("choices"))
    return await _respond(request, viewer.account, poll.id)


ROUTES = [
    web.get(r"/api/v1/polls/{id:\d+}", show),
    web.post(r"/api/v1/polls/{id:\d+}/votes", vote),
]
