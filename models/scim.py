"""Read and write what SCIM provisioning needs: its bearer tokens, and local users seen as SCIM Users
(an account with a login, its directory id and state) listed through a parsed filter."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from models.ids import new_id
from models.oauth import digest
from models.schema import accounts, scim_tokens, scim_users, users


@dataclass(frozen=True)
class ScimUser:
    account_id: int
    user_id: int
    username: str  # the account's handle
    user_name: str  # the directory's userName
    display_name: str
    email: str | None
    emails: list[dict]
    active: bool | None  # None: not assigned (the login works)
    admin: bool
    external_id: str | None
    created_at: float
    updated_at: float


# --- Tokens -------------------------------------------------------------------------------------

async def create_token(conn: AsyncConnection, token: str, label: str) -> int:
    token_id = new_id()
    await conn.execute(insert(scim_tokens).values(id=token_id, token_hash=digest(token), label=label,
                                                  created_at=time.time()))
    return token_id


async def token_valid(conn: AsyncConnection, token: str) -> bool:
    row = (await conn.execute(select(scim_tokens.c.id).where(
        scim_tokens.c.token_hash == digest(token), scim_tokens.c.revoked_at.is_(None)))).first()
    return row is not None


async def list_tokens(conn: AsyncConnection) -> list[tuple[int, str, float, float | None]]:
    rows = (await conn.execute(select(scim_tokens.c.id, scim_tokens.c.label, scim_tokens.c.created_at,
                                      scim_tokens.c.revoked_at).order_by(scim_tokens.c.id))).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def revoke_token(conn: AsyncConnection, token_id: int) -> bool:
    result = await conn.execute(update(scim_tokens).where(scim_tokens.c.id == token_id,
                                                          scim_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=time.time()))
    return result.rowcount > 0


# --- Users --------------------------------------------------------------------------------------

USER_NAME = func.coalesce(scim_users.c.user_name, func.lower(accounts.c.username))


def _query():  # noqa: ANN202
    return (select(accounts.c.id.label("account_id"), users.c.id.label("user_id"), accounts.c.username,
                   USER_NAME.label("user_name"), accounts.c.display_name, users.c.email, users.c.disabled,
                   users.c.admin, scim_users.c.external_id, scim_users.c.emails, scim_users.c.active,
                   (scim_users.c.user_id.is_not(None)).label("provisioned"), users.c.created_at,
                   func.coalesce(scim_users.c.updated_at, users.c.created_at).label("updated_at"))
            .select_from(users.join(accounts, accounts.c.id == users.c.account_id)
                         .outerjoin(scim_users, scim_users.c.user_id == users.c.id))
            .where(accounts.c.domain.is_(None)))


def _user(row) -> ScimUser:  # noqa: ANN001
    emails = json.loads(row.emails) if row.emails else (
        [{"value": row.email, "primary": True}] if row.email else [])
    # `active` is absent only when the directory left it unassigned and nobody disabled the login.
    active = False if row.disabled else (True if row.active is not None or not row.provisioned else None)
    return ScimUser(row.account_id, row.user_id, row.username, row.user_name, row.display_name or "", row.email,
                    emails, active, row.admin, row.external_id, row.created_at, row.updated_at)


async def user(conn: AsyncConnection, account_id: int) -> ScimUser | None:
    row = (await conn.execute(_query().where(accounts.c.id == account_id))).first()
    return _user(row) if row else None


async def users_page(conn: AsyncConnection, where: ColumnElement[bool] | None, offset: int,
                     limit: int) -> tuple[int, list[ScimUser]]:
    """One page of users matching `where` (see `condition`), oldest first, and how many match."""
    query = _query() if where is None else _query().where(where)
    total = (await conn.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await conn.execute(query.order_by(users.c.created_at, users.c.id).offset(offset).limit(limit))).all()
    return total, [_user(r) for r in rows]


async def admins(conn: AsyncConnection) -> list[ScimUser]:
    rows = (await conn.execute(_query().where(users.c.admin.is_(True)).order_by(users.c.id))).all()
    return [_user(r) for r in rows]


async def user_name_taken(conn: AsyncConnection, user_name: str, except_user_id: int | None = None) -> bool:
    cond = USER_NAME == user_name.lower()
    query = _query().where(cond if except_user_id is None else and_(cond, users.c.id != except_user_id))
    return (await conn.execute(query.limit(1))).first() is not None


async def email_taken(conn: AsyncConnection, email: str, except_user_id: int | None = None) -> bool:
    cond = func.lower(users.c.email) == email.lower()
    if except_user_id is not None:
        cond = and_(cond, users.c.id != except_user_id)
    return (await conn.execute(select(users.c.id).where(cond))).first() is not None


async def save(conn: AsyncConnection, user_id: int, *, user_name: str, external_id: str | None,
               emails: list[dict], active: bool | None) -> None:
    """What SCIM keeps of a user beyond the account; a change moves its lastModified (and version)."""
    values = {"user_name": user_name.lower(), "external_id": external_id, "emails": json.dumps(emails),
              "active": active, "updated_at": time.time()}
    updated = await conn.execute(update(scim_users).where(scim_users.c.user_id == user_id).values(**values))
    if updated.rowcount == 0:
        await conn.execute(insert(scim_users).values(user_id=user_id, **values))


async def set_profile(conn: AsyncConnection, account_id: int, *, display_name: str, email: str | None,
                      disabled: bool) -> None:
    await conn.execute(update(accounts).where(accounts.c.id == account_id)
                       .values(display_name=display_name, updated_at=time.time()))
    await conn.execute(update(users).where(users.c.account_id == account_id)
                       .values(email=email, disabled=disabled))


# --- Filters (RFC 7644 §3.4.2.2), as a parsed tree of (op, attribute, value) ----------------------

def _columns() -> dict[str, Any]:
    return {"username": USER_NAME, "id": accounts.c.id, "externalid": scim_users.c.external_id,
            "displayname": accounts.c.display_name, "name.formatted": accounts.c.display_name,
            "emails.value": users.c.email, "emails": users.c.email, "active": not_(users.c.disabled)}


CASE_EXACT = {"externalid", "id"}  # userName and e-mails compare case-insensitively (caseExact false)


def condition(tree: tuple) -> ColumnElement[bool]:
    """SQL for a filter tree: ("and"|"or", left, right), ("not", inner) or (op, attribute, value)."""
    op = tree[0]
    if op in ("and", "or"):
        parts = [condition(tree[1]), condition(tree[2])]
        return and_(*parts) if op == "and" else or_(*parts)
    if op == "not":
        return not_(condition(tree[1]))
    _, attribute, value = tree
    column = _columns().get(attribute)
    if column is None:
        raise KeyError(attribute)
    if op == "pr":
        return column.is_not(None) & (column != "") if attribute not in ("id", "active") else column.is_not(None)
    if attribute == "active":
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise ValueError("active compares with eq or ne to true or false")
        return column == value if op == "eq" else column != value
    if attribute == "id":
        if not (isinstance(value, str) and value.isdigit()) or op not in ("eq", "ne"):
            return column.is_(None) if op == "eq" else column.is_not(None)
        return column == int(value) if op == "eq" else column != int(value)
    if not isinstance(value, str):
        raise ValueError(f"{attribute} compares with a string")
    if attribute not in CASE_EXACT:
        column, value = func.lower(column), value.lower()
    if op == "eq":
        return column == value
    if op == "ne":
        return column != value
    if op == "co":
        return column.contains(value, autoescape=True)
    if op == "sw":
        return column.startswith(value, autoescape=True)
    if op == "ew":
        return column.endswith(value, autoescape=True)
    raise ValueError(f"the operator {op} does not apply to {attribute}")
