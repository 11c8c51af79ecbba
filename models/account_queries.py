"""Reads about accounts that the client API needs beyond models.accounts: lookup by URL, the count
of pending follow requests, list membership."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account
from models.rows import fetch, page_join
from models.schema import accounts, follows, list_accounts, lists


async def account_by_url(conn: AsyncConnection, url: str) -> Account | None:
    """An account by its ActivityPub id, or a local one by its profile page (as status_by_url)."""
    row = (await conn.execute(select(accounts).where(
        or_(accounts.c.uri == url, and_(accounts.c.domain.is_(None), accounts.c.url == url))).limit(1))).first()
    return Account.from_row(row) if row else None


async def follow_requests_count(conn: AsyncConnection, account_id: int) -> int:
    return (await conn.execute(select(func.count()).select_from(follows).where(
        follows.c.target_account_id == account_id, follows.c.state == "pending"))).scalar_one()


async def in_own_list(conn: AsyncConnection, owner_id: int, list_id: int, account_id: int) -> bool:
    """Whether `account_id` is a member of list `list_id` and that list is `owner_id`'s."""
    return (await conn.execute(select(list_accounts.c.account_id)
                               .join(lists, lists.c.id == list_accounts.c.list_id)
                               .where(lists.c.id == list_id, lists.c.account_id == owner_id,
                                      list_accounts.c.account_id == account_id))).first() is not None


_PAGE_PEOPLE = select(accounts).select_from(page_join(accounts.c.id))


async def of_page(conn: AsyncConnection, account_ids) -> dict[int, Account]:  # noqa: ANN001
    """The people a page of statuses shows (its authors, and everyone its statuses mention:
    models.status_queries.PageFacts.people), in one statement built once."""
    ids = set(account_ids)
    if not ids:
        return {}
    return {row.id: Account.from_row(row) for row in await fetch(conn, _PAGE_PEOPLE, {"ids": ids})}
