"""Loading what a request names, with the visibility rules applied: what the viewer may not see does
not exist for them (404, never 403, so a private post's existence does not leak)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from models import accounts as accounts_store
from models import statuses as statuses_store
from models.accounts import Account
from models.statuses import Status
from social.errors import NotFound


async def visible_status(conn: AsyncConnection, status_id: int, viewer: Account | None) -> Status:
    status = await statuses_store.get_if_visible(conn, status_id, viewer.id if viewer else None,
                                                 viewer is not None and viewer.local)
    if status is None:
        raise NotFound("Record not found")
    return status


async def existing_account(conn: AsyncConnection, account_id: int) -> Account:
    account = await accounts_store.get(conn, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound("Record not found")
    return account

