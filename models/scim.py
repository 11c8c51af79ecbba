"""Read and write what SCIM provisioning needs: its bearer tokens, local users seen as SCIM Users
(an account with a login, its directory id and state) and the directory's groups with their members,
each listed through a parsed filter."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from models.ids import new_id
from models.oauth import digest
from models.schema import accounts, scim_group_members, scim_groups, scim_tokens, scim_users, users


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


# --- Groups -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    account_id: int  # the SCIM User's id
    user_id: int


@dataclass(frozen=True)
class ScimGroup:
    id: int
    display_name: str
    external_id: str | None
    members: list[Member]
    created_at: float
    updated_at: float


async def _members(conn: AsyncConnection, group_ids: list[int]) -> dict[int, list[Member]]:
    out: dict[int, list[Member]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    rows = await conn.execute(
        select(scim_group_members.c.group_id, users.c.account_id, users.c.id)
        .join(users, users.c.id == scim_group_members.c.user_id)
        .where(scim_group_members.c.group_id.in_(group_ids)).order_by(users.c.id))
    for group_id, account_id, user_id in rows:
        out[group_id].append(Member(account_id, user_id))
    return out


async def group(conn: AsyncConnection, group_id: int, *, lock: bool = False,
                with_members: bool = True) -> ScimGroup | None:
    """One group; `lock` holds its row until the transaction ends (PostgreSQL; SQLite writes one at
    a time anyway), so two changes to its members never undo each other."""
    query = select(scim_groups).where(scim_groups.c.id == group_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
    members = (await _members(conn, [row.id]))[row.id] if with_members else []
    return ScimGroup(row.id, row.display_name, row.external_id, members, row.created_at, row.updated_at)


async def groups_page(conn: AsyncConnection, where: ColumnElement[bool] | None, offset: int, limit: int, *,
                      with_members: bool = True) -> tuple[int, list[ScimGroup]]:
    query = select(scim_groups) if where is None else select(scim_groups).where(where)
    total = (await conn.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await conn.execute(query.order_by(scim_groups.c.id).offset(offset).limit(limit))).all()
    members = await _members(conn, [r.id for r in rows]) if with_members else {}
    return total, [ScimGroup(r.id, r.display_name, r.external_id, members.get(r.id, []), r.created_at,
                             r.updated_at) for r in rows]


async def group_name_taken(conn: AsyncConnection, display_name: str, except_group_id: int | None = None) -> bool:
    cond = scim_groups.c.name_key == display_name.lower()
    if except_group_id is not None:
        cond = and_(cond, scim_groups.c.id != except_group_id)
    return (await conn.execute(select(scim_groups.c.id).where(cond))).first() is not None


async def create_group(conn: AsyncConnection, group_id: int, display_name: str, external_id: str | None) -> None:
    now = time.time()
    await conn.execute(insert(scim_groups).values(id=group_id, display_name=display_name,
                                                  name_key=display_name.lower(), external_id=external_id,
                                                  created_at=now, updated_at=now))


async def save_group(conn: AsyncConnection, group_id: int, display_name: str, external_id: str | None) -> None:
    """A change of the group or its members moves its lastModified (and version)."""
    await conn.execute(update(scim_groups).where(scim_groups.c.id == group_id).values(
        display_name=display_name, name_key=display_name.lower(), external_id=external_id,
        updated_at=time.time()))


async def set_members(conn: AsyncConnection, group_id: int, *, add: set[int], remove: set[int]) -> None:
    if remove:
        await conn.execute(delete(scim_group_members).where(scim_group_members.c.group_id == group_id,
                                                            scim_group_members.c.user_id.in_(remove)))
    if add:
        await conn.execute(insert(scim_group_members), [{"group_id": group_id, "user_id": u} for u in add])


async def delete_group(conn: AsyncConnection, group_id: int) -> None:
    await conn.execute(delete(scim_group_members).where(scim_group_members.c.group_id == group_id))
    await conn.execute(delete(scim_groups).where(scim_groups.c.id == group_id))


async def user_ids_for_accounts(conn: AsyncConnection, account_ids: set[int]) -> dict[int, int]:
    """account id → user id, for the local users (not the node's own account) among `account_ids`."""
    if not account_ids:
        return {}
    rows = await conn.execute(select(users.c.account_id, users.c.id).join(accounts, accounts.c.id == users.c.account_id)
                              .where(users.c.account_id.in_(account_ids), accounts.c.domain.is_(None)))
    return {a: u for a, u in rows}


async def group_names_of(conn: AsyncConnection, user_ids: set[int]) -> dict[int, set[str]]:
    """The (lower-cased) names of the groups each user is in."""
    out: dict[int, set[str]] = {u: set() for u in user_ids}
    if user_ids:
        rows = await conn.execute(select(scim_group_members.c.user_id, scim_groups.c.name_key)
                                  .join(scim_groups, scim_groups.c.id == scim_group_members.c.group_id)
                                  .where(scim_group_members.c.user_id.in_(user_ids)))
        for user_id, name in rows:
            out[user_id].add(name)
    return out


async def set_role(conn: AsyncConnection, user_id: int, role: str, value: bool) -> None:
    assert role in ("admin", "moderator")
    await conn.execute(update(users).where(users.c.id == user_id).values(**{role: value}))


# --- Filters (RFC 7644 §3.4.2.2), as a parsed tree of (op, attribute, value) ----------------------

def _columns() -> dict[str, Any]:
    return {"username": USER_NAME, "id": accounts.c.id, "externalid": scim_users.c.external_id,
            "displayname": accounts.c.display_name, "name.formatted": accounts.c.display_name,
            "emails.value": users.c.email, "emails": users.c.email, "active": not_(users.c.disabled)}


CASE_EXACT = {"externalid", "id"}  # userName and e-mails compare case-insensitively (caseExact false)


def _group_columns() -> dict[str, Any]:
    return {"displayname": scim_groups.c.display_name, "id": scim_groups.c.id,
            "externalid": scim_groups.c.external_id}


def _group_has_member(op: str, value: Any) -> ColumnElement[bool]:
    """members.value eq "<user id>" (or members pr): groups someone is in, as directories ask."""
    in_group = scim_group_members.c.group_id == scim_groups.c.id
    if op == "pr":
        return exists().where(in_group)
    if op not in ("eq", "ne") or not isinstance(value, str):
        raise ValueError("members.value compares with eq or ne to a user's id")
    found = exists().where(in_group, scim_group_members.c.user_id == users.c.id,
                           users.c.account_id == (int(value) if value.isascii() and value.isdigit() and len(value) < 19 else -1))
    return found if op == "eq" else not_(found)


def condition(tree: tuple) -> ColumnElement[bool]:
    """SQL for a filter tree on users: ("and"|"or", left, right), ("not", inner) or (op, attribute, value)."""
    return _condition(tree, _columns(), {})


def group_condition(tree: tuple) -> ColumnElement[bool]:
    """SQL for a filter tree on groups (displayName, externalId, id, members.value)."""
    return _condition(tree, _group_columns(), {"members": _group_has_member, "members.value": _group_has_member})


def _condition(tree: tuple, columns: dict[str, Any], special: dict[str, Any]) -> ColumnElement[bool]:
    op = tree[0]
    if op in ("and", "or"):
        parts = [_condition(tree[1], columns, special), _condition(tree[2], columns, special)]
        return and_(*parts) if op == "and" else or_(*parts)
    if op == "not":
        return not_(_condition(tree[1], columns, special))
    _, attribute, value = tree
    if attribute in special:
        return special[attribute](op, value)
    column = columns.get(attribute)
    if column is None:
        raise KeyError(attribute)
    if op == "pr":
        return column.is_not(None) & (column != "") if attribute not in ("id", "active") else column.is_not(None)
    if attribute == "active":
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise ValueError("active compares with eq or ne to true or false")
        return column == value if op == "eq" else column != value
    if attribute == "id":
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19) \
                or op not in ("eq", "ne"):
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
