"""Sign-up and invites. The `registrations` setting says who may sign up: nobody (closed: admins
create accounts, or someone holds an invite), anyone whose request an admin approves (approval), or
anyone (open). A valid invite lets its holder in whatever the setting, without waiting for approval.
"""
from __future__ import annotations

import asyncio
import time

from federation.runtime import Runtime
from federation.httpsig import generate_key_pair
from models import accounts, moderation
from models.accounts import Account
from models.moderation import Invite
from social.accounts import USERNAME
from social.errors import Forbidden, NotFound, Unprocessable

REGISTRATION_MODES = ("closed", "approval", "open")


async def register(rt: Runtime, *, username: str, email: str, password: str, agreement: bool,
                   reason: str = "", invite_code: str | None = None) -> tuple[Account, bool]:
    """Create a local account from a sign-up; returns it and whether it may sign in now."""
    mode = rt.config.registrations
    if not agreement:
        raise Unprocessable("Validation failed: Agreement must be accepted")
    if not USERNAME.fullmatch(username or ""):
        raise Unprocessable("Validation failed: Username must contain only letters, numbers and underscores")
    if not email or "@" not in email or len(email) > 255:
        raise Unprocessable("Validation failed: Email is invalid")
    if len(password or "") < 8:
        raise Unprocessable("Validation failed: Password is too short (minimum is 8 characters)")
    invite: Invite | None = None
    if invite_code:
        async with rt.db.read() as conn:
            invite = await moderation.invite_by_code(conn, invite_code)
        if invite is None or not invite.usable():
            raise Unprocessable("Validation failed: Invite is invalid or expired")
    elif mode == "closed":
        raise Forbidden("Registrations are closed on this node")
    approved = invite is not None or mode == "open"
    private_pem, public_pem = await asyncio.to_thread(generate_key_pair)
    async with rt.db.write() as conn:
        if invite is not None and not await moderation.use_invite(conn, invite.id):
            raise Unprocessable("Validation failed: Invite is invalid or expired")
        try:
            account = await accounts.create_local(
                conn, username=username, uris=rt.urls.account_columns(username), private_key_pem=private_pem,
                public_key_pem=public_pem)
        except accounts.AccountExists:
            raise Unprocessable("Validation failed: Username has already been taken") from None
        existing = await accounts.user_by_login(conn, email)
        if existing is not None:
            raise Unprocessable("Validation failed: Email has already been taken")
        await accounts.create_user(conn, account_id=account.id, email=email, password=password)
        await moderation.set_user(conn, account.id, approved=approved,
                                  invite_id=invite.id if invite else None, reason=(reason or "")[:1000])
    return account, approved


async def create_invite(rt: Runtime, *, created_by: int | None = None, max_uses: int | None = None,
                        expires_in_hours: float | None = None) -> Invite:
    if max_uses is not None and max_uses < 1:
        raise Unprocessable("max uses must be at least 1")
    if expires_in_hours is not None and expires_in_hours <= 0:
        raise Unprocessable("an invite must expire in the future")
    expires_at = time.time() + expires_in_hours * 3600 if expires_in_hours else None
    async with rt.db.write() as conn:
        creator = created_by or rt.instance_account_id
        return await moderation.create_invite(conn, created_by=creator,  # type: ignore[arg-type]
                                              max_uses=max_uses, expires_at=expires_at)


async def list_invites(rt: Runtime) -> list[Invite]:
    async with rt.db.read() as conn:
        return await moderation.list_invites(conn)


async def revoke_invite(rt: Runtime, code: str) -> None:
    async with rt.db.write() as conn:
        if not await moderation.expire_invite(conn, code):
            raise NotFound(f"no invite {code!r}")


async def check_invite(rt: Runtime, code: str) -> Invite | None:
    async with rt.db.read() as conn:
        invite = await moderation.invite_by_code(conn, code)
    return invite if invite is not None and invite.usable() else None
