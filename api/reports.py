"""POST /api/v1/reports: anyone signed in reports an account (and some of its posts) to this node's
admins; with `forward`, a remote account's own server gets an anonymous copy."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.params import Params, parse_id
from api.entities.reports import report_entity
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from social import moderation
from social.errors import NotFound


async def create(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:reports")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    target_id = params.id("account_id")
    if target_id is None:
        raise NotFound("Record not found")
    report = await moderation.create_report(
        rt, viewer.account, target_id, [parse_id(i) for i in params.list("status_ids")],
        comment=params.str("comment") or "", category=params.str("category") or "other",
        forward=params.bool("forward"))
    async with rt.db.read() as conn:
        target = await accounts_store.get(conn, report.target_account_id)
    return web.json_response(report_entity(rt, report, target))


# Mastodon.py posts to "/api/v1/reports/", with the slash.
ROUTES = [web.post("/api/v1/reports", create)]
