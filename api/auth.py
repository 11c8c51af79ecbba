"""Bearer tokens and OAuth scopes.

A handler states what it needs: `await require(request, "write:statuses")` for a signed-in user,
`await optional(request, "read:statuses")` where anonymous callers are welcome too (a token that is
sent must still be valid and carry the scope, as on Mastodon).
"""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from backchannel.keys import RUNTIME
from models import oauth
from social import apps
from models.accounts import Account, User
from social.errors import ServiceError

READ_SCOPES = ("read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
               "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
               "read:statuses")
WRITE_SCOPES = ("write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
                "write:favourites", "write:filters", "write:follows", "write:lists", "write:media",
                "write:mutes", "write:notifications", "write:reports", "write:statuses")
# The legacy `follow` scope, kept by Mastodon for older clients.
FOLLOW_SCOPES = ("read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks",
                 "write:mutes")
TOP_SCOPES = ("read", "write", "follow", "push", "profile")
ADMIN_SCOPES = ("admin:read", "admin:write", "admin:read:accounts", "admin:write:accounts",
                "admin:read:reports", "admin:write:reports", "admin:read:domain_allows",
                "admin:write:domain_allows", "admin:read:domain_blocks", "admin:write:domain_blocks")
KNOWN_SCOPES = frozenset(TOP_SCOPES + READ_SCOPES + WRITE_SCOPES + ADMIN_SCOPES)


class Unauthorized(ServiceError):
    status = 401
    default_message = "The access token is invalid"


class OutOfScope(ServiceError):
    status = 403
    default_message = "This action is outside the authorized scopes"


class LoginDisabled(ServiceError):
    status = 403
    default_message = "Your login is currently disabled"


class UserRequired(ServiceError):
    """A client-credentials token on an endpoint that acts for a person (Mastodon answers 422)."""
    status = 422
    default_message = "This method requires an authenticated user"


@dataclass(frozen=True)
class Auth:
    user: User | None
    account: Account | None
    scopes: frozenset[str]
    app: oauth.App | None

    def allows(self, scope: str) -> bool:
        return covers(self.scopes, scope)


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: what handlers that act for someone receive."""
    user: User
    account: Account
    auth: Auth


AUTH = web.RequestKey("auth", Auth)
# The request's token and what it speaks for (None: nothing), looked up once: the rate limit asks
# before the handler does.
LOOKED_UP = web.RequestKey("token_looked_up", tuple)


def covers(granted: frozenset[str] | set[str], scope: str) -> bool:
    if scope in granted:
        return True
    family, _, _ = scope.partition(":")
    if family in ("read", "write") and family in granted:
        return True
    return scope in FOLLOW_SCOPES and "follow" in granted


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    query = request.query_string
    if "access_token" in query or "%" in query:  # parsed only when it may be there (every request asks)
        return request.query.get("access_token") or None
    return None


async def token_info(request: web.Request, token: str) -> oauth.TokenInfo | None:
    """Who `token` speaks for (None: nobody, or it was revoked), asked of the database once per request."""
    found = request.get(LOOKED_UP)
    if found is not None and found[0] == token:
        return found[1]
    async with request.app[RUNTIME].db.read() as conn:
        info = await oauth.token_info(conn, token)
    request[LOOKED_UP] = (token, info)
    return info


async def authenticate(request: web.Request) -> Auth | None:
    """The caller's token, looked up once per request; None without one; 401 for a bad one."""
    if AUTH in request:
        return request[AUTH]
    token = bearer_token(request)
    if token is None:
        return None
    rt = request.app[RUNTIME]
    info = await token_info(request, token)
    if info is None:
        raise Unauthorized()
    if (info.user and info.user.disabled) or (info.account and info.account.suspended_at is not None):
        raise LoginDisabled()
    await apps.note_use(rt, info)
    made = _AUTHS.get(id(info))  # the same TokenInfo (models.oauth reuses one while its row is unchanged)
    if made is None or made[0] is not info:
        if len(_AUTHS) >= 4096:
            _AUTHS.clear()
        made = _AUTHS[id(info)] = (info, Auth(info.user, info.account, frozenset(info.scopes), info.app))
    request[AUTH] = made[1]
    return made[1]


_AUTHS: dict[int, tuple[oauth.TokenInfo, Auth]] = {}


def _check_scope(auth: Auth, scopes: tuple[str, ...]) -> None:
    # Any one of the listed scopes is enough (Mastodon lists e.g. "read:accounts" or "profile").
    if scopes and not any(auth.allows(s) for s in scopes):
        raise OutOfScope()


async def require(request: web.Request, *scopes: str) -> Viewer:
    """A signed-in user holding one of `scopes`: 401 without a valid token, 403 without the scope."""
    auth = await authenticate(request)
    if auth is None:
        raise Unauthorized()
    _check_scope(auth, scopes)
    if auth.user is None or auth.account is None:
        raise UserRequired()
    return Viewer(auth.user, auth.account, auth)


async def require_app(request: web.Request, *scopes: str) -> Auth:
    """Any valid token, a user's or an app's own (client credentials)."""
    auth = await authenticate(request)
    if auth is None:
        raise Unauthorized()
    _check_scope(auth, scopes)
    return auth


async def optional(request: web.Request, *scopes: str) -> Account | None:
    """The signed-in account if a token was sent (it must be valid and in scope), else None."""
    auth = await authenticate(request)
    if auth is None:
        return None
    _check_scope(auth, scopes)
    return auth.account
