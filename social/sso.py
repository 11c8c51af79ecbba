"""Single sign-on through the organisation's OpenID Connect provider, with Authlib's OpenID pieces.

The authorisation-code flow with PKCE (S256), state and nonce. A pending sign-in lives in the
database (any process can take the provider's answer) and is single-use for ten minutes; the browser
that started it must bring back the state in a cookie too, so nobody can finish a sign-in started
elsewhere. The ID token's signature is checked with the provider's published keys (JWKS), and its
issuer, audience, nonce and expiry against this sign-in. Discovery, keys, the token and userinfo
requests all go through the node's guarded HTTP client.

A person is found by the provider's `sub`; on first sign-in an account whose e-mail the provider
has verified is linked, or a new one is made from the claims (username, display name, e-mail, and
admin and moderator rights by group when `oidc_admin_group` / `oidc_moderator_group` are set, granted
and withdrawn at each sign-in: social.provisioning.roles_for_groups, as SCIM groups give them).
"""
from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from typing import TYPE_CHECKING

from federation import safejson
from federation.http import FetchError
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as moderation_store
from models import sso as store
from models.accounts import Account, User
from social import provisioning
from social.errors import ServiceError

if TYPE_CHECKING:
    from joserfc.jwk import KeySet
# authlib and joserfc are imported where a sign-in needs them: a node without single sign-on does not
# carry them (a few MB of its idle memory).

STATE_COOKIE = "backchannel_sso"
PENDING_SECONDS = 600
METADATA_SECONDS = 3600
LEEWAY = 60  # seconds of clock difference allowed on exp and iat


class SignInFailed(ServiceError):
    status = 403


class ProviderUnavailable(ServiceError):
    status = 502


@dataclass(frozen=True)
class SignedIn:
    user: User
    account: Account
    purpose: str
    resume: dict


def enabled(rt: Runtime) -> bool:
    return bool(rt.config.oidc_issuer)


def state_cookie(rt: Runtime, state: str) -> dict[str, Any]:
    """set_cookie arguments for the state that binds a sign-in to the browser which started it."""
    return {"name": STATE_COOKIE, "value": state, "max_age": PENDING_SECONDS, "httponly": True, "samesite": "Lax",
            "secure": rt.config.scheme == "https", "path": "/"}


# --- The provider's metadata and keys, cached per process --------------------------------------

_metadata: dict[str, tuple[float, dict]] = {}
_keys: dict[str, dict] = {}


async def _get_json(rt: Runtime, url: str, headers: dict[str, str] | None = None) -> dict:
    try:
        return (await rt.http.get_json(url, accept="application/json", activitypub=False, headers=headers))[1]
    except FetchError as err:
        raise ProviderUnavailable(f"the sign-in provider cannot be used: {err}") from None


