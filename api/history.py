"""GET /api/v1/statuses/:id/history: the revisions of a status as StatusEdit entities, oldest first,
the current version last (https://docs.joinmastodon.org/methods/statuses/#history).

Earlier revisions come from `status_edits` (written by models.statuses.record_edit on every edit);
a status never edited has a history of one entry, itself.
"""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup
from api.params import path_id
from api.entities.statuses import status_edit_entities
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from social.errors import NotFound


async def history(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer)
        author = await accounts_store.get(conn, status.account_id)
        if author is None:
            raise NotFound("Record not found")
        body = await status_edit_entities(conn, rt, viewer, status, author)
    return web.json_response(body)


ROUTES = [web.get(r"/api/v1/statuses/{id:\d+}/history", history)]
