"""GET /api/v1/statuses/:id/history: the revisions of a status as StatusEdit entities, oldest first,
the current version last (https://docs.joinmastodon.org/methods/statuses/#history).

Earlier revisions come from `status_edits` (written by models.statuses.record_edit on every edit);
a status never edited has a history of one entry, itself.
"""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from api import auth, lookup
from api.params import path_id
from api.serializers import Presenter, iso
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models.schema import status_edits
from social.errors import NotFound


async def history(request: web.Request) -> web.Response:
    viewer = await auth.optional(request, "read:statuses")
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        status = await lookup.visible_status(conn, path_id(request), viewer)
        author = await accounts_store.get(conn, status.account_id)
        if author is None:
            raise NotFound("Record not found")
        rows = (await conn.execute(select(status_edits).where(status_edits.c.status_id == status.id)
                                   .order_by(status_edits.c.created_at, status_edits.c.id))).all()
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
