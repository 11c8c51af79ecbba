"""Creating local accounts (the CLI and, later, sign-up and the admin API share this)."""
from __future__ import annotations

import asyncio
import re

from federation.runtime import Runtime
from federation.httpsig import generate_key_pair
from models import accounts, scim
from models.accounts import Account
from social.errors import Unprocessable

USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")


class EmailTaken(Unprocessable):
    """Another local person signs in with this e-mail address (compared without case)."""


def check_new_password(password: str) -> None:
    if len(password) < 8:
        raise Unprocessable("the password needs at least 8 characters")


async def create_account(rt: Runtime, username: str, *, email: str | None, password: str | None,
                         admin: bool = False, locked: bool = False, display_name: str = "") -> Account:
    if not USERNAME.fullmatch(username):
        raise Unprocessable("a username has 1 to 30 letters, digits or underscores")
    if password is not None:
        check_new_password(password)
    # RSA key generation takes a while; keep it off the event loop.
    private_pem, public_pem = await asyncio.to_thread(generate_key_pair)
    async with rt.db.write() as conn:
        # Sign-in finds a person by e-mail without case: two people with one address would share it.
        # (The default address, USERNAME@HOST, is left to the unique index: SCIM picks another handle.)
        if email is not None and await scim.email_taken(conn, email):
            raise EmailTaken(f"the e-mail address {email} belongs to another account")
        account = await accounts.create_local(
            conn, username=username, uris=rt.urls.account_columns(username), private_key_pem=private_pem,
            public_key_pem=public_pem, display_name=display_name, locked=locked)
        await accounts.create_user(conn, account_id=account.id, email=email or f"{username}@{rt.config.host}",
                                   password=password, admin=admin)
    return account
