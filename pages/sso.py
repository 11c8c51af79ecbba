"""Signing in on the web through the organisation's OpenID provider (social.sso does the protocol).

An admin lands on the admin dashboard, signed in; anyone else on their home timeline, signed in to
the web (apps sign in through the provider on the OAuth form)."""
from __future__ import annotations

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from pages import session
from pages.admin import start_session
from pages.templating import path, render
from social import sso
from social.errors import ServiceError

routes = web.RouteTableDef()
NO_STORE = {"Cache-Control": "no-store"}


def _page(request: web.Request, title: str, status: int, **context: object) -> web.Response:
    return render(request, "page.html", {"title": title, **context}, status=status, headers=NO_STORE)


@routes.get(ROUTES.sso_sign_in.path)
async def start(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    if not sso.enabled(rt):
        return _page(request, "Single sign-on", 404, error="Single sign-on is not set up on this node.")
    try:
        url, state = await sso.begin(rt, purpose="web", redirect_uri=rt.urls.sso_callback())
    except ServiceError as err:
        return _page(request, "Cannot sign in", err.status, error=err.message)
    response = web.HTTPSeeOther(url, headers=NO_STORE)
    response.set_cookie(**sso.state_cookie(rt, state))
    raise response


@routes.get(ROUTES.sso_callback.path)
async def callback(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        signed = await sso.finish(rt, purpose="web", answer=request.query, cookie=request.cookies.get(sso.STATE_COOKIE),
                                  redirect_uri=rt.urls.sso_callback())
    except ServiceError as err:
        return _page(request, "Cannot sign in", err.status, error=err.message)
    # Admins and moderators land on the dashboard with an admin session; anyone else on their home.
    response = web.HTTPSeeOther(path("admin_dashboard" if signed.user.staff else "web_home"), headers=NO_STORE)
    if signed.user.staff:
        start_session(rt, response, signed.user.id)
    else:
        await session.start(rt, response, signed.user.id)
    response.del_cookie(sso.STATE_COOKIE, path="/")
    raise response
