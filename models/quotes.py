"""Quote posts: a status's quote state, the QuoteAuthorizations local authors issue (FEP-044f), and
who may quote what (the policy Mastodon 4.5 offers: public, followers or nobody)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import stream_events
from models.ids import new_id
from models.schema import follows, quote_authorizations, statuses
from models.statuses import LIVE, Status, page_ids

POLICIES = ("public", "followers", "nobody")
STATES = ("pending", "accepted", "rejected", "revoked")


def effective_policy(status: Status) -> str | None:
    """Who may quote the status: followers-only and direct posts by nobody but their author (as on
    Mastodon); None for a remote post whose server advertises no policy."""
    if status.visibility in ("private", "direct"):
        return "nobody"
    if status.local:
        return status.quote_policy or "public"
    return status.quote_policy


def approval_for(status: Status, quoter_id: int | None, follows_author: bool) -> str:
    """Mastodon's `current_user` of QuoteApproval: automatic, denied or unknown."""
    if quoter_id is None:
        return "unknown"
    if status.visibility == "direct":
        return "denied"
    if quoter_id == status.account_id:
        return "automatic"
    policy = effective_policy(status)
    if policy == "public" or (policy == "followers" and follows_author):
        return "automatic"
    return "unknown" if policy is None else "denied"


async def follows_author(conn: AsyncConnection, account_id: int, author_id: int) -> bool:
    return (await conn.execute(select(follows.c.account_id).where(
        follows.c.account_id == account_id, follows.c.target_account_id == author_id,
        follows.c.state == "accepted"))).first() is not None


@dataclass(frozen=True)
class Authorization:
    id: int
    status_id: int
    account_id: int
    quoting_uri: str
    created_at: float
    revoked_at: float | None


async def authorize(conn: AsyncConnection, status: Status, quoting_uri: str) -> Authorization:
    """The live authorization of `quoting_uri` as a quote of the local `status`, issued once."""
    found = await authorization_for(conn, status.id, quoting_uri)
    if found is not None:
        return found
    row = (await conn.execute(insert(quote_authorizations).values(
        id=new_id(), status_id=status.id, account_id=status.account_id, quoting_uri=quoting_uri,
        created_at=time.time()).returning(*quote_authorizations.c))).one()
    return Authorization(**row._mapping)


async def authorization(conn: AsyncConnection, authorization_id: int) -> Authorization | None:
    row = (await conn.execute(select(quote_authorizations).where(
        quote_authorizations.c.id == authorization_id))).first()
    return Authorization(**row._mapping) if row else None


async def authorization_for(conn: AsyncConnection, status_id: int, quoting_uri: str) -> Authorization | None:
    """The live (not revoked) authorization of `quoting_uri` quoting the local status `status_id`."""
    row = (await conn.execute(select(quote_authorizations).where(
        quote_authorizations.c.status_id == status_id, quote_authorizations.c.quoting_uri == quoting_uri,
        quote_authorizations.c.revoked_at.is_(None)))).first()
    return Authorization(**row._mapping) if row else None


async def revoke_authorization(conn: AsyncConnection, authorization_id: int) -> None:
    await conn.execute(update(quote_authorizations).where(quote_authorizations.c.id == authorization_id)
                       .values(revoked_at=time.time()))


async def set_state(conn: AsyncConnection, status: Status, state: str, *,
                    authorization_uri: str | None = None) -> bool:
    """Move a quote post to `state` (keeping its authorization unless a new one is given; one that
    is no longer accepted loses it), counting the quoted post's accepted quotes. Whether it changed."""
    if status.quote_state == state and (authorization_uri is None or authorization_uri == status.quote_authorization_uri):
        return False
    values: dict = {"quote_state": state}
    if authorization_uri is not None:
        values["quote_authorization_uri"] = authorization_uri
    elif state != "accepted":
        values["quote_authorization_uri"] = None
    await conn.execute(update(statuses).where(statuses.c.id == status.id).values(**values))
    await stream_events.emit(conn, "status", "status.update", status.id)  # apps show the quote's new state
    if status.quote_of_id is not None and (status.quote_state == "accepted") != (state == "accepted"):
        delta = 1 if state == "accepted" else -1
        await conn.execute(update(statuses).where(statuses.c.id == status.quote_of_id)
                           .values(quotes_count=func.max(statuses.c.quotes_count + delta, 0)
                                   if conn.dialect.name == "sqlite"
                                   else func.greatest(statuses.c.quotes_count + delta, 0)))
    return True


async def by_authorization_uri(conn: AsyncConnection, uri: str) -> list[Status]:
    """The live quote posts that a QuoteAuthorization (by its id) approved."""
    rows = await conn.execute(select(statuses).where(statuses.c.quote_authorization_uri == uri, LIVE))
    return [Status.from_row(r) for r in rows]


async def quote_of(conn: AsyncConnection, quoting_id: int, quoted_id: int) -> Status | None:
    """The live status `quoting_id` if it quotes `quoted_id`."""
    row = (await conn.execute(select(statuses).where(
        statuses.c.id == quoting_id, statuses.c.quote_of_id == quoted_id, LIVE))).first()
    return Status.from_row(row) if row else None


async def quote_ids(conn: AsyncConnection, status_id: int, **page) -> list[int]:  # noqa: ANN003
    """A page of the accepted, live quotes of a status, newest first."""
    stmt = select(statuses.c.id).where(and_(statuses.c.quote_of_id == status_id,
                                            statuses.c.quote_state == "accepted", LIVE))
    return await page_ids(conn, stmt, statuses.c.id, **page)


async def quotes_by_author(conn: AsyncConnection, status_id: int, *, local: bool | None = None) -> list[tuple[int, int]]:
    """(author id, quote post id) of the accepted, live quotes of a status (by local or remote
    authors only, when `local` says)."""
    stmt = select(statuses.c.account_id, statuses.c.id).where(
        statuses.c.quote_of_id == status_id, statuses.c.quote_state == "accepted", LIVE)
    if local is not None:
        stmt = stmt.where(statuses.c.local.is_(local))
    return [(r.account_id, r.id) for r in await conn.execute(stmt)]
