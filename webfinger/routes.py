"""Discovery: /.well-known/webfinger, host-meta, and NodeInfo 2.0/2.1."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from backchannel import __version__
from backchannel.keys import RUNTIME
from federation import deref
from federation.urls import ROUTES
from models import accounts
from models.schema import statuses, users
from webfinger.client import parse_acct

routes = web.RouteTableDef()
JRD = "application/jrd+json"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@routes.get(ROUTES.webfinger.path)
async def webfinger(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    resource = request.query.get("resource", "").strip()
    if not resource:
        return _error(400, "the resource parameter is required")
    username = None
    if resource.startswith(("http://", "https://")):
        async with rt.db.read() as conn:
            account = await accounts.by_uri(conn, resource)
            if account is None:
                # The profile page URL names the account too.
                profile = rt.urls.match(ROUTES.profile, resource)
                if profile:
                    account = await accounts.by_acct(conn, profile["username"], None)
        if account and account.local:
            username = account.username
    else:
        parsed = parse_acct(resource, scheme=rt.config.scheme)
        if parsed and parsed[1] == deref.local_origin(rt):
            username = parsed[0]
    if username is None:
        return _error(404, "no such account here")
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, username, None)
    if account is None or account.suspended_at is not None:
        return _error(404, "no such account here")
    doc = {
        "subject": f"acct:{account.username}@{rt.config.domain}",
        "aliases": [account.uri, account.url],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": account.uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": account.url},
            # Where a remote-follow button elsewhere sends this person to follow someone (OStatus).
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": rt.urls.interaction_template()},
        ],
    }
    return web.json_response(doc, content_type=JRD, headers={"Access-Control-Allow-Origin": "*"})


@routes.get(ROUTES.host_meta.path)
async def host_meta(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    template = rt.urls.webfinger_template()
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template="{template}"/>\n</XRD>\n')
    return web.Response(text=body, content_type="application/xrd+xml")


@routes.get(ROUTES.nodeinfo_index.path)
async def nodeinfo_index(request: web.Request) -> web.Response:
    urls = request.app[RUNTIME].urls
    return web.json_response({"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": urls.nodeinfo("2.0")},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": urls.nodeinfo("2.1")},
    ]}, headers={"Access-Control-Allow-Origin": "*"})


@routes.get(ROUTES.nodeinfo.path)
async def nodeinfo(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    version = request.match_info["version"]
    async with rt.db.read() as conn:
        total_users = (await conn.execute(select(func.count()).select_from(users))).scalar_one()
        local_posts = (await conn.execute(select(func.count()).select_from(statuses).where(
            statuses.c.local.is_(True), statuses.c.deleted_at.is_(None),
            statuses.c.reblog_of_id.is_(None)))).scalar_one()
    software = {"name": "backchannel", "version": __version__}
    doc = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {"total": total_users, "activeMonth": total_users,
                            "activeHalfyear": total_users}, "localPosts": local_posts},
        # megalodon's detector reads metadata; `upstream` tells clients to speak Mastodon's API.
        "metadata": {"nodeName": rt.config.title, "nodeDescription": rt.config.description,
                     "upstream": {"name": "mastodon", "version": "4.3.0"},
                     "federation": {"mode": await rt.policy.mode()}},
    }
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.json_response(doc, content_type="application/json",
                             headers={"Access-Control-Allow-Origin": "*",
                                      "Content-Profile": profile})
