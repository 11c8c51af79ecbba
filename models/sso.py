"""OpenID Connect sign-in state: pending sign-ins (single-use) and the link from a provider's subject
to a local user."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.oauth import digest
from models.schema import sso_identities, sso_logins


@dataclass(frozen=True)
class PendingLogin:
    nonce: str
    code_verifier: str
    purpose: str
    resume: dict


async def add_login(conn: AsyncConnection, *, state: str, nonce: str, code_verifier: str, purpose: str,
                    resume: dict, ttl: float) -> None:
    now = time.time()
    await conn.execute(delete(sso_logins).where(sso_logins.c.expires_at < now))  # old ones go as new ones come
    await conn.execute(insert(sso_logins).values(state_hash=digest(state), nonce=nonce, code_verifier=code_verifier,
                                                 purpose=purpose, resume=json.dumps(resume), expires_at=now + ttl))


async def take_login(conn: AsyncConnection, state: str) -> PendingLogin | None:
    """The pending sign-in for `state`, removed so it cannot be used twice; None if unknown or expired."""
    key = digest(state)
    row = (await conn.execute(select(sso_logins).where(sso_logins.c.state_hash == key))).first()
    if row is None:
        return None
    removed = await conn.execute(delete(sso_logins).where(sso_logins.c.state_hash == key))
    if removed.rowcount != 1 or row.expires_at < time.time():
        return None
    return PendingLogin(row.nonce, row.code_verifier, row.purpose, json.loads(row.resume or "{}"))


async def user_id_for(conn: AsyncConnection, issuer: str, subject: str) -> int | None:
    return (await conn.execute(select(sso_identities.c.user_id).where(
        sso_identities.c.issuer == issuer, sso_identities.c.subject == subject))).scalar()


async def link(conn: AsyncConnection, issuer: str, subject: str, user_id: int) -> None:
    await conn.execute(insert(sso_identities).values(id=new_id(), issuer=issuer, subject=subject, user_id=user_id,
                                                     created_at=time.time()))
