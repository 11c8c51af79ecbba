"""Local users and their tokens as an operator sees them (`backchannel user …`, `token …`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import hash_password
from models.schema import accounts, oauth_apps, oauth_tokens, users


@dataclass(frozen=True)
class LocalUser:
    account_id: int
    username: str
    email: str | None
    admin: bool
    disabled: bool
    approved: bool
    suspended: bool
    created_at: float
    statuses_count: int
    moderator: bool = False

    @property
    def role(self) -> str:
        return "admin" if self.admin else "moderator" if self.moderator else "user"


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str | None  # None: a client-credentials token (an app's, nobody's)
    app_name: str | None  # None: made by `backchannel token create`
    scopes: str
    created_at: float
    last_used_at: float | None
    revoked_at: float | None


async def local_users(conn: AsyncConnection) -> list[LocalUser]:
    rows = (await conn.execute(
        select(users.c.account_id, accounts.c.username, users.c.email, users.c.admin, users.c.disabled,
               users.c.moderator, users.c.approved, accounts.c.suspended_at, users.c.created_at, accounts.c.statuses_count)
        .join(accounts, accounts.c.id == users.c.account_id).order_by(accounts.c.username))).all()
    return [LocalUser(r.account_id, r.username, r.email, bool(r.admin), bool(r.disabled), bool(r.approved),
                      r.suspended_at is not None, r.created_at, r.statuses_count, bool(r.moderator)) for r in rows]


async def set_password(conn: AsyncConnection, account_id: int, password: str) -> None:
    await conn.execute(update(users).where(users.c.account_id == account_id)
                       .values(password_hash=hash_password(password)))


def _tokens():  # noqa: ANN202
    return (select(oauth_tokens.c.id, accounts.c.username, oauth_apps.c.name.label("app_name"), oauth_tokens.c.scopes,
                   oauth_tokens.c.created_at, oauth_tokens.c.last_used_at, oauth_tokens.c.revoked_at)
            .select_from(oauth_tokens.outerjoin(users, users.c.id == oauth_tokens.c.user_id)
                         .outerjoin(accounts, accounts.c.id == users.c.account_id)
                         .outerjoin(oauth_apps, oauth_apps.c.id == oauth_tokens.c.app_id)))


def _token(row) -> TokenRow:  # noqa: ANN001
    return TokenRow(row.id, row.username, row.app_name, row.scopes, row.created_at, row.last_used_at,
                    row.revoked_at)


async def tokens(conn: AsyncConnection, *, account_id: int | None = None, live_only: bool = True) -> list[TokenRow]:
    """Tokens, newest first: all of them, or one account's."""
    stmt = _tokens().order_by(oauth_tokens.c.id.desc())
    if account_id is not None:
        stmt = stmt.where(users.c.account_id == account_id)
    if live_only:
        stmt = stmt.where(oauth_tokens.c.revoked_at.is_(None))
    return [_token(r) for r in (await conn.execute(stmt)).all()]


async def token(conn: AsyncConnection, token_id: int) -> TokenRow | None:
    row = (await conn.execute(_tokens().where(oauth_tokens.c.id == token_id))).first()
    return _token(row) if row else None


async def revoke_token(conn: AsyncConnection, token_id: int, now: float) -> bool:
    """False when there is no such live token."""
    result = await conn.execute(update(oauth_tokens).where(oauth_tokens.c.id == token_id,
                                                           oauth_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=now))
    return bool(result.rowcount)
