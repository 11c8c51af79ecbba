"""OAuth 2 clients (apps), access tokens and authorisation codes.

Tokens and codes are stored only as their SHA-256 hex digest: a copy of the database does not let
anyone sign in. The plain value is returned once, when it is created.
"""
from __future__ import annotations

import collections
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account, User
from models.ids import new_id
from models.rows import fetch
from models.schema import accounts, oauth_apps, oauth_codes, oauth_tokens, users

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = 600.0  # seconds an authorisation code may wait to be exchanged

@dataclass(frozen=True)
class App:
    id: int
    name: str
    website: str | None
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scopes: list[str]
    created_at: float

    @classmethod
    def from_row(cls, row) -> "App":  # noqa: ANN001
        return cls(row.id, row.name, row.website, row.client_id, row.client_secret,
                   split(row.redirect_uris), split(row.scopes), row.created_at)


class TokenInfo(NamedTuple):
    """Who a token speaks for. `user` and `account` are None for a client-credentials token."""
    user: User | None
    account: Account | None
    scopes: list[str]
    app: App | None
    token_id: int = 0
    last_used_at: float | None = None  # written at most once an hour (social.apps.note_use)


@dataclass(frozen=True)
class Code:
    app_id: int
    user_id: int
    redirect_uri: str
    scopes: list[str]
    code_challenge: str | None
    code_challenge_method: str | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Scopes and redirect URIs are stored space- (or newline-) separated."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return list(dict.fromkeys(part for v in value for part in v.split()))


# --- Apps ---------------------------------------------------------------------------------------

async def create_app(conn: AsyncConnection, name: str, redirect_uris: str | list[str],
                     scopes: str | list[str], website: str | None) -> App:
    app_id = new_id()
    await conn.execute(insert(oauth_apps).values(
        id=app_id, name=name, website=website or None,
        client_id=secrets.token_urlsafe(32), client_secret=secrets.token_urlsafe(32),
        redirect_uris="\n".join(split(redirect_uris)) or OOB,
        scopes=" ".join(split(scopes)) or "read", created_at=time.time()))
    return await app_by_id(conn, app_id)  # type: ignore[return-value]


async def app_by_id(conn: AsyncConnection, app_id: int) -> App | None:
    row = (await conn.execute(select(oauth_apps).where(oauth_apps.c.id == app_id))).first()
    return App.from_row(row) if row else None


async def app_by_client_id(conn: AsyncConnection, client_id: str) -> App | None:
    row = (await conn.execute(select(oauth_apps).where(oauth_apps.c.client_id == client_id))).first()
    return App.from_row(row) if row else None


# --- Tokens -------------------------------------------------------------------------------------

async def create_token(conn: AsyncConnection, *, user_id: int | None, app_id: int | None,
                       scopes: str | list[str]) -> str:
    """Issue a token and return it; only its digest is kept. `app_id` None: made by the CLI."""
    token = secrets.token_urlsafe(32)
    await conn.execute(insert(oauth_tokens).values(
        id=new_id(), token_hash=digest(token), app_id=app_id, user_id=user_id,
        scopes=" ".join(split(scopes)), created_at=time.time()))
    return token


# Who a token speaks for, in one statement built once (the check every API request makes): the
# token, its user and account, and its app. Columns of the user and the app that the account also
# has are labelled apart.
_TOKEN_INFO = (
    select(oauth_tokens.c.id.label("token_id"), oauth_tokens.c.last_used_at.label("token_last_used_at"),
           oauth_tokens.c.user_id.label("token_user_id"), oauth_tokens.c.app_id.label("token_app_id"),
           oauth_tokens.c.scopes.label("token_scopes"), users.c.email, users.c.admin, users.c.disabled,
           users.c.moderator, users.c.account_id.label("user_account_id"), accounts,
           *(column.label(f"app_{column.name}") for column in oauth_apps.c))
    .select_from(oauth_tokens.outerjoin(users, users.c.id == oauth_tokens.c.user_id)
                 .outerjoin(accounts, accounts.c.id == users.c.account_id)
                 .outerjoin(oauth_apps, oauth_apps.c.id == oauth_tokens.c.app_id))
    .where(oauth_tokens.c.token_hash == bindparam("token_hash"), oauth_tokens.c.revoked_at.is_(None)))


