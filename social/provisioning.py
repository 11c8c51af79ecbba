"""Accounts that come and go with the organisation's directory: SCIM provisioning (create, change,
deactivate, delete), the directory's groups and the roles they give, and the handle a directory name
or an OpenID claim becomes.

Roles by group: the settings name the group that makes its members admins and the one that makes
them moderators (scim_admin_group, scim_moderator_group for SCIM groups; oidc_admin_group,
oidc_moderator_group for the sign-in's `groups` claim), compared without case. A SCIM member gets the
role when they join such a group and loses it when they leave it (or it is deleted or renamed) and
are in no other group giving it; a change to a group that gives no role leaves roles alone.

A deactivated user's tokens are revoked in the same transaction, so every token stops working at
once (401), and sign-in refuses a disabled user everywhere. Deleting is the moderators' delete: the
account's federated Delete goes out and its data is removed.
"""
from __future__ import annotations

import re
import secrets
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy.exc import IntegrityError

from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as moderation_store
from models import scim
from models.accounts import Account, AccountExists
from models.ids import new_id
from models.scim import ScimGroup, ScimUser
from social import moderation
from social.accounts import EmailTaken, create_account
from social.errors import NotFound, ServiceError

HANDLE_CHARS = re.compile(r"[^A-Za-z0-9_]+")
HANDLE_MAX = 30


class Conflict(ServiceError):
    """A userName or e-mail address another user already has (SCIM scimType uniqueness)."""
    status = 409


async def free_handle(rt: Runtime, wanted: str) -> str:
    """A local username made from a directory name or claim: `Jane.Doe@acme.example` → `Jane_Doe`,
    with a number added while the name is taken (handles are federated ids: they never change)."""
    base = HANDLE_CHARS.sub("_", wanted.split("@", 1)[0]).strip("_")[:HANDLE_MAX] or "user"
    async with rt.db.read() as conn:
        for n in range(1, 1000):
            suffix = "" if n == 1 else f"_{n}"
            candidate = base[:HANDLE_MAX - len(suffix)] + suffix
            if await accounts_store.by_acct(conn, candidate, None) is None:
                return candidate
    return f"user_{secrets.token_hex(6)}"


def primary_email(emails: list[dict]) -> str | None:
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    value = (chosen or {}).get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


async def _check_unique(conn, user_name: str, email: str | None, user_id: int | None) -> None:  # noqa: ANN001
    if await scim.user_name_taken(conn, user_name, user_id):
        raise Conflict(f"userName {user_name!r} is taken")
    if email and await scim.email_taken(conn, email, user_id):
        raise Conflict(f"the e-mail address {email!r} belongs to another user")


async def create_user(rt: Runtime, *, user_name: str, display_name: str, emails: list[dict], active: bool | None,
                      external_id: str | None) -> ScimUser:
    email = primary_email(emails)
    async with rt.db.read() as conn:
        await _check_unique(conn, user_name, email, None)
    # No password: the person signs in through the organisation's provider (or gets one from an admin).
    account = await new_account(rt, user_name, email=email, display_name=display_name)
    try:
        async with rt.db.write() as conn:
            found = await scim.user(conn, account.id)
            assert found is not None
            await scim.save(conn, found.user_id, user_name=user_name, external_id=external_id, emails=emails,
                            active=active)
            await scim.set_profile(conn, account.id, display_name=display_name, email=email,
                                   disabled=active is False)
            return await scim.user(conn, account.id)  # type: ignore[return-value]
    except IntegrityError:  # the same userName or e-mail created at the same moment
        await moderation.delete_account(rt, account.id)
        raise Conflict(f"userName {user_name!r} or its e-mail address was just taken") from None


async def new_account(rt: Runtime, wanted: str, *, email: str | None, display_name: str,
                      admin: bool = False) -> Account:
    """A passwordless account under a free handle made from `wanted`; two made at once from the
    same name get different handles (the loser of the race picks again)."""
    for _ in range(3):
        try:
            return await create_account(rt, await free_handle(rt, wanted), email=email, password=None,
                                        admin=admin, display_name=display_name)
        except (AccountExists, IntegrityError):
            continue
        except EmailTaken as err:  # given at the same moment to another user
            raise Conflict(str(err)) from None
    raise Conflict(f"no free handle for {wanted!r} right now; try again")


async def get_user(rt: Runtime, account_id: int) -> ScimUser:
    async with rt.db.read() as conn:
        found = await scim.user(conn, account_id)
    if found is None or account_id == rt.instance_account_id:
        raise NotFound("Resource not found")
    return found


async def update_user(rt: Runtime, account_id: int, *, user_name: str, display_name: str, emails: list[dict],
                      active: bool | None, external_id: str | None) -> ScimUser:
    """Set what SCIM manages of a user (PUT and PATCH both end here). Deactivating revokes every
    token of the user in the same transaction."""
    email = primary_email(emails)
    try:
        async with rt.db.write() as conn:
            found = await scim.user(conn, account_id)
            if found is None or account_id == rt.instance_account_id:
                raise NotFound("Resource not found")
            await _check_unique(conn, user_name, email, found.user_id)
            await scim.save(conn, found.user_id, user_name=user_name, external_id=external_id, emails=emails,
                            active=active)
            await scim.set_profile(conn, account_id, display_name=display_name, email=email,
                                   disabled=active is False)
            if active is False:
                await moderation_store.revoke_tokens(conn, account_id)
            return await scim.user(conn, account_id)  # type: ignore[return-value]
    except IntegrityError:
        raise Conflict(f"userName {user_name!r} or its e-mail address was just taken") from None


