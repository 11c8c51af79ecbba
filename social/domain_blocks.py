"""A person blocks or unblocks a whole domain for themselves."""
from __future__ import annotations

from sqlalchemy import select

from federation.runtime import Runtime
from federation.hosts import canonical_host
from federation.policy import DomainError, normalize_domain
from models import account_domain_blocks, social, statuses
from models.domains import on_domain
from models.accounts import Account
from models.schema import accounts, follows
from social.errors import Unprocessable


def _domain(rt: Runtime, domain: str) -> str:
    try:
        domain = normalize_domain(domain)
    except DomainError as err:
        raise Unprocessable(str(err)) from None
    if domain == canonical_host(rt.config.domain).name:
        raise Unprocessable("You cannot block your own server")
    return domain


async def block_domain(rt: Runtime, account: Account, domain: str) -> None:
    """As on Mastodon: their posts and notifications stop, and followers from there are removed."""
    domain = _domain(rt, domain)
    async with rt.db.write() as conn:
        if not await account_domain_blocks.add(conn, account.id, domain):
            return
        followers = (await conn.execute(
            select(follows.c.account_id).join(accounts, accounts.c.id == follows.c.account_id)
            .where(follows.c.target_account_id == account.id, on_domain(accounts.c.domain, domain)))).scalars().all()
        for follower_id in followers:
            await social.remove_follow(conn, follower_id, account.id)
        authors = (await conn.execute(select(accounts.c.id).where(
            on_domain(accounts.c.domain, domain)))).scalars().all()
        for author_id in authors:
            await statuses.remove_author_from_home(conn, account.id, author_id)


async def unblock_domain(rt: Runtime, account: Account, domain: str) -> None:
    domain = _domain(rt, domain)
    async with rt.db.write() as conn:
        await account_domain_blocks.remove(conn, account.id, domain)
