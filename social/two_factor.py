"""Two-factor sign-in with a time-based one-time password (RFC 6238: HMAC-SHA1, 30-second steps, six
digits, one step of clock drift either way) and ten single-use recovery codes.

Turning it on takes a code from the new secret, so a person cannot lock themselves out with a
secret their app never saw; turning it off takes a current code (or a recovery code). Each code
works once: the step it belongs to is stored when it is used."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from federation.runtime import Runtime
from models import two_factor as store
from models.accounts import Account
from social.errors import Unprocessable

STEP = 30
DIGITS = 6
DRIFT = 1  # steps accepted either side of now
RECOVERY_CODES = 10


def new_secret() -> str:
    """160 random bits in base32, as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def code_at(secret: str, step: int) -> str:
    """RFC 4226 HOTP of counter `step` (RFC 6238's TOTP is HOTP of the time step)."""
    mac = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** DIGITS).zfill(DIGITS)


def now_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step within the drift window whose code is `code`, else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == DIGITS):
        return None
    current = now_step(at)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(rt: Runtime, account: Account, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (Key Uri Format)."""
    label = quote(f"{rt.config.title}:{account.username}@{rt.config.domain}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": rt.config.title})


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


async def enabled(rt: Runtime, user_id: int) -> bool:
    async with rt.db.read() as conn:
        return await store.of_user(conn, user_id) is not None


async def enable(rt: Runtime, user_id: int, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on with `secret` once `code` proves the app has it; the recovery
    codes, shown once (only their digests are kept)."""
    try:
        _key(secret)
    except ValueError:
        raise Unprocessable("That secret is not valid; start again.") from None
    step = matching_step(secret, code)
    if step is None:
        raise Unprocessable("That code does not match; check the time on your device and try again.")
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    async with rt.db.write() as conn:
        await store.enable(conn, user_id, secret, [_digest(c) for c in codes])
        await store.use_step(conn, user_id, step)
    return codes


async def check(rt: Runtime, user_id: int, code: str) -> bool:
    """Whether `code` (a current one-time password or an unused recovery code) signs this user in
    now; a code is spent by the check. True for a user without a second factor."""
    async with rt.db.write() as conn:
        factor = await store.of_user(conn, user_id)
        if factor is None:
            return True
        step = matching_step(factor.secret, code)
        if step is not None:
            return await store.use_step(conn, user_id, step)
        digest = _digest(code)
        if code.strip() and digest in factor.recovery:
            return await store.use_recovery(conn, user_id, digest, [d for d in factor.recovery if d != digest])
    return False


async def disable(rt: Runtime, user_id: int, code: str) -> None:
    if not await check(rt, user_id, code):
        raise Unprocessable("That code does not match.")
    async with rt.db.write() as conn:
        await store.disable(conn, user_id)


async def recovery_left(rt: Runtime, user_id: int) -> int:
    async with rt.db.read() as conn:
        factor = await store.of_user(conn, user_id)
    return len(factor.recovery) if factor else 0
