"""Lists: named groups of followed accounts, each with its own timeline."""
from __future__ import annotations

from federation.runtime import Runtime
from models import accounts, collections, social
from models.accounts import Account
from models.collections import REPLIES_POLICIES, List
from social.errors import NotFound, Unprocessable

MAX_TITLE = 255


def _check(title: str | None, replies_policy: str | None) -> None:
    if title is not None and (not title.strip() or len(title) > MAX_TITLE):
        raise Unprocessable("Validation failed: Title can't be blank")
    if replies_policy is not None and replies_policy not in REPLIES_POLICIES:
        raise Unprocessable(f"Validation failed: replies_policy must be one of {', '.join(REPLIES_POLICIES)}")


async def own_list(rt: Runtime, owner: Account, list_id: int) -> List:
    async with rt.db.read() as conn:
        found = await collections.get_list(conn, owner.id, list_id)
    if found is None:
        raise NotFound("Record not found")
    return found


async def create(rt: Runtime, owner: Account, *, title: str | None, replies_policy: str | None,
                 exclusive: bool, public: bool = False) -> List:
    """A new list; `public` shares it (a page, a collection, a feed and a CSV anyone may read)."""
    _check(title or "", replies_policy)
    async with rt.db.write() as conn:
        return await collections.create_list(conn, owner.id, title=(title or "").strip(),
                                             replies_policy=replies_policy or "list", exclusive=exclusive,
                                             public=public)


async def update(rt: Runtime, owner: Account, list_id: int, *, title: str | None, replies_policy: str | None,
                 exclusive: bool | None, public: bool | None = None) -> List:
    _check(title, replies_policy)
    await own_list(rt, owner, list_id)
    values: dict = {}
    if title is not None:
        values["title"] = title.strip()
    if replies_policy is not None:
        values["replies_policy"] = replies_policy
    if exclusive is not None:
        values["exclusive"] = exclusive
    if public is not None:
        values["public"] = public
    async with rt.db.write() as conn:
        if values:
            await collections.update_list(conn, list_id, **values)
        return await collections.get_list(conn, owner.id, list_id)  # type: ignore[return-value]


async def delete(rt: Runtime, owner: Account, list_id: int) -> None:
    await own_list(rt, owner, list_id)
    async with rt.db.write() as conn:
        await collections.delete_list(conn, list_id)


async def add_accounts(rt: Runtime, owner: Account, list_id: int, account_ids: list[int]) -> None:
    """Only accounts the owner follows may be added (422 otherwise, as Mastodon)."""
    await own_list(rt, owner, list_id)
    async with rt.db.write() as conn:
        for account_id in account_ids:
            follow = await social.get_follow(conn, owner.id, account_id)
            if follow is None or follow.state != "accepted" or await accounts.get(conn, account_id) is None:
                raise Unprocessable("Validation failed: You can only add accounts you follow to a list")
        await collections.add_list_accounts(conn, list_id, account_ids)


async def remove_accounts(rt: Runtime, owner: Account, list_id: int, account_ids: list[int]) -> None:
    await own_list(rt, owner, list_id)
    async with rt.db.write() as conn:
        await collections.remove_list_accounts(conn, list_id, account_ids)
