"""Start-up failures an operator can fix, told in one line (the CLI prints it and exits 1), never as
a traceback: the port is taken, the database cannot be reached or refuses, the data folder cannot
be written."""
from __future__ import annotations

import errno
import os
import socket
import uuid
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from models.db import DatabaseUnavailable


UNREACHABLE = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.ECONNRESET}


class Fatal(Exception):
    """A one-line reason to stop."""


def safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


def check_data_folder(data: str) -> None:
    """The data folder exists (it is created if need be) and a file can be written in it."""
    folder = Path(data)
    probe = folder / f".write-check-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise Fatal(f"the data folder {folder.resolve()} cannot be written: {err.strerror or err}") from None


def is_database_failure(err: BaseException) -> bool:
    """Errors that mean the database cannot be used (reached, signed in to, opened), not a bug."""
    if isinstance(err, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, DatabaseUnavailable)):
        return True
    if isinstance(err, sa_exc.DBAPIError) and _is_refusal(err.orig):
        return True
    return _is_refusal(err)


def _is_refusal(err: object) -> bool:
    """The server cannot be reached, or refuses the role, the password or the database. asyncpg's
    errors arrive wrapped by SQLAlchemy's adapter: look at what it wraps too."""
    cause = getattr(err, "__cause__", None) or err
    if isinstance(cause, (ConnectionError, TimeoutError, socket.gaierror)) or (
            isinstance(cause, OSError) and cause.errno in UNREACHABLE):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is only needed for PostgreSQL
        return False
    return isinstance(cause, (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidCatalogNameError,
                              asyncpg.InsufficientPrivilegeError, asyncpg.CannotConnectNowError,
                              asyncpg.PostgresConnectionError, asyncpg.InterfaceError))


def database_reason(err: BaseException) -> str:
    """The driver's own words, first line, without SQLAlchemy's wrapping."""
    inner = getattr(err, "orig", None) or err
    inner = getattr(inner, "__cause__", None) or inner
    text = (str(inner) or type(inner).__name__).strip().splitlines()[0]
    if isinstance(inner, OSError) and inner.strerror:
        text = inner.strerror
    return text[:300]


def database_failure(err: BaseException, url: str) -> Fatal:
    return Fatal(f"cannot use the database {safe_url(url)}: {database_reason(err)}")


def listen_failure(err: OSError, host: str, port: int) -> Fatal:
    reason = os.strerror(err.errno) if err.errno else str(err)
    return Fatal(f"cannot listen on {host}:{port}: {reason}")
