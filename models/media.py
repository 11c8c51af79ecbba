"""Media attachments: uploaded files of this node and remote attachments known by their URL."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.ids import new_id
from models.records import Record
from models.rows import fetch, page_join, reusable
from models.schema import media_attachments

MAX_ATTACHMENTS = 4


@reusable
@dataclass(frozen=True)
class Media(Record):
    id: int
    account_id: int
    status_id: int | None
    position: int
    type: str
    content_type: str | None
    file_name: str | None
    thumb_name: str | None
    remote_url: str | None
    description: str | None
    blurhash: str | None
    width: int | None
    height: int | None
    size: int | None
    thumb_width: int | None
    thumb_height: int | None
    focus_x: float
    focus_y: float
    created_at: float
    duration: float | None = None
    frame_rate: str | None = None

    @property
    def local(self) -> bool:
        return self.file_name is not None


async def insert_media(conn: AsyncConnection, **values) -> Media:
    values.setdefault("id", new_id())
    values.setdefault("created_at", time.time())
    values.setdefault("focus_x", 0.0)
    values.setdefault("focus_y", 0.0)
    values.setdefault("position", 0)
    await conn.execute(insert(media_attachments).values(**values))
    return await get(conn, values["id"])  # type: ignore[return-value]


async def remove_remote(conn: AsyncConnection, status_id: int) -> None:
    """Forget a remote status's attachments (known by URL only), before storing those of an edit."""
    await conn.execute(delete(media_attachments).where(media_attachments.c.status_id == status_id,
                                                       media_attachments.c.file_name.is_(None)))


async def get(conn: AsyncConnection, media_id: int) -> Media | None:
    row = (await conn.execute(select(media_attachments).where(media_attachments.c.id == media_id))).first()
    return Media.from_row(row) if row else None


async def update_media(conn: AsyncConnection, media_id: int, **values) -> None:
    await conn.execute(update(media_attachments).where(media_attachments.c.id == media_id).values(**values))


async def attachable(conn: AsyncConnection, account_id: int, media_ids: list[int],
                     status_id: int | None = None) -> list[Media]:
    """The uploader's media with these ids that are not attached yet (or already to `status_id`),
    in the order asked; ids that do not qualify are left out."""
    if not media_ids:
        return []
    free = media_attachments.c.status_id.is_(None)
    if status_id is not None:
        free = or_(free, media_attachments.c.status_id == status_id)
    rows = (await conn.execute(select(media_attachments).where(
        media_attachments.c.id.in_(media_ids), media_attachments.c.account_id == account_id, free))).all()
    found = {r.id: Media.from_row(r) for r in rows}
    return [found[i] for i in dict.fromkeys(media_ids) if i in found]


async def attach(conn: AsyncConnection, status_id: int, media_ids: list[int]) -> None:
    """Make exactly `media_ids` (in that order) the attachments of a status."""
    await conn.execute(update(media_attachments).where(
        media_attachments.c.status_id == status_id,
        media_attachments.c.id.not_in(media_ids or [0])).values(status_id=None))
    for position, media_id in enumerate(media_ids):
        await conn.execute(update(media_attachments).where(media_attachments.c.id == media_id)
                           .values(status_id=status_id, position=position))


# Built once (see models.statuses.bound_page_ids): the notes federation serves read their media
# (a page of the client API reads them with its other facts: models.status_queries.page_facts).
# In their order by (position, id), sorted here: a page has few, and SQLite would sort them in a
# temporary b-tree of its own.
_OF_STATUSES = select(media_attachments).select_from(page_join(media_attachments.c.status_id))


def _ORDER(row) -> tuple:  # noqa: ANN001, N802
    return row.position, row.id


async def of_statuses(conn: AsyncConnection, status_ids) -> dict[int, list[Media]]:  # noqa: ANN001
    ids = list(status_ids)
    result: dict[int, list[Media]] = {}
    if not ids:
        return result
    rows = await fetch(conn, _OF_STATUSES, {"ids": ids})
    for row in sorted(rows, key=_ORDER) if len(rows) > 1 else rows:
        result.setdefault(row.status_id, []).append(Media.from_row(row))
    return result


async def by_file_name(conn: AsyncConnection, name: str) -> Media | None:
    row = (await conn.execute(select(media_attachments).where(or_(
        media_attachments.c.file_name == name, media_attachments.c.thumb_name == name)))).first()
    return Media.from_row(row) if row else None


def with_media():  # noqa: ANN201
    """A SQL condition on statuses: the status has at least one attachment (only_media=true)."""
    from models.schema import statuses

    return select(media_attachments.c.id).where(and_(
        media_attachments.c.status_id == statuses.c.id)).exists()


async def account_media_ids(conn: AsyncConnection, account_id: int, viewer_id: int | None,
                            viewer_is_local: bool, **page) -> list[int]:
    """An account's statuses with attachments that the viewer may see (only_media=true)."""
    from models.schema import statuses
    from models.statuses import LIVE, page_ids, visible_to

    stmt = select(statuses.c.id).where(statuses.c.account_id == account_id, LIVE, visible_to(viewer_id),
                                       with_media())
    if not viewer_is_local:
        stmt = stmt.where(statuses.c.visibility != "local")
    return await page_ids(conn, stmt, statuses.c.id, **page)
