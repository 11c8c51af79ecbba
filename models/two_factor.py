"""A user's two-factor state: the confirmed TOTP secret, the digests of unused recovery codes, and the
last time step a code was accepted for (so each code signs in once)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.schema import users


@dataclass(frozen=True)
class SecondFactor:
    secret: str
    recovery: list[str]  # sha256 hex of each unused recovery code
    last_step: int | None


async def of_user(conn: AsyncConnection, user_id: int) -> SecondFactor | None:
    """None when the user has no second factor."""
    row = (await conn.execute(select(users.c.otp_secret, users.c.otp_recovery, users.c.otp_last_step)
                              .where(users.c.id == user_id))).first()
    if row is None or not row.otp_secret:
        return None
    return SecondFactor(row.otp_secret, json.loads(row.otp_recovery or "[]"), row.otp_last_step)


async def enable(conn: AsyncConnection, user_id: int, secret: str, recovery: list[str]) -> None:
    await conn.execute(update(users).where(users.c.id == user_id)
                       .values(otp_secret=secret, otp_recovery=json.dumps(recovery), otp_last_step=None))


async def disable(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(update(users).where(users.c.id == user_id)
                       .values(otp_secret=None, otp_recovery=None, otp_last_step=None))


async def use_step(conn: AsyncConnection, user_id: int, step: int) -> bool:
    """Take time step `step` for a sign-in; False when it (or a later one) was used already."""
    result = await conn.execute(update(users).where(
        users.c.id == user_id, or_(users.c.otp_last_step.is_(None), users.c.otp_last_step < step))
        .values(otp_last_step=step))
    return bool(result.rowcount)


async def use_recovery(conn: AsyncConnection, user_id: int, digest: str, remaining: list[str]) -> bool:
    """Spend one recovery code: the stored list must still be the one it was read from."""
    before = await of_user(conn, user_id)
    if before is None or digest not in before.recovery:
        return False
    result = await conn.execute(update(users).where(
        users.c.id == user_id, users.c.otp_recovery == json.dumps(before.recovery))
        .values(otp_recovery=json.dumps(remaining)))
    return bool(result.rowcount)
