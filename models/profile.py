"""A local person's profile extras: posting defaults, private notes on other accounts, endorsed
accounts, and suggestions they dismissed."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import listed_people
from models.ids import new_id
from models.rows import fetch
from models.search import talking_about
from models.schema import (account_notes, account_settings, accounts, endorsements, follows,
                           suggestion_dismissals)


@dataclass(frozen=True)
class Settings:
    privacy: str = "public"
    sensitive: bool = False
    language: str | None = None
    quote_policy: str = "public"


_SETTINGS = select(account_settings).where(account_settings.c.account_id == bindparam("account", type_=BigInteger))


async def settings(conn: AsyncConnection, account_id: int) -> Settings:
    rows = await fetch(conn, _SETTINGS, {"account": account_id})  # every signed-in page with a form asks
    if not rows:
        return Settings()
    row = rows[0]
    return Settings(row.default_privacy, bool(row.default_sensitive), row.default_language,
                    row.default_quote_policy or "public")


async def save_settings(conn: AsyncConnection, account_id: int, value: Settings) -> None:
    values = {"default_privacy": value.privacy, "default_sensitive": value.sensitive,
              "default_language": value.language, "default_quote_policy": value.quote_policy}
    done = await conn.execute(update(account_settings).where(account_settings.c.account_id == account_id)
                              .values(**values))
    if not done.rowcount:
        await conn.execute(insert(account_settings).values(account_id=account_id, **values))


async def update_account(conn: AsyncConnection, account_id: int, **values) -> None:
    await conn.execute(update(accounts).where(accounts.c.id == account_id)
                       .values(**values, updated_at=time.time()))


# --- Private notes -------------------------------------------------------------------------------

async def note(conn: AsyncConnection, account_id: int, target_id: int) -> str:
    row = (await conn.execute(select(account_notes.c.comment).where(
        account_notes.c.account_id == account_id, account_notes.c.target_account_id == target_id))).first()
    return row.comment if row else ""


async def set_note(conn: AsyncConnection, account_id: int, target_id: int, comment: str) -> None:
    await conn.execute(delete(account_notes).where(account_notes.c.account_id == account_id,
                                                   account_notes.c.target_account_id == target_id))
    if comment:
        await conn.execute(insert(account_notes).values(account_id=account_id, target_account_id=target_id,
                                                        comment=comment))


# --- Endorsements --------------------------------------------------------------------------------

async def is_endorsed(conn: AsyncConnection, account_id: int, target_id: int) -> bool:
    row = (await conn.execute(select(endorsements.c.id).where(
        endorsements.c.account_id == account_id, endorsements.c.target_account_id == target_id))).first()
    return row is not None


async def endorse(conn: AsyncConnection, account_id: int, target_id: int) -> None:
    if not await is_endorsed(conn, account_id, target_id):
        await conn.execute(insert(endorsements).values(id=new_id(), account_id=account_id,
                                                       target_account_id=target_id, created_at=time.time()))


async def unendorse(conn: AsyncConnection, account_id: int, target_id: int) -> None:
    await conn.execute(delete(endorsements).where(endorsements.c.account_id == account_id,
                                                  endorsements.c.target_account_id == target_id))


async def endorsed_page(conn: AsyncConnection, account_id: int, *, max_id: int | None,
                        limit: int) -> list[tuple[int, int]]:
    """(endorsement id, account id), newest first."""
    stmt = select(endorsements.c.id, endorsements.c.target_account_id).where(
        endorsements.c.account_id == account_id)
    if max_id is not None:
        stmt = stmt.where(endorsements.c.id < max_id)
    rows = await conn.execute(stmt.order_by(endorsements.c.id.desc()).limit(limit))
    return [(r.id, r.target_account_id) for r in rows]


# --- Familiar followers and suggestions -----------------------------------------------------------

async def familiar_followers(conn: AsyncConnection, me: int, target_id: int, limit: int = 80) -> list[int]:
    """Accounts I follow that follow `target_id`."""
    mine = select(follows.c.target_account_id).where(follows.c.account_id == me, follows.c.state == "accepted")
    rows = await conn.execute(
        select(follows.c.account_id).where(follows.c.target_account_id == target_id,
                                           follows.c.state == "accepted", follows.c.account_id.in_(mine),
                                           follows.c.account_id != me).limit(limit))
    return [r.account_id for r in rows]


async def dismiss_suggestion(conn: AsyncConnection, account_id: int, target_id: int) -> None:
    await conn.execute(delete(suggestion_dismissals).where(
        suggestion_dismissals.c.account_id == account_id, suggestion_dismissals.c.target_account_id == target_id))
    await conn.execute(insert(suggestion_dismissals).values(account_id=account_id, target_account_id=target_id))


async def suggestions(conn: AsyncConnection, me: int, limit: int) -> list[tuple[int, str]]:
    """(account id, source): accounts followed by people I follow, then active local accounts;
    never myself, someone I follow or requested, or someone I dismissed."""
    excluded = {me}
    excluded |= {r.target_account_id for r in await conn.execute(
        select(follows.c.target_account_id).where(follows.c.account_id == me))}
    excluded |= {r.target_account_id for r in await conn.execute(
        select(suggestion_dismissals.c.target_account_id).where(suggestion_dismissals.c.account_id == me))}
    mine = select(follows.c.target_account_id).where(follows.c.account_id == me, follows.c.state == "accepted")
    count = func.count().label("n")
    friends = await conn.execute(
        select(follows.c.target_account_id, count)
        .join(accounts, accounts.c.id == follows.c.target_account_id)
        .where(follows.c.account_id.in_(mine), follows.c.state == "accepted", listed_people())
        .group_by(follows.c.target_account_id).order_by(count.desc()).limit(limit + len(excluded)))
    out: list[tuple[int, str]] = []
    for row in friends:
        if row.target_account_id not in excluded:
            out.append((row.target_account_id, "friends_of_friends"))
            excluded.add(row.target_account_id)
    if len(out) < limit:
        active = await conn.execute(
            select(accounts.c.id).where(accounts.c.domain.is_(None), listed_people(), accounts.c.actor_type == "Person")
            .order_by(accounts.c.last_status_at.desc().nulls_last(), accounts.c.id.desc())
            .limit(limit + len(excluded)))
        for row in active:
            if row.id not in excluded:
                out.append((row.id, "global"))
                excluded.add(row.id)
    return out[:limit]


async def directory(conn: AsyncConnection, *, order: str, local: bool, offset: int, limit: int,
                    topic: list[str] = ()) -> list[int]:  # type: ignore[assignment]
    """The profile directory: discoverable people, most recently active first (`new`: newest
    accounts; `followers`: most followed); with `topic` (index words), only those whose profile or
    public posts hold one of them (models.search)."""
    stmt = select(accounts.c.id).where(listed_people(), accounts.c.actor_type.in_(("Person", "Service", "Group")))
    if local:
        stmt = stmt.where(accounts.c.domain.is_(None))
    if topic:
        stmt = stmt.where(accounts.c.id.in_(talking_about(conn.dialect.name, list(topic))))
    if order == "followers":
        stmt = stmt.order_by(accounts.c.followers_count.desc(), accounts.c.id.desc())
    elif order == "new":
        stmt = stmt.order_by(accounts.c.created_at.desc(), accounts.c.id.desc())
    else:
        stmt = stmt.order_by(accounts.c.last_status_at.desc().nulls_last(), accounts.c.id.desc())
    rows = await conn.execute(stmt.offset(offset).limit(limit))
    return [r.id for r in rows]