# What the last rows read for recent tokens made (digest → (row, TokenInfo)): a row read again with
# every value the same gives the same TokenInfo without building it anew (it is checked every time;
# only the building is saved).
_MADE: collections.OrderedDict[str, tuple] = collections.OrderedDict()
MADE_KEPT = 4096


async def token_info(conn: AsyncConnection, token: str) -> TokenInfo | None:
    """The live (not revoked) token's user, account, scopes and app; None when unknown or revoked."""
    token_hash = digest(token)
    rows = await fetch(conn, _TOKEN_INFO, {"token_hash": token_hash}, alone=True)
    if not rows:
        return None
    row = rows[0]
    made = _MADE.get(token_hash)
    if made is not None and made[0] == row:
        return made[1]
    info = _token_info(row)
    _MADE[token_hash] = (row, info)
    if len(_MADE) > MADE_KEPT:
        _MADE.popitem(last=False)
    return info


def _token_info(row) -> TokenInfo | None:  # noqa: ANN001
    user = account = None
    if row.token_user_id is not None:
        if row.user_account_id is None:
            return None
        user = User(row.token_user_id, row.user_account_id, row.email, row.admin, row.disabled, row.moderator)
        account = Account.from_row(row)
    app = None
    if row.app_id is not None:
        app = App(row.app_id, row.app_name, row.app_website, row.app_client_id, row.app_client_secret,
                  split(row.app_redirect_uris), split(row.app_scopes), row.app_created_at)
    return TokenInfo(user, account, split(row.token_scopes), app, row.token_id, row.token_last_used_at)


async def touch_token(conn: AsyncConnection, token_id: int, now: float) -> None:
    await conn.execute(update(oauth_tokens).where(oauth_tokens.c.id == token_id).values(last_used_at=now))


async def revoke_token(conn: AsyncConnection, token: str, *, app_id: int | None = None) -> bool:
    """Revoke a token (only one issued to `app_id`, when given); False when nothing was revoked."""
    stmt = (update(oauth_tokens)
            .where(oauth_tokens.c.token_hash == digest(token), oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=time.time()))
    if app_id is not None:
        stmt = stmt.where(oauth_tokens.c.app_id == app_id)
    return bool((await conn.execute(stmt)).rowcount)


# --- Authorisation codes ------------------------------------------------------------------------

async def create_code(conn: AsyncConnection, *, app_id: int, user_id: int, redirect_uri: str,
                      scopes: str | list[str], code_challenge: str | None = None,
                      code_challenge_method: str | None = None) -> str:
    code = secrets.token_urlsafe(32)
    now = time.time()
    await conn.execute(insert(oauth_codes).values(
        id=new_id(), code_hash=digest(code), app_id=app_id, user_id=user_id,
        redirect_uri=redirect_uri, scopes=" ".join(split(scopes)), code_challenge=code_challenge,
        code_challenge_method=code_challenge_method, created_at=now, expires_at=now + CODE_LIFETIME,
        used=False))
    return code


async def redeem_code(conn: AsyncConnection, code: str, *, app_id: int) -> Code | None:
    """Use up a code issued to `app_id`: a second attempt, or one after it expired, finds nothing."""
    row = (await conn.execute(
        update(oauth_codes)
        .where(oauth_codes.c.code_hash == digest(code), oauth_codes.c.app_id == app_id,
               oauth_codes.c.used.is_(False), oauth_codes.c.expires_at > time.time())
        .values(used=True)
        .returning(*oauth_codes.c))).first()
    if row is None:
        return None
    return Code(row.app_id, row.user_id, row.redirect_uri, split(row.scopes), row.code_challenge,
                row.code_challenge_method)
