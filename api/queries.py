"""Read-only queries the client API needs that the models do not offer yet.

Kept together so they can move into models/ as they are wanted elsewhere.
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Account
from models.schema import accounts, blocks, favourites, follows, statuses, tags, users
from models.statuses import LIVE, Status, paginate, visible_to


async def reblogged_ids(conn: AsyncConnection, account_id: int, status_ids) -> set[int]:  # noqa: ANN001
    """Which of `status_ids` the account has boosted (and not undone)."""
    ids = list(status_ids)
    if not ids:
        return set()
    return set((await conn.execute(select(statuses.c.reblog_of_id).where(
        statuses.c.account_id == account_id, statuses.c.reblog_of_id.in_(ids), LIVE))).scalars())


async def blocked_either_way(conn: AsyncConnection, viewer_id: int, account_ids) -> set[int]:  # noqa: ANN001
    """Which of `account_ids` the viewer blocks or is blocked by: their posts stay out of its lists."""
    ids = list(set(account_ids) - {viewer_id})
    if not ids:
        return set()
    rows = await conn.execute(select(blocks.c.account_id, blocks.c.target_account_id).where(
        or_((blocks.c.account_id == viewer_id) & blocks.c.target_account_id.in_(ids),
            (blocks.c.target_account_id == viewer_id) & blocks.c.account_id.in_(ids))))
    return {r.target_account_id if r.account_id == viewer_id else r.account_id for r in rows}


async def visible_ids(conn: AsyncConnection, status_ids, viewer: Account | None) -> set[int]:  # noqa: ANN001
    """The subset of `status_ids` the viewer may see, in one query (threads, search results)."""
    ids = list(status_ids)
    if not ids:
        return set()
    stmt = select(statuses.c.id).where(statuses.c.id.in_(ids), LIVE,
                                       visible_to(viewer.id if viewer else None))
    if viewer is None or not viewer.local:
        stmt = stmt.where(statuses.c.visibility != "local")
    return set((await conn.execute(stmt)).scalars())


async def favourited_by(conn: AsyncConnection, status_id: int, **page) -> list[tuple[int, Account]]:
    """(favourite id, account) pairs, newest first."""
    stmt = (select(favourites.c.id.label("cursor"), accounts)
            .join(accounts, accounts.c.id == favourites.c.account_id)
            .where(favourites.c.status_id == status_id, accounts.c.suspended_at.is_(None)))
    return await _account_page(conn, stmt, favourites.c.id, page)


async def reblogged_by(conn: AsyncConnection, status_id: int, **page) -> list[tuple[int, Account]]:
    """(boost status id, account) pairs, newest first."""
    stmt = (select(statuses.c.id.label("cursor"), accounts)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(statuses.c.reblog_of_id == status_id, LIVE, accounts.c.suspended_at.is_(None)))
    return await _account_page(conn, stmt, statuses.c.id, page)


async def _account_page(conn: AsyncConnection, stmt, column, page: dict) -> list[tuple[int, Account]]:  # noqa: ANN001
    stmt, ascending = paginate(stmt, column, **page)
    rows = (await conn.execute(stmt)).all()
    pairs = [(r.cursor, Account.from_row(r)) for r in rows]
    return list(reversed(pairs)) if ascending else pairs


async def follow_requests_count(conn: AsyncConnection, account_id: int) -> int:
    return (await conn.execute(select(func.count()).select_from(follows).where(
        follows.c.target_account_id == account_id, follows.c.state == "pending"))).scalar_one()


async def status_by_url(conn: AsyncConnection, url: str) -> Status | None:
    """A stored status by its ActivityPub id, or a local one by its web page address. A remote
    post's `url` came from its document and proves nothing: it is never a key (api/search.py)."""
    row = (await conn.execute(select(statuses).where(
        or_(statuses.c.uri == url, and_(statuses.c.local.is_(True), statuses.c.url == url)), LIVE,
        statuses.c.reblog_of_id.is_(None)).limit(1))).first()
    return Status.from_row(row) if row else None


async def account_by_url(conn: AsyncConnection, url: str) -> Account | None:
    """An account by its ActivityPub id, or a local one by its profile page (as status_by_url)."""
    row = (await conn.execute(select(accounts).where(
        or_(accounts.c.uri == url, and_(accounts.c.domain.is_(None), accounts.c.url == url))).limit(1))).first()
    return Account.from_row(row) if row else None


async def search_tags(conn: AsyncConnection, query: str, limit: int) -> list[str]:
    """Hashtag names starting with `query`, exact match first."""
    q = query.lstrip("#").strip().lower()
    if not q:
        return []
    names = list((await conn.execute(select(tags.c.name).where(tags.c.name.startswith(q, autoescape=True))
                                     .order_by(func.length(tags.c.name), tags.c.name)
                                     .limit(limit))).scalars())
    return names


async def tag_exists(conn: AsyncConnection, name: str) -> bool:
    return (await conn.execute(select(tags.c.id).where(tags.c.name == name.lower()))).first() is not None


async def instance_stats(conn: AsyncConnection) -> dict[str, int]:
    """Counts for /api/v1/instance: local users, local posts, other domains known."""
    user_count = (await conn.execute(select(func.count()).select_from(users)
                                     .where(users.c.disabled.is_(False)))).scalar_one()
    status_count = (await conn.execute(select(func.count()).select_from(statuses).where(
        statuses.c.local.is_(True), LIVE, statuses.c.reblog_of_id.is_(None)))).scalar_one()
    domain_count = (await conn.execute(select(func.count(func.distinct(accounts.c.domain)))
                                       .where(accounts.c.domain.is_not(None)))).scalar_one()
    return {"user_count": user_count, "status_count": status_count, "domain_count": domain_count}
