"""Following hashtags (their posts reach one's home timeline) and featuring them on one's profile."""
from __future__ import annotations

from federation.runtime import Runtime
from federation.content import find_hashtags
from models import tags_follow
from models.accounts import Account
from social.errors import NotFound, Unprocessable

NAME_LIMIT = 255


def normalise(name: str, *, not_found: bool = True) -> str:
    """A hashtag's stored name (lower-case, without '#'); 404 (or 422 when `not_found` is false) for
    anything that could not be a hashtag in a post."""
    name = (name or "").strip().removeprefix("#")
    if 0 < len(name) <= NAME_LIMIT and find_hashtags("#" + name) == [name.lower()]:
        return name.lower()
    if not_found:
        raise NotFound("Record not found")
    raise Unprocessable("Validation failed: Name is not a valid hashtag")


async def follow(rt: Runtime, account: Account, name: str) -> str:
    name = normalise(name)
    async with rt.db.write() as conn:
        await tags_follow.follow(conn, account.id, name)
    return name


async def unfollow(rt: Runtime, account: Account, name: str) -> str:
    name = normalise(name)
    async with rt.db.write() as conn:
        await tags_follow.unfollow(conn, account.id, name)
    return name


async def feature(rt: Runtime, account: Account, name: str) -> int:
    name = normalise(name, not_found=False)
    async with rt.db.write() as conn:
        if await tags_follow.count_featured(conn, account.id) >= tags_follow.MAX_FEATURED:
            raise Unprocessable(f"Validation failed: You can feature at most {tags_follow.MAX_FEATURED} hashtags")
        featured_id = await tags_follow.feature(conn, account.id, name)
    if featured_id is None:
        raise Unprocessable("Validation failed: Tag has already been taken")
    return featured_id


async def unfeature(rt: Runtime, account: Account, featured_id: int) -> None:
    async with rt.db.write() as conn:
        if not await tags_follow.unfeature(conn, account.id, featured_id):
            raise NotFound("Record not found")