async def delete_user(rt: Runtime, account_id: int) -> None:
    await get_user(rt, account_id)
    await moderation.delete_account(rt, account_id)


async def create_token(rt: Runtime, label: str = "") -> str:
    """A new SCIM bearer token, returned once; only its hash is stored."""
    token = "scim_" + secrets.token_urlsafe(32)
    async with rt.db.write() as conn:
        await scim.create_token(conn, token, label)
    return token


async def revoke_token(rt: Runtime, token_id: int) -> None:
    async with rt.db.write() as conn:
        if not await scim.revoke_token(conn, token_id):
            raise NotFound(f"no active SCIM token {token_id}")


# --- Roles by group -----------------------------------------------------------------------------

def roles_for_groups(groups: Iterable[Any], role_groups: Mapping[str, str]) -> dict[str, bool]:
    """{role: whether one of `groups` gives it} for each role whose group is set in `role_groups`
    ({"admin": name, "moderator": name}; an empty name: the groups have no say in that role)."""
    names = {g.lower() for g in groups if isinstance(g, str)}
    return {role: group.lower() in names for role, group in role_groups.items() if group}


def scim_role_groups(rt: Runtime) -> dict[str, str]:
    return {"admin": rt.config.scim_admin_group, "moderator": rt.config.scim_moderator_group}


async def _settle_roles(conn, rt: Runtime, user_ids: set[int], touched: set[str]) -> None:  # noqa: ANN001
    """After `user_ids` joined or left groups named `touched`: each role one of those names gives is
    set from all the groups each of them is in now."""
    roles = {role: group for role, group in scim_role_groups(rt).items()
             if group and group.lower() in {t.lower() for t in touched}}
    if not roles or not user_ids:
        return
    names = await scim.group_names_of(conn, user_ids)
    for user_id in user_ids:
        for role, value in roles_for_groups(names[user_id], roles).items():
            await scim.set_role(conn, user_id, role, value)


# --- Groups -------------------------------------------------------------------------------------

class GroupConflict(Conflict):
    pass


async def _members(conn, account_ids: Iterable[int]) -> dict[int, int]:  # noqa: ANN001
    """account id → user id for the members asked for; an id that is no user here is a 400."""
    wanted = set(account_ids)
    found = await scim.user_ids_for_accounts(conn, wanted)
    missing = sorted(wanted - set(found))
    if missing:
        raise ServiceError(f"No user {missing[0]} to be a member")
    return found


async def create_group(rt: Runtime, *, display_name: str, external_id: str | None,
                       members: Iterable[int]) -> ScimGroup:
    group_id = new_id()
    try:
        async with rt.db.write() as conn:
            if await scim.group_name_taken(conn, display_name):
                raise GroupConflict(f"A group named {display_name!r} exists")
            users = await _members(conn, members)
            await scim.create_group(conn, group_id, display_name, external_id)
            await scim.set_members(conn, group_id, add=set(users.values()), remove=set())
            await _settle_roles(conn, rt, set(users.values()), {display_name})
            return await scim.group(conn, group_id)  # type: ignore[return-value]
    except IntegrityError:  # the same name created at the same moment
        raise GroupConflict(f"A group named {display_name!r} was just made") from None


async def get_group(rt: Runtime, group_id: int, *, with_members: bool = True) -> ScimGroup:
    async with rt.db.read() as conn:
        found = await scim.group(conn, group_id, with_members=with_members)
    if found is None:
        raise NotFound("Resource not found")
    return found


async def change_group(rt: Runtime, group_id: int, change: Callable[[dict], None]) -> ScimGroup:
    """PUT and PATCH: `change` edits the group's state ({"display_name", "external_id", "members":
    a list of user (account) ids}) as read in the same transaction, which holds the group, so two
    directories' changes at once both count."""
    try:
        async with rt.db.write() as conn:
            current = await scim.group(conn, group_id, lock=True)
            if current is None:
                raise NotFound("Resource not found")
            state = {"display_name": current.display_name, "external_id": current.external_id,
                     "members": [m.account_id for m in current.members]}
            change(state)
            name = state["display_name"]
            if name.lower() != current.display_name.lower() and await scim.group_name_taken(conn, name, group_id):
                raise GroupConflict(f"A group named {name!r} exists")
            users = await _members(conn, state["members"])
            before = {m.user_id for m in current.members}
            after = set(users.values())
            await scim.save_group(conn, group_id, name, state["external_id"])
            await scim.set_members(conn, group_id, add=after - before, remove=before - after)
            if name.lower() != current.display_name.lower():  # a rename may give or take a role from all
                await _settle_roles(conn, rt, before | after, {name, current.display_name})
            else:
                await _settle_roles(conn, rt, before ^ after, {name})
            return await scim.group(conn, group_id)  # type: ignore[return-value]
    except IntegrityError:
        raise GroupConflict(f"A group named {state['display_name']!r} was just made") from None


async def delete_group(rt: Runtime, group_id: int) -> None:
    async with rt.db.write() as conn:
        current = await scim.group(conn, group_id, lock=True)
        if current is None:
            raise NotFound("Resource not found")
        await scim.delete_group(conn, group_id)
        await _settle_roles(conn, rt, {m.user_id for m in current.members}, {current.display_name})
