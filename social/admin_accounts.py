"""What an operator does to local accounts from the command line: list them, reset a password,
change a role, delete one (federated), list and revoke tokens. The same rules as the admin API
and pages: deletion is moderation.delete_account, which tells every server that knew the account."""
from __future__ import annotations

import time
from typing import Callable

from federation.runtime import Runtime
from models import moderation as moderation_store, user_admin
from models.accounts import Account
from models.user_admin import LocalUser, TokenRow
from social import moderation
from social.accounts import check_new_password
from social.errors import NotFound, Unprocessable

ROLES = ("admin", "moderator", "user")


async def local_account(rt: Runtime, name: str) -> Account:
    """A local account with a login, by `alice`, `@alice` or `alice@this.domain`."""
    account = await moderation.find_account(rt, name)
    if not account.local:
        raise Unprocessable(f"{name} is not a local account")
    return account


async def list_users(rt: Runtime) -> list[LocalUser]:
    async with rt.db.read() as conn:
        return await user_admin.local_users(conn)


async def reset_password(rt: Runtime, name: str, password: str) -> Account:
    """A new password; sessions and tokens already given out stay valid (revoke them with
    `token revoke`, or suspend the account, when the old password leaked)."""
    check_new_password(password)
    account = await local_account(rt, name)
    async with rt.db.write() as conn:
        if await moderation_store.user_of(conn, account.id) is None:
            raise NotFound(f"{name} has no login (it was deleted)")
        await user_admin.set_password(conn, account.id, password)
    return account


async def set_role(rt: Runtime, name: str, role: str) -> Account:
    if role not in ROLES:
        raise Unprocessable(f"the role is one of {', '.join(ROLES)}")
    account = await local_account(rt, name)
    async with rt.db.write() as conn:
        if await moderation_store.user_of(conn, account.id) is None:
            raise NotFound(f"{name} has no login (it was deleted)")
        await moderation_store.set_user(conn, account.id, admin=role == "admin", moderator=role == "moderator")
    return account


async def delete_user(rt: Runtime, name: str, progress: Callable[[int, int], None] | None = None) -> Account:
    """The account's posts and login go; a Delete of the actor goes to every server that follows it
    or that it follows."""
    account = await local_account(rt, name)
    return await moderation.delete_account(rt, account.id, progress)


async def list_tokens(rt: Runtime, name: str | None = None) -> list[TokenRow]:
    account_id = (await local_account(rt, name)).id if name else None
    async with rt.db.read() as conn:
        return await user_admin.tokens(conn, account_id=account_id)


async def revoke_token(rt: Runtime, token_id: int) -> TokenRow:
    """Revoked at once: every request checks the token against the database."""
    async with rt.db.write() as conn:
        if not await user_admin.revoke_token(conn, token_id, time.time()):
            raise NotFound(f"no live token #{token_id}")
        return await user_admin.token(conn, token_id)  # type: ignore[return-value]
