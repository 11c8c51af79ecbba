"""GET and POST /oauth/authorize: the browser step of the authorisation-code grant. The user signs in
and consents on one small form; a single-use code (10 minutes) goes back to the app's registered
redirect URI, or is shown to copy for urn:ietf:wg:oauth:2.0:oob.

With single sign-on the form has one more button: it sends the browser to the organisation's
provider with the authorisation request kept beside the pending sign-in (social.sso); the provider
sends it back to /oauth/authorize/sso, which grants the code as a password sign-in would."""
from __future__ import annotations

from aiohttp import web
from yarl import URL

from api import oauth as oauth_api
from api import oauth_form
from api.params import Params
from backchannel.keys import RUNTIME
from federation.urls import ROUTES as PATHS
from models import oauth
from social import apps, sign_in, sso
from social.errors import ServiceError

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
    if params.str("decision") == "sso":
        return await _single_sign_on(request, req)
    if request.app[RUNTIME].config.sso_only:
        return oauth_form.consent(request, app_name=req.app.name, website=req.app.website, scopes=req.scopes,
                                  hidden=req.fields, error="Password sign-in is turned off here.", status=403)
    signed = await sign_in.check(request.app[RUNTIME], params.str("username") or "", params.str("password") or "",
                                 params.str("otp"))
    if signed.user is None:
        # With two-factor sign-in on, the form comes back asking for the code as well.
        return oauth_form.consent(request, app_name=req.app.name, website=req.app.website, scopes=req.scopes,
                                  hidden=req.fields, error=signed.problem, status=401,
                                  code_needed=signed.code_needed, username=params.str("username") or "")
    return await _grant(request, req, signed.user.id)


async def _grant(request: web.Request, req: _Request, user_id: int) -> web.Response:
    """The signed-in user consented: a code for the app, at its redirect URI or shown to copy."""
    rt = request.app[RUNTIME]
    method = (req.fields["code_challenge_method"] or "plain") if req.fields["code_challenge"] else None
    code = await apps.issue_code(rt, app_id=req.app.id, user_id=user_id, redirect_uri=req.redirect_uri,
                                 scopes=req.scopes, code_challenge=req.fields["code_challenge"] or None,
                                 code_challenge_method=method)
    if req.redirect_uri == oauth.OOB:
        return oauth_form.show_code(request, code)
    raise req.redirect(code=code)


# --- Single sign-on ------------------------------------------------------------------------------

async def _single_sign_on(request: web.Request, req: _Request) -> web.Response:
    rt = request.app[RUNTIME]
    if not sso.enabled(rt):
        return oauth_form.failure(request, "Single sign-on is not set up on this node.")
    try:
        url, state = await sso.begin(rt, purpose="oauth", redirect_uri=rt.urls.oauth_sso_callback(),
                                     resume=req.fields)
    except ServiceError as err:
        return oauth_form.failure(request, err.message, err.status)
    response = web.HTTPSeeOther(url, headers=oauth_form.REDIRECT_HEADERS)
    response.set_cookie(**sso.state_cookie(rt, state))
    raise response


async def sso_callback(request: web.Request) -> web.Response:
    """The provider sends the browser back here; the authorisation request is checked again (the
    app may have gone meanwhile), then granted for the person the provider signed in."""
    rt = request.app[RUNTIME]
    try:
        signed = await sso.finish(rt, purpose="oauth", answer=request.query,
                                  cookie=request.cookies.get(sso.STATE_COOKIE),
                                  redirect_uri=rt.urls.oauth_sso_callback())
    except ServiceError as err:
        return oauth_form.failure(request, err.message, err.status)
    req = await _authorization_request(request, Params({k: [v] for k, v in signed.resume.items()}))
    if isinstance(req, web.Response):
        return req
    try:
        response = await _grant(request, req, signed.user.id)
    except web.HTTPException as redirect:  # the usual way back to the app
        redirect.del_cookie(sso.STATE_COOKIE, path="/")
        raise
    response.del_cookie(sso.STATE_COOKIE, path="/")
    return response


ROUTES = [
    web.get(AUTHORIZE.path, authorize_form),
    web.get(AUTHORIZE.path + "/", authorize_form),
    web.post(AUTHORIZE.path, authorize_submit),
    web.post(AUTHORIZE.path + "/", authorize_submit),
    web.get(PATHS.oauth_sso_callback.path, sso_callback),
]
