"""Sessions on the web: the HMAC that signs CSRF tokens, and a person's signed-in session.

A person's session is an OAuth access token issued at sign-in (no app: it shows in the token lists as
a web session), kept in an HttpOnly, SameSite=Lax cookie, and checked against the database on every
request exactly as the client API checks a token, so revoking it (signing out, the token list in
settings, an admin's `token revoke`, suspension) ends it at once. Beside it the cookie carries a
second token that may only read statuses and notifications: the page hands that one to its script
for the streaming API, so the script never holds the token that can write.

Every form of a signed-in page carries a CSRF token: an HMAC of the session's token."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from models import oauth
from models.accounts import Account, User
from pages.templating import path
from social import apps

COOKIE = "backchannel_session"
SESSION_SECONDS = 30 * 24 * 3600
WEB_SCOPES = "read write follow"
STREAM_SCOPES = "read:statuses read:notifications"


def mac(rt: Runtime, message: str) -> str:
    """An HMAC with the node's session key (in the database, so every process agrees: backchannel.secrets)."""
    return hmac.new(rt.session_secret, message.encode(), hashlib.sha256).hexdigest()


def set_cookie(rt: Runtime, response: web.StreamResponse, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                        secure=rt.config.scheme == "https", path="/")


@dataclass(frozen=True)
class Person:
    """The signed-in person of a request."""
    user: User
    account: Account
    token: str
    stream_token: str
    csrf: str


PERSON = web.RequestKey("person", Person)


def _tokens(request: web.Request) -> tuple[str, str] | None:
    value = request.cookies.get(COOKIE) or ""
    main, _, stream = value.partition(".")
    return (main, stream) if main and stream else None


async def current(request: web.Request) -> Person | None:
    """The signed-in person, or None; read once per request."""
    if PERSON in request:
        return request[PERSON]
    tokens = _tokens(request)
    if tokens is None:
        return None
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        info = await oauth.token_info(conn, tokens[0])
    if (info is None or info.user is None or info.account is None or info.app is not None
            or info.user.disabled or info.account.suspended_at is not None):
        return None
    await apps.note_use(rt, info)
    person = Person(info.user, info.account, tokens[0], tokens[1], mac(rt, "csrf:" + tokens[0]))
    request[PERSON] = person
    return person


async def require(request: web.Request) -> Person:
    """The signed-in person; anyone else is sent to sign in, and back here after."""
    person = await current(request)
    if person is None:
        back = request.path_qs if request.method == "GET" else path("web_home")
        raise web.HTTPSeeOther(path("web_sign_in") + "?next=" + quote(back, safe=""))
    return person


async def form(request: web.Request, person: Person) -> MultiDictProxy:
    """A POSTed form (files included) whose CSRF token matches this session's."""
    posted = await request.post()
    token = posted.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, person.csrf):
        raise web.HTTPForbidden(text="invalid CSRF token")
    return posted


async def start(rt: Runtime, response: web.StreamResponse, user_id: int) -> None:
    main = await apps.issue_token(rt, user_id=user_id, app_id=None, scopes=WEB_SCOPES)
    stream = await apps.issue_token(rt, user_id=user_id, app_id=None, scopes=STREAM_SCOPES)
    set_cookie(rt, response, COOKIE, f"{main}.{stream}", SESSION_SECONDS)


async def end(request: web.Request, response: web.StreamResponse) -> None:
    tokens = _tokens(request)
    if tokens:
        rt = request.app[RUNTIME]
        for token in tokens:
            await apps.revoke_token(rt, token, app_id=None)
    response.del_cookie(COOKIE, path="/")
