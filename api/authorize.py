"""GET and POST /oauth/authorize: the browser step of the authorisation-code grant. The user signs in
and consents on one small form; a single-use code (10 minutes) goes back to the app's registered
redirect URI, or is shown to copy for urn:ietf:wg:oauth:2.0:oob."""
from __future__ import annotations

from aiohttp import web
from yarl import URL

from api import oauth as oauth_api
from api import oauth_form
from api.params import Params
from backchannel.keys import RUNTIME
from federation.urls import ROUTES as PATHS
from models import oauth
from social import apps

AUTHORIZE = PATHS.oauth_authorize
AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method", "response_type")


class _Request:
    """An authorisation request that has been checked against the registered app."""

    def __init__(self, app: oauth.App, params: Params):
        self.app = app
        self.fields = {k: params.str(k) or "" for k in AUTHORIZE_FIELDS}
        self.redirect_uri = self.fields["redirect_uri"] or (
            app.redirect_uris[0] if len(app.redirect_uris) == 1 else "")
        self.fields["redirect_uri"] = self.redirect_uri
        self.scopes = oauth.split(self.fields["scope"]) or ["read"]

    def redirect(self, **query: str) -> web.HTTPFound:
        if self.fields["state"]:
            query["state"] = self.fields["state"]
        url = URL(self.redirect_uri)
        return web.HTTPFound(str(url.update_query(query)), headers=oauth_form.REDIRECT_HEADERS)


async def _authorization_request(request: web.Request, params: Params) -> _Request | web.Response:
    """Problems before the redirect URI is trusted are shown on the page, never redirected."""
    rt = request.app[RUNTIME]
    client_id = params.str("client_id") or ""
    async with rt.db.read() as conn:
        app = await oauth.app_by_client_id(conn, client_id) if client_id else None
    if app is None:
        return oauth_form.failure(request, "Unknown application (client_id).")
    req = _Request(app, params)
    if req.redirect_uri not in app.redirect_uris:
        return oauth_form.failure(request, "The redirect URI is not registered for this application.")
    if (req.fields["response_type"] or "code") != "code":
        return oauth_form.failure(request, "Only response_type=code is supported.")
    if not oauth_api.within_registered(app, req.scopes):
        return oauth_form.failure(request, "The application asks for scopes it did not register.")
    if req.fields["code_challenge"] and req.fields["code_challenge_method"] not in ("", "S256", "plain"):
        return oauth_form.failure(request, "Unsupported code_challenge_method; use S256.")
    return req


async def authorize_form(request: web.Request) -> web.Response:
    params = await Params.read(request)
    req = await _authorization_request(request, params)
    if isinstance(req, web.Response):
        return req
    return oauth_form.consent(request, app_name=req.app.name, website=req.app.website, scopes=req.scopes,
                              hidden=req.fields)


async def authorize_submit(request: web.Request) -> web.Response:
    params = await Params.read(request)
    req = await _authorization_request(request, params)
    if isinstance(req, web.Response):
        return req
    if params.str("decision") == "deny":
        if req.redirect_uri == oauth.OOB:
            return oauth_form.failure(request, "You denied the application access.", 403)
        raise req.redirect(error="access_denied", error_description="The resource owner denied the request.")
    user_id = await oauth_api.check_login(request, params.str("username") or "", params.str("password") or "")
    if user_id is None:
        return oauth_form.consent(request, app_name=req.app.name, website=req.app.website, scopes=req.scopes,
                                  hidden=req.fields, error="Wrong e-mail, username or password.", status=401)
    rt = request.app[RUNTIME]
    method = (req.fields["code_challenge_method"] or "plain") if req.fields["code_challenge"] else None
    code = await apps.issue_code(rt, app_id=req.app.id, user_id=user_id, redirect_uri=req.redirect_uri,
                                 scopes=req.scopes, code_challenge=req.fields["code_challenge"] or None,
                                 code_challenge_method=method)
    if req.redirect_uri == oauth.OOB:
        return oauth_form.show_code(request, code)
    raise req.redirect(code=code)


ROUTES = [
    web.get(AUTHORIZE.path, authorize_form),
    web.get(AUTHORIZE.path + "/", authorize_form),
    web.post(AUTHORIZE.path, authorize_submit),
    web.post(AUTHORIZE.path + "/", authorize_submit),
]
