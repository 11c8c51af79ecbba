"""Signing in with a password, for every door that takes one: the web sign-in, the admin sign-in,
the OAuth authorisation form and the OAuth password grant. A person with two-factor sign-in on
needs a code as well, wherever they sign in. And what a person does about their own sign-in:
change the password, revoke an app's or a web session's token."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as moderation_store
from models import user_admin
from models.accounts import Account, User
from models.user_admin import TokenRow
from social import two_factor
from social.accounts import check_new_password
from social.errors import NotFound, Unprocessable

WRONG = "Wrong e-mail, username or password."
CODE_NEEDED = "Enter the code from your authenticator app (or a recovery code)."
CODE_WRONG = "That two-factor code does not match."


@dataclass(frozen=True)
class SignIn:
    """Who signed in, or why not (`problem`, a sentence to show; `code_needed` asks for the code)."""
    user: User | None = None
    account: Account | None = None
    problem: str | None = None
    code_needed: bool = False


async def check(rt: Runtime, login: str, password: str, code: str | None = None) -> SignIn:
    login = login.strip().lstrip("@")
    if not login or not password or rt.config.sso_only:
        return SignIn(problem=WRONG)
    async with rt.db.read() as conn:
        found = await accounts_store.user_by_login(conn, login)
        account = await accounts_store.get(conn, found[0].account_id) if found else None
        approved = await moderation_store.user_approved(conn, found[0].id) if found else False
    # scrypt is slow on purpose: run it off the event loop (check_password is as slow for an unknown
    # login as for a known one, so the answer's timing does not tell which e-mails exist).
    matches = await asyncio.to_thread(accounts_store.check_password, password, found[1] if found else None)
    if found is None or not matches or account is None:
        return SignIn(problem=WRONG)
    user = found[0]
    # A disabled or suspended login, or a sign-up that waits for approval, cannot sign in.
    if user.disabled or account.suspended_at is not None or not approved:
        return SignIn(problem=WRONG)
    if await two_factor.enabled(rt, user.id):
        if not (code or "").strip():
            return SignIn(problem=CODE_NEEDED, code_needed=True)
        if not await two_factor.check(rt, user.id, code or ""):
            return SignIn(problem=CODE_WRONG, code_needed=True)
    return SignIn(user=user, account=account)


async def password_matches(rt: Runtime, user: User, password: str) -> bool:
    """Whether `password` is the user's (asked again before a change that cannot be undone)."""
    async with rt.db.read() as conn:
        account = await accounts_store.get(conn, user.account_id)
        found = await accounts_store.user_by_login(conn, account.username) if account else None
    stored = found[1] if found and found[0].id == user.id else None
    return await asyncio.to_thread(accounts_store.check_password, password, stored)


async def change_password(rt: Runtime, user: User, current: str, new: str) -> None:
    """A new password for a person who knows the current one."""
    check_new_password(new)
    if not await password_matches(rt, user, current):
        raise Unprocessable("The current password is not right.")
    async with rt.db.write() as conn:
        await user_admin.set_password(conn, user.account_id, new)


async def own_tokens(rt: Runtime, account: Account) -> list[TokenRow]:
    """The live tokens of a person's apps and web sessions, newest first."""
    async with rt.db.read() as conn:
        return await user_admin.tokens(conn, account_id=account.id)


async def revoke_own_token(rt: Runtime, account: Account, token_id: int) -> None:
    """Revoke one of a person's own tokens (an app's access, or a web session): it stops at once."""
    async with rt.db.write() as conn:
        row = await user_admin.token(conn, token_id)
        if row is None or row.username != account.username or row.revoked_at is not None or account.domain:
            raise NotFound("No such token")
        await user_admin.revoke_token(conn, token_id, time.time())
