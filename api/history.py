"""GET /api/v1/statuses/:id/history: the revisions of a status as StatusEdit entities, oldest first,
the current version last (https://docs.joinmastodon.org/methods/statuses/#history).

Earlier revisions come from `status_edits` (written by models.statuses.record_edit on every edit);
a status never edited has a history of one entry, itself.
"""
from __future__ import annotations

from aiohttp import web

from api import auth, lookup
from api.params import path_id
from api.serializers import Presenter, iso
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import status_queries
from social.errors import NotFound


async def history(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer)
        author = await accounts_store.get(conn, status.account_id)
        if author is None:
            raise NotFound("Record not found")
        rows = await status_queries.edits_of(conn, status.id)
        current = await Presenter(rt, viewer).status(conn, status)
    present = Presenter(rt, viewer)
    account = present.account(author)
    body = [{"content": row.content, "spoiler_text": row.spoiler_text or "", "sensitive": bool(row.sensitive),
             "created_at": iso(row.created_at), "account": account, "poll": None,
             "media_attachments": [], "emojis": []} for row in rows]
    body.append({"content": current["content"], "spoiler_text": current["spoiler_text"],
                 "sensitive": current["sensitive"],
                 "created_at": current["edited_at"] or current["created_at"], "account": account,
                 "poll": current["poll"], "media_attachments": current["media_attachments"],
                 "emojis": []})
    return web.json_response(body)


ROUTES = [web.get("/api/v1/statuses/{id}/history", history)]
