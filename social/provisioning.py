"""Accounts that come and go with the organisation's directory: SCIM provisioning (create, change,
deactivate, delete) and the handle a directory name or an OpenID claim becomes.

A deactivated user's tokens are revoked in the same transaction, so every token stops working at
once (401), and sign-in refuses a disabled user everywhere. Deleting is the moderators' delete: the
account's federated Delete goes out and its data is removed.
"""
from __future__ import annotations

import re
import secrets

from sqlalchemy.exc import IntegrityError

from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as moderation_store
from models import scim
from models.accounts import Account, AccountExists
from models.scim import ScimUser
from social import moderation
from social.accounts import create_account
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
