"""The node's shared secrets, kept in the database so every process (on any machine) uses the same:
the VAPID key that signs Web Push requests (push services tie each subscription to it) and the key
that signs admin-page sessions and CSRF tokens.

Made once, by the first process to start, under the migration lock. A node that kept them in its data
folder (`vapid.pem`, `admin_session_secret`) before they moved here has them copied in on its next
start, so existing push subscriptions and sessions keep working; the files are then no longer read.
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Callable

from federation import webpush
from models import node_secrets
from models.db import Database
from models.migrate import serialize

log = logging.getLogger(__name__)

# name in node_secrets → (the file it was kept in, how to make a new one, a check that raises ValueError)
SECRETS: dict[str, tuple[str, Callable[[], str], Callable[[str], object]]] = {
    "vapid": ("vapid.pem", webpush.new_vapid_pem, webpush.vapid_from_pem),
    "session": ("admin_session_secret", lambda: secrets.token_hex(32), bytes.fromhex),
}


def _from_file(data: Path, file_name: str, check: Callable[[str], object]) -> str | None:
    try:
        value = (data / file_name).read_text().strip()
        check(value)
    except (OSError, ValueError):
        return None
    return value


async def load(db: Database, data: str | Path) -> dict[str, str]:
    """Every shared secret, made (or copied from the data folder) on the node's first start."""
    async with db.read() as conn:
        found = await node_secrets.all_secrets(conn)
    if all(name in found for name in SECRETS):
        return found
    async with db.write() as conn:
        await conn.run_sync(serialize)  # processes starting together make each secret once
        found = await node_secrets.all_secrets(conn)
        for name, (file_name, make, check) in SECRETS.items():
            if name in found:
                continue
            value = _from_file(Path(data), file_name, check)
            if value is not None:
                log.info("moved the %s secret from %s into the database", name, Path(data) / file_name)
            found[name] = value or make()
            await node_secrets.add(conn, name, found[name])
    return found