async def metadata(rt: Runtime) -> dict:
    issuer = rt.config.oidc_issuer
    cached = _metadata.get(issuer)
    if cached and cached[0] > time.time():
        return cached[1]
    doc = await _get_json(rt, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if doc.get("issuer") != issuer:  # OpenID Connect Discovery §4.3: exactly the configured issuer
        raise ProviderUnavailable(f"the provider's metadata names issuer {doc.get('issuer')!r}, not {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str):
            raise ProviderUnavailable(f"the provider's metadata has no {key}")
    _metadata[issuer] = (time.time() + METADATA_SECONDS, doc)
    return doc


async def _key_set(rt: Runtime, meta: dict, *, fresh: bool) -> KeySet:
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    uri = meta["jwks_uri"]
    if fresh or uri not in _keys:
        _keys[uri] = await _get_json(rt, uri)
    try:
        return KeySet.import_key_set(_keys[uri])  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as err:
        raise ProviderUnavailable(f"the provider's keys cannot be read: {err}") from None


# --- Starting a sign-in -------------------------------------------------------------------------

async def begin(rt: Runtime, *, purpose: str, redirect_uri: str, resume: dict | None = None) -> tuple[str, str]:
    """The provider's authorisation URL to send the browser to, and the state to set as a cookie."""
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    meta = await metadata(rt)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    async with rt.db.write() as conn:
        await store.add_login(conn, state=state, nonce=nonce, code_verifier=verifier, purpose=purpose,
                              resume=resume or {}, ttl=PENDING_SECONDS)
    url = prepare_grant_uri(meta["authorization_endpoint"], rt.config.oidc_client_id, "code",
                            redirect_uri=redirect_uri, scope="openid profile email", state=state, nonce=nonce,
                            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
    return url, state


# --- Finishing it -------------------------------------------------------------------------------

async def finish(rt: Runtime, *, purpose: str, answer: Mapping[str, str], cookie: str | None,
                 redirect_uri: str) -> SignedIn:
    """Check the provider's answer (the callback's query) for a sign-in started for `purpose`, and
    return the person it signed in (created or linked)."""
    state, code, error = answer.get("state", ""), answer.get("code", ""), answer.get("error")
    if not state or not cookie or not hmac.compare_digest(state.encode(), cookie.encode()):
        raise SignInFailed("This sign-in was not started in this browser, or it took too long. Try again.")
    async with rt.db.write() as conn:
        pending = await store.take_login(conn, state)
    if pending is None or pending.purpose != purpose:
        raise SignInFailed("This sign-in has expired or was used already. Try again.")
    if error:
        raise SignInFailed(f"The sign-in provider did not sign you in ({error[:100]}).")
    if not code:
        raise SignInFailed("The sign-in provider sent no authorisation code.")
    meta = await metadata(rt)
    tokens = await _redeem(rt, meta, code, redirect_uri, pending.code_verifier)
    claims = await _verified_claims(rt, meta, tokens, pending.nonce)
    user, account = await _person(rt, claims)
    return SignedIn(user, account, pending.purpose, pending.resume)


async def _redeem(rt: Runtime, meta: dict, code: str, redirect_uri: str, verifier: str) -> dict:
    config = rt.config
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        pair = f"{_form_quote(config.oidc_client_id)}:{_form_quote(config.oidc_client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=config.oidc_client_id, client_secret=config.oidc_client_secret)
    try:
        resp, body, _ = await rt.http.request("POST", meta["token_endpoint"], body=urlencode(form).encode(),
                                              headers=headers, follow_redirects=False)
    except FetchError as err:
        raise ProviderUnavailable(f"the sign-in provider cannot be reached: {err}") from None
    try:
        tokens = safejson.loads(body)
    except ValueError:
        tokens = None
    if resp.status != 200 or not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        detail = tokens.get("error") if isinstance(tokens, dict) else resp.status
        raise SignInFailed(f"The sign-in provider did not accept the authorisation code ({detail}).")
    return tokens


def _form_quote(value: str) -> str:
    return quote(value, safe="")  # RFC 6749 §2.3.1: form-encoded before Basic


async def _verified_claims(rt: Runtime, meta: dict, tokens: dict, nonce: str) -> dict:
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jws import JWSRegistry

    algorithms = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in algorithms if a != "none"] or ["RS256"]
    registry = JWSRegistry(algorithms=algorithms)
    try:
        try:
            decoded = jwt.decode(tokens["id_token"], await _key_set(rt, meta, fresh=False), registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys: read them again, once
            decoded = jwt.decode(tokens["id_token"], await _key_set(rt, meta, fresh=True), registry=registry)
        options = {"iss": {"essential": True, "value": rt.config.oidc_issuer},
                   "aud": {"essential": True, "value": rt.config.oidc_client_id},
                   "sub": {"essential": True}, "nonce": {"essential": True, "value": nonce}}
        claims = CodeIDToken(decoded.claims, decoded.header, options,
                             {"nonce": nonce, "client_id": rt.config.oidc_client_id,
                              "access_token": tokens.get("access_token")})
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError) as err:
        raise SignInFailed(f"The sign-in provider's ID token was refused: {err}") from None
    found: dict[str, Any] = dict(claims)
    # Profile claims often come only from userinfo (response_type=code); the ID token's win.
    if isinstance(meta.get("userinfo_endpoint"), str) and isinstance(tokens.get("access_token"), str):
        info = await _get_json(rt, meta["userinfo_endpoint"], {"Authorization": f"Bearer {tokens['access_token']}"})
        if info.get("sub") == found["sub"]:
            found = {**info, **found}
    return found


async def _person(rt: Runtime, claims: dict) -> tuple[User, Account]:
    config = rt.config
    issuer, subject = config.oidc_issuer, str(claims["sub"])
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    verified = email is not None and claims.get("email_verified") is True
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    groups = claims.get("groups") if isinstance(claims.get("groups"), list) else []
    roles = provisioning.roles_for_groups(groups, {"admin": config.oidc_admin_group,
                                                   "moderator": config.oidc_moderator_group})
    async with rt.db.read() as conn:
        user_id = await store.user_id_for(conn, issuer, subject)
        if user_id is None and verified:
            found = await accounts_store.user_by_login(conn, email)  # type: ignore[arg-type]
            if found is not None and (found[0].email or "").lower() == email.lower():  # type: ignore[union-attr]
                user_id = found[0].id
    if user_id is None:
        wanted = claims.get(config.oidc_username_claim)
        async with rt.db.read() as conn:
            taken = email is not None and await accounts_store.user_by_login(conn, email) is not None
        try:
            account = await provisioning.new_account(rt, str(wanted or email or subject),
                                                     email=None if taken else email,
                                                     admin=roles.get("admin", False),
                                                     display_name=name[:100])
        except ServiceError:
            raise SignInFailed("Your account could not be made just now. Try again.") from None
        async with rt.db.read() as conn:
            found = await accounts_store.user_by_login(conn, account.username)
        assert found is not None
        user_id = found[0].id
    async with rt.db.write() as conn:
        if await store.user_id_for(conn, issuer, subject) is None:
            await store.link(conn, issuer, subject, user_id)
        user = await accounts_store.user_by_id(conn, user_id)
        assert user is not None
        changed = {role: value for role, value in roles.items() if getattr(user, role) != value}
        if changed:
            await moderation_store.set_user(conn, user.account_id, **changed)
            user = await accounts_store.user_by_id(conn, user_id)
        account = await accounts_store.get(conn, user.account_id)  # type: ignore[union-attr]
        approved = await moderation_store.user_approved(conn, user_id)
    if user is None or account is None or user.disabled or account.suspended_at is not None or not approved:
        raise SignInFailed("This account is disabled here. Ask an administrator.")
    return user, account
