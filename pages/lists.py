"""A list its owner shared: one URL that is its page for a browser and its ActivityPub collection of
members for a server (content negotiation), and the same members as a CSV in Mastodon's list-export
format. Anyone on any node imports it from either (api/lists.py, social.list_import)."""
from __future__ import annotations

import csv
import io

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.context import AS_CONTEXT
from federation.urls import ROUTES
from models import accounts, collections
from models.accounts import Account
from outbox.routes import ap_response, wants_activitypub
from pages.templating import render

routes = web.RouteTableDef()
MAX_SHOWN = 1000  # members on the page, in the collection and in the CSV


def address(account: Account, local_domain: str) -> str:
    """user@host, as Mastodon's exports write it (this node's own people with its domain too)."""
    return f"{account.username}@{local_domain if account.local else account.domain}"


async def _shared(request: web.Request):  # noqa: ANN202
    rt = request.app[RUNTIME]
    list_id = int(request.match_info["list_id"])
    async with rt.db.read() as conn:
        found = await collections.public_list(conn, list_id)
        owner = await accounts.get(conn, found.account_id) if found else None
        if found is None or owner is None or owner.suspended_at is not None:
            raise web.HTTPNotFound()
        members = await collections.shared_members(conn, list_id, MAX_SHOWN)
    return rt, found, owner, members


@routes.get(ROUTES.shared_list.path)
async def shared_list(request: web.Request) -> web.StreamResponse:
    rt, found, owner, members = await _shared(request)
    if wants_activitypub(request):
        return ap_response({"@context": AS_CONTEXT, "id": rt.urls.shared_list(found.id), "type": "OrderedCollection",
                            "name": found.title, "attributedTo": owner.uri, "url": rt.urls.shared_list(found.id),
                            "totalItems": len(members), "orderedItems": [m.uri for m in members]})
    response = render(request, "list.html", {
        "list": found, "owner": owner, "members": members, "domain": rt.config.domain,
        "addresses": {m.id: address(m, rt.config.domain) for m in members},
        "page_url": rt.urls.shared_list(found.id)})
    response.headers["Vary"] = "Accept"
    return response


@routes.get(ROUTES.shared_list_csv.path)
async def shared_list_csv(request: web.Request) -> web.Response:
    rt, found, _owner, members = await _shared(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for member in members:
        writer.writerow([found.title, address(member, rt.config.domain)])
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": 'attachment; filename="lists.csv"', "X-Content-Type-Options": "nosniff"})
