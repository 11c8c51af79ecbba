"""Hashtags a person follows (posts carrying them reach their home timeline) and features."""
from __future__ import annotations

import time

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.schema import featured_tags, status_tags, statuses, tag_follows, tags


async def tag_id(conn: AsyncConnection, name: str, *, create: bool = False) -> int | None:
    found = (await conn.execute(select(tags.c.id).where(tags.c.name == name))).scalar()
    if found is None and create:
        found = new_id()
        await conn.execute(insert(tags).values(id=found, name=name))
    return found


async def is_following(conn: AsyncConnection, account_id: int, name: str) -> bool:
    return name in await following_names(conn, account_id, [name])


async def following_names(conn: AsyncConnection, account_id: int, names) -> set[str]:  # noqa: ANN001
    names = list(names)
    if not names:
        return set()
    rows = await conn.execute(select(tags.c.name).join(tag_follows, tag_follows.c.tag_id == tags.c.id)
                              .where(tag_follows.c.account_id == account_id, tags.c.name.in_(names)))
    return {r.name for r in rows}


async def follow(conn: AsyncConnection, account_id: int, name: str) -> None:
    tid = await tag_id(conn, name, create=True)
    exists = (await conn.execute(select(tag_follows.c.id).where(
        tag_follows.c.account_id == account_id, tag_follows.c.tag_id == tid))).first()
    if exists is None:
        await conn.execute(insert(tag_follows).values(id=new_id(), account_id=account_id, tag_id=tid,
                                                      created_at=time.time()))


async def unfollow(conn: AsyncConnection, account_id: int, name: str) -> None:
    tid = await tag_id(conn, name)
    if tid is not None:
        await conn.execute(delete(tag_follows).where(tag_follows.c.account_id == account_id,
                                                     tag_follows.c.tag_id == tid))


async def followed_page(conn: AsyncConnection, account_id: int, *, max_id: int | None,
                        since_id: int | None, min_id: int | None, limit: int) -> list[tuple[int, str]]:
    """(follow id, tag name), newest first."""
    stmt = select(tag_follows.c.id, tags.c.name).join(tags, tags.c.id == tag_follows.c.tag_id).where(
        tag_follows.c.account_id == account_id)
    if max_id is not None:
        stmt = stmt.where(tag_follows.c.id < max_id)
    if since_id is not None:
        stmt = stmt.where(tag_follows.c.id > since_id)
    if min_id is not None:
        stmt = stmt.where(tag_follows.c.id > min_id)
        rows = list(await conn.execute(stmt.order_by(tag_follows.c.id.asc()).limit(limit)))
        rows.reverse()
    else:
        rows = list(await conn.execute(stmt.order_by(tag_follows.c.id.desc()).limit(limit)))
    return [(r.id, r.name) for r in rows]


async def followers_of_status_tags(conn: AsyncConnection, status_id: int) -> set[int]:
    """Accounts following any hashtag the status carries."""
    rows = await conn.execute(select(tag_follows.c.account_id).distinct()
                              .join(status_tags, status_tags.c.tag_id == tag_follows.c.tag_id)
                              .where(status_tags.c.status_id == status_id))
    return {r.account_id for r in rows}


# --- Featured tags -------------------------------------------------------------------------------

MAX_FEATURED = 10


async def featured(conn: AsyncConnection, account_id: int) -> list[dict]:
    """{id, name, statuses_count, last_status_at} of the account's featured tags, oldest first."""
    rows = list(await conn.execute(
        select(featured_tags.c.id, featured_tags.c.tag_id, tags.c.name).join(tags, tags.c.id == featured_tags.c.tag_id)
        .where(featured_tags.c.account_id == account_id).order_by(featured_tags.c.id)))
    out = []
    for row in rows:
        stats = (await conn.execute(
            select(func.count(), func.max(statuses.c.created_at))
            .select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id))
            .where(status_tags.c.tag_id == row.tag_id, statuses.c.account_id == account_id,
                   statuses.c.deleted_at.is_(None), statuses.c.visibility.in_(("public", "unlisted", "local"))))).first()
        out.append({"id": row.id, "name": row.name, "statuses_count": stats[0] or 0, "last_status_at": stats[1]})
    return out


async def feature(conn: AsyncConnection, account_id: int, name: str) -> int | None:
    """The new featured tag's id; None if it was featured already."""
    tid = await tag_id(conn, name, create=True)
    exists = (await conn.execute(select(featured_tags.c.id).where(
        featured_tags.c.account_id == account_id, featured_tags.c.tag_id == tid))).first()
    if exists is not None:
        return None
    fid = new_id()
    await conn.execute(insert(featured_tags).values(id=fid, account_id=account_id, tag_id=tid,
                                                    created_at=time.time()))
    return fid


async def count_featured(conn: AsyncConnection, account_id: int) -> int:
    return (await conn.execute(select(func.count()).select_from(featured_tags)
                               .where(featured_tags.c.account_id == account_id))).scalar_one()


async def unfeature(conn: AsyncConnection, account_id: int, featured_id: int) -> bool:
    done = await conn.execute(delete(featured_tags).where(featured_tags.c.id == featured_id,
                                                          featured_tags.c.account_id == account_id))
    return bool(done.rowcount)


async def most_used(conn: AsyncConnection, account_id: int, limit: int = 10) -> list[str]:
    """The account's most used hashtags, not yet featured."""
    count = func.count().label("n")
    already = select(featured_tags.c.tag_id).where(featured_tags.c.account_id == account_id)
    rows = await conn.execute(
        select(tags.c.name, count).select_from(status_tags.join(statuses, statuses.c.id == status_tags.c.status_id)
                                               .join(tags, tags.c.id == status_tags.c.tag_id))
        .where(statuses.c.account_id == account_id, statuses.c.deleted_at.is_(None),
               status_tags.c.tag_id.not_in(already))
        .group_by(tags.c.name).order_by(count.desc(), tags.c.name).limit(limit))
    return [r.name for r in rows]
