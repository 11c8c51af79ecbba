"""OAuth 2: app registration, the token endpoint (password, client credentials, authorisation code
with optional PKCE), revocation and server metadata (RFC 8414). The sign-in and consent step that
issues codes is in api.authorize."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from aiohttp import web
from yarl import URL

from api import auth
from api.entities.apps import application_entity, cli_application_entity, token_entity
from api.params import Params
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import oauth
from social import apps, sign_in
from social.errors import Unprocessable

GRANT_TYPES = ["authorization_code", "password", "client_credentials"]


class OAuthError(Exception):
    """An RFC 6749 error: answered as {"error", "error_description"}, not Mastodon's shape."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> web.Response:
        return web.json_response({"error": self.error, "error_description": self.description},
                                 status=self.status, headers={"Cache-Control": "no-store"})


def _checked_scopes(requested: list[str]) -> list[str]:
    unknown = [s for s in requested if s not in auth.KNOWN_SCOPES]
    if unknown:
        raise Unprocessable(f"Validation failed: Scopes {' '.join(unknown)} are not supported")
    return requested


def _checked_redirects(uris: list[str]) -> list[str]:
    for uri in uris:
        if uri == oauth.OOB:
            continue
        parsed = URL(uri)
        if not parsed.is_absolute() or parsed.fragment:
            raise Unprocessable("Validation failed: Redirect URI must be an absolute URI without a fragment")
    return uris


# --- /api/v1/apps -------------------------------------------------------------------------------

async def create_app(request: web.Request) -> web.Response:
    params = await Params.read(request)
    name = params.required_text("client_name", "Application name")
    redirects = params.list("redirect_uris")
    redirects = _checked_redirects(oauth.split(redirects) or [oauth.OOB])
    scopes = _checked_scopes(oauth.split(params.list("scopes") or ["read"]))
    rt = request.app[RUNTIME]
    app = await apps.register_app(rt, name=name[:255], redirect_uris=redirects, scopes=scopes,
                                  website=params.str("website"))
    return web.json_response(application_entity(rt, app, secret=True))


async def verify_app(request: web.Request) -> web.Response:
    caller = await auth.require_app(request)
    rt = request.app[RUNTIME]
    if caller.app is None:  # a token made with `backchannel token create`
        return web.json_response(cli_application_entity(rt, sorted(caller.scopes)))
    return web.json_response(application_entity(rt, caller.app, secret=False))


# --- /oauth/token -------------------------------------------------------------------------------

def _client_credentials(request: web.Request, params: Params) -> tuple[str, str]:
    """client_secret_post, or client_secret_basic (RFC 6749 §2.3.1)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            pair = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Malformed Basic credentials", 401) from None
        client_id, _, secret = pair.partition(":")
        return client_id, secret
    return params.str("client_id") or "", params.str("client_secret") or ""


async def _client(request: web.Request, params: Params) -> oauth.App:
    client_id, secret = _client_credentials(request, params)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        app = await oauth.app_by_client_id(conn, client_id) if client_id else None
    if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client, no client "
                         "authentication included, or unsupported authentication method.", 401)
    return app


def _granted(app: oauth.App, requested: str | None) -> list[str]:
    """Requested scopes (default: read), all of which the app must have registered."""
    scopes = oauth.split(requested) or ["read"]
    if not within_registered(app, scopes):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    return scopes


def within_registered(app: oauth.App, scopes: list[str]) -> bool:
    """Known scopes that the app registered, or that one it registered covers (read → read:statuses)."""
    registered = frozenset(app.scopes)
    return all(s in auth.KNOWN_SCOPES and auth.covers(registered, s) for s in scopes)


def _pkce_ok(code: oauth.Code, verifier: str | None) -> bool:
    if not code.code_challenge:
        return True
    if not verifier:
        return False
    if (code.code_challenge_method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected.encode(), code.code_challenge.encode())


INVALID_GRANT = ("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does "
                 "not match the redirection URI used in the authorization request, or was issued to "
                 "another client.")


async def token(request: web.Request) -> web.Response:
    try:
        params = await Params.read(request)
        grant = params.str("grant_type")
        if grant not in GRANT_TYPES:
            raise OAuthError("unsupported_grant_type",
                             "The authorization grant type is not supported by the authorization server.")
        app = await _client(request, params)
        rt = request.app[RUNTIME]
        if grant == "password" and request.app[RUNTIME].config.sso_only:
            raise OAuthError("unsupported_grant_type", "Password sign-in is turned off: use the authorization "
                             "code grant, which signs in through single sign-on.")
        if grant == "password":
            scopes = _granted(app, params.str("scope"))
            user_id = await check_login(request, params.str("username") or "", params.str("password") or "")
            if user_id is None:
                raise OAuthError(*INVALID_GRANT)
        elif grant == "client_credentials":
            scopes = _granted(app, params.str("scope"))
            user_id = None
        else:
            code = await apps.redeem_code(rt, params.str("code") or "", app_id=app.id)
            if (code is None or code.redirect_uri != (params.str("redirect_uri") or "")
                    or not _pkce_ok(code, params.str("code_verifier"))):
                raise OAuthError(*INVALID_GRANT)
            scopes, user_id = code.scopes, code.user_id
            async with rt.db.read() as conn:
                user = await accounts_store.user_by_id(conn, user_id)
            if user is None or user.disabled:
                raise OAuthError(*INVALID_GRANT)
        access_token = await apps.issue_token(rt, user_id=user_id, app_id=app.id, scopes=scopes)
    except OAuthError as err:
        return err.response()
    return web.json_response(token_entity(access_token, " ".join(scopes)), headers={"Cache-Control": "no-store"})


async def check_login(request: web.Request, login: str, password: str) -> int | None:
    """The user id for an e-mail or username and its password (social.sign_in); None when they do
    not match, when password sign-in is turned off (sso_only), or when the user has two-factor
    sign-in on: the password grant has no place for the code (Mastodon refuses it too)."""
    signed = await sign_in.check(request.app[RUNTIME], login, password)
    return signed.user.id if signed.user else None


# --- /oauth/revoke and metadata -----------------------------------------------------------------

async def revoke(request: web.Request) -> web.Response:
    try:
        params = await Params.read(request)
        app = await _client(request, params)
    except OAuthError as err:
        return err.response()
    value = params.str("token")
    if value:
        await apps.revoke_token(request.app[RUNTIME], value, app_id=app.id)
    # RFC 7009: the answer is the same whether or not the token existed.
    return web.json_response({})


async def server_metadata(request: web.Request) -> web.Response:
    base = request.app[RUNTIME].urls.base
    return web.json_response({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": sorted(auth.KNOWN_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [g for g in GRANT_TYPES
                                  if not (g == "password" and request.app[RUNTIME].config.sso_only)],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })


ROUTES = [
    web.post("/api/v1/apps", create_app),
    web.get("/api/v1/apps/verify_credentials", verify_app),
    web.post("/oauth/token", token),
    web.post("/oauth/revoke", revoke),
    web.get("/.well-known/oauth-authorization-server", server_metadata),
]
