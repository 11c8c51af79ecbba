"""A person's filters (Mastodon's filters v2): create, change and delete filters, their keywords and
their statuses. Every change tells the person's open streams (`filters_changed`) in the same
transaction. Reading them back is models.filters; the client API parses and presents."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from models import filters as store
from models import statuses
from models.accounts import Account
from models.filters import Filter, FilterStatus, Keyword
from social.errors import NotFound, Unprocessable


@dataclass(frozen=True)
class KeywordChange:
    """One entry of `keywords_attributes`: a new keyword (no id), a change, or a removal."""
    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False


def _edits(keyword: str | None, whole_word: bool | None) -> dict:
    """The keyword columns to change: those given."""
    return {k: v for k, v in (("keyword", keyword), ("whole_word", whole_word)) if v is not None}


async def _own(conn: AsyncConnection, owner: Account, filter_id: int) -> Filter:
    found = await store.get(conn, owner.id, filter_id)
    if found is None:
        raise NotFound("Record not found")
    return found


async def _own_keyword(conn: AsyncConnection, owner: Account, keyword_id: int) -> Keyword:
    found = await store.get_keyword(conn, owner.id, keyword_id)
    if found is None:
        raise NotFound("Record not found")
    return found


async def own_filter(rt: Runtime, owner: Account, filter_id: int) -> Filter:
    async with rt.db.read() as conn:
        return await _own(conn, owner, filter_id)


async def own_keyword(rt: Runtime, owner: Account, keyword_id: int) -> Keyword:
    async with rt.db.read() as conn:
        return await _own_keyword(conn, owner, keyword_id)


async def own_status(rt: Runtime, owner: Account, row_id: int) -> FilterStatus:
    async with rt.db.read() as conn:
        found = await store.get_status(conn, owner.id, row_id)
    if found is None:
        raise NotFound("Record not found")
    return found


async def create_filter(rt: Runtime, owner: Account, *, title: str, context: list[str], action: str,
                        expires_at: float | None, keywords: list[tuple[str, bool]]) -> Filter:
    async with rt.db.write() as conn:
        filter_id = await store.insert_filter(conn, owner.id, title=title, context=context,
                                              filter_action=action, expires_at=expires_at)
        for keyword, whole_word in keywords:
            await store.add_keyword(conn, filter_id, keyword, whole_word)
        await store.changed(conn, owner.id)
        return await _own(conn, owner, filter_id)


async def update_filter(rt: Runtime, owner: Account, filter_id: int, values: dict,
                        keywords: list[KeywordChange]) -> Filter:
    """`values`: any of title, context, filter_action, expires_at. A keyword id that is not the
    filter's own is a 404 and changes nothing."""
    async with rt.db.write() as conn:
        found = await _own(conn, owner, filter_id)
        mine = {k.id for k in found.keywords}
        if any(k.id is not None and k.id not in mine for k in keywords):
            raise NotFound("Record not found")
        await store.update_filter(conn, found.id, **values)
        for change in keywords:
            if change.id is None:
                if not change.destroy:
                    await store.add_keyword(conn, found.id, change.keyword or "",
                                            True if change.whole_word is None else change.whole_word)
            elif change.destroy:
                await store.delete_keyword(conn, change.id)
            else:
                await store.update_keyword(conn, change.id, **_edits(change.keyword, change.whole_word))
        await store.changed(conn, owner.id)
        return await _own(conn, owner, found.id)


async def delete_filter(rt: Runtime, owner: Account, filter_id: int) -> None:
    async with rt.db.write() as conn:
        found = await _own(conn, owner, filter_id)
        await store.delete_filter(conn, found.id)
        await store.changed(conn, owner.id)


async def add_keyword(rt: Runtime, owner: Account, filter_id: int, keyword: str, whole_word: bool) -> Keyword:
    async with rt.db.write() as conn:
        found = await _own(conn, owner, filter_id)
        added = await store.add_keyword(conn, found.id, keyword, whole_word)
        await store.changed(conn, owner.id)
        return added


async def update_keyword(rt: Runtime, owner: Account, keyword_id: int, *, keyword: str | None,
                         whole_word: bool | None) -> Keyword:
    async with rt.db.write() as conn:
        found = await _own_keyword(conn, owner, keyword_id)
        await store.update_keyword(conn, found.id, **_edits(keyword, whole_word))
        await store.changed(conn, owner.id)
        return await _own_keyword(conn, owner, found.id)


async def delete_keyword(rt: Runtime, owner: Account, keyword_id: int) -> None:
    async with rt.db.write() as conn:
        found = await _own_keyword(conn, owner, keyword_id)
        await store.delete_keyword(conn, found.id)
        await store.changed(conn, owner.id)


async def add_status(rt: Runtime, owner: Account, filter_id: int, status_id: int) -> FilterStatus:
    """Only a status the owner may see can be filtered (404 otherwise, as for reading it)."""
    async with rt.db.write() as conn:
        found = await _own(conn, owner, filter_id)
        status = await statuses.get(conn, status_id)
        if status is None or not await statuses.can_see(conn, status, owner.id, owner.local):
            raise NotFound("Record not found")
        added = await store.add_status(conn, found.id, status.id)
        await store.changed(conn, owner.id)
        return added


async def delete_status(rt: Runtime, owner: Account, row_id: int) -> None:
    async with rt.db.write() as conn:
        found = await store.get_status(conn, owner.id, row_id)
        if found is None:
            raise NotFound("Record not found")
        await store.delete_status(conn, found.id)
        await store.changed(conn, owner.id)


# --- /api/v1/filters: a keyword seen as a filter of its own (Mastodon 4's compatibility view) ---------

async def create_v1(rt: Runtime, owner: Account, *, phrase: str, context: list[str], whole_word: bool,
                    irreversible: bool, expires_at: float | None) -> tuple[Filter, Keyword]:
    """A v1 filter is a v2 filter titled by its phrase, with that one keyword."""
    created = await create_filter(rt, owner, title=phrase, context=context,
                                  action="hide" if irreversible else "warn", expires_at=expires_at,
                                  keywords=[(phrase, whole_word)])
    return created, created.keywords[0]


async def update_v1(rt: Runtime, owner: Account, keyword_id: int, *, phrase: str | None,
                    whole_word: bool | None, values: dict) -> tuple[Filter, Keyword]:
    """Changes the keyword, and the filter around it only when that filter has no other keyword
    (as Mastodon: the v1 view cannot say what a shared filter's other keywords would become)."""
    async with rt.db.write() as conn:
        keyword = await _own_keyword(conn, owner, keyword_id)
        found = await _own(conn, owner, keyword.filter_id)
        changed = {k: v for k, v in values.items() if getattr(found, k) != v}
        if changed and len(found.keywords) > 1:
            raise Unprocessable("This filter has several keywords: edit it through /api/v2/filters")
        await store.update_keyword(conn, keyword.id, **_edits(phrase, whole_word))
        if changed:
            await store.update_filter(conn, found.id, **changed)
        await store.changed(conn, owner.id)
        return await _own(conn, owner, found.id), await _own_keyword(conn, owner, keyword.id)

