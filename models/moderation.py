"""Moderation queries: domain blocks and allows, reports, invites, users' sign-in state, and the
removal of what this node holds of accounts it stops federating with."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import social
from models import statuses as statuses_store
from models.accounts import Account
from models.ids import new_id
from models import domains
from models.schema import (accounts, domain_allows, domain_blocks, favourites, follows, home_feed, invites,
                           notifications, oauth_tokens, reports, statuses, users)

SEVERITIES = ("noop", "silence", "suspend")
CATEGORIES = ("spam", "legal", "violation", "other")


# --- Domain blocks and allows -------------------------------------------------------------------

@dataclass(frozen=True)
class DomainBlock:
    id: int
    domain: str
    severity: str
    reject_media: bool
    public_comment: str
    private_comment: str
    created_at: float


@dataclass(frozen=True)
class DomainAllow:
    id: int
    domain: str
    created_at: float


def _block(row) -> DomainBlock:  # noqa: ANN001
    return DomainBlock(row.id, row.domain, row.severity, bool(row.reject_media), row.public_comment or "",
                       row.private_comment or "", row.created_at)


async def domain_block(conn: AsyncConnection, *, domain: str | None = None,
                       block_id: int | None = None) -> DomainBlock | None:
    cond = domain_blocks.c.domain == domain if domain is not None else domain_blocks.c.id == block_id
    row = (await conn.execute(select(domain_blocks).where(cond))).first()
    return _block(row) if row else None


async def list_domain_blocks(conn: AsyncConnection) -> list[DomainBlock]:
    rows = (await conn.execute(select(domain_blocks).order_by(domain_blocks.c.domain))).all()
    return [_block(r) for r in rows]


async def upsert_domain_block(conn: AsyncConnection, domain: str, **values) -> DomainBlock:
    existing = await domain_block(conn, domain=domain)
    if existing:
        await conn.execute(update(domain_blocks).where(domain_blocks.c.id == existing.id).values(**values))
    else:
        await conn.execute(insert(domain_blocks).values(id=new_id(), domain=domain, created_at=time.time(),
                                                        **values))
    return await domain_block(conn, domain=domain)  # type: ignore[return-value]


async def delete_domain_block(conn: AsyncConnection, block_id: int) -> None:
    await conn.execute(delete(domain_blocks).where(domain_blocks.c.id == block_id))


async def domain_allow(conn: AsyncConnection, *, domain: str | None = None,
                       allow_id: int | None = None) -> DomainAllow | None:
    cond = domain_allows.c.domain == domain if domain is not None else domain_allows.c.id == allow_id
    row = (await conn.execute(select(domain_allows).where(cond))).first()
    return DomainAllow(row.id, row.domain, row.created_at) if row else None


async def list_domain_allows(conn: AsyncConnection) -> list[DomainAllow]:
    rows = (await conn.execute(select(domain_allows).order_by(domain_allows.c.domain))).all()
    return [DomainAllow(r.id, r.domain, r.created_at) for r in rows]


async def add_domain_allow(conn: AsyncConnection, domain: str) -> DomainAllow:
    existing = await domain_allow(conn, domain=domain)
    if existing:
        return existing
    await conn.execute(insert(domain_allows).values(id=new_id(), domain=domain, created_at=time.time()))
    return await domain_allow(conn, domain=domain)  # type: ignore[return-value]


async def delete_domain_allow(conn: AsyncConnection, allow_id: int) -> None:
    await conn.execute(delete(domain_allows).where(domain_allows.c.id == allow_id))


def on_domain(domain: str):  # noqa: ANN201
    """Accounts on `domain`, one of its subdomains or any port of either (a rule covers them all)."""
    return domains.on_domain(accounts.c.domain, domain)


async def stamp_domain_silence(conn: AsyncConnection, domain: str, stamp: float, silenced: bool) -> None:
    """Silence the domain's known accounts with the block's time as the stamp, or lift that stamp."""
    if silenced:
        await conn.execute(update(accounts).where(on_domain(domain), accounts.c.silenced_at.is_(None))
                           .values(silenced_at=stamp))
    else:
        await conn.execute(update(accounts).where(on_domain(domain), accounts.c.silenced_at == stamp)
                           .values(silenced_at=None))


async def account_ids_on_domain(conn: AsyncConnection, domain: str) -> list[int]:
    return list((await conn.execute(select(accounts.c.id).where(on_domain(domain)))).scalars())


# --- Cutting remote accounts off ----------------------------------------------------------------

async def sever_follows(conn: AsyncConnection, remote_ids: list[int]) -> int:
    """End every follow between these (remote) accounts and local ones, both ways; counters and home
    timelines follow. Returns how many follows ended."""
    if not remote_ids:
        return 0
    rows = (await conn.execute(select(follows.c.account_id, follows.c.target_account_id).where(
        or_(follows.c.account_id.in_(remote_ids), follows.c.target_account_id.in_(remote_ids))))).all()
    for row in rows:
        await social.remove_follow(conn, row.account_id, row.target_account_id)
        await statuses_store.remove_author_from_home(conn, row.account_id, row.target_account_id)
    return len(rows)


async def purge_content(conn: AsyncConnection, remote_ids: list[int]) -> None:
    """Forget what these accounts said and did here: their posts and boosts become tombstones, their
    likes and boosts of local posts are withdrawn, their notifications disappear."""
    if not remote_ids:
        return
    now = time.time()
    liked = (await conn.execute(select(favourites.c.status_id).where(
        favourites.c.account_id.in_(remote_ids)))).scalars().all()
    for status_id in liked:
        await statuses_store.bump(conn, status_id, "favourites_count", -1)
    await conn.execute(delete(favourites).where(favourites.c.account_id.in_(remote_ids)))
    boosted = (await conn.execute(select(statuses.c.reblog_of_id).where(
        statuses.c.account_id.in_(remote_ids), statuses.c.reblog_of_id.is_not(None),
        statuses_store.LIVE))).scalars().all()
    for status_id in boosted:
        await statuses_store.bump(conn, status_id, "reblogs_count", -1)
    theirs = select(statuses.c.id).where(statuses.c.account_id.in_(remote_ids))
    await conn.execute(delete(home_feed).where(home_feed.c.status_id.in_(theirs)))
    await conn.execute(update(statuses).where(statuses.c.account_id.in_(remote_ids), statuses_store.LIVE)
                       .values(deleted_at=now, content="", source_text=None, spoiler_text=""))
    await conn.execute(delete(notifications).where(notifications.c.from_account_id.in_(remote_ids)))


# --- Accounts and users -------------------------------------------------------------------------

@dataclass(frozen=True)
class UserState:
    id: int
    account_id: int
    email: str | None
    admin: bool
    disabled: bool
    approved: bool
    invite_id: int | None
    reason: str | None
    created_at: float
    moderator: bool = False


def _user(row) -> UserState:  # noqa: ANN001
    return UserState(row.id, row.account_id, row.email, bool(row.admin), bool(row.disabled),
                     bool(row.approved), row.invite_id, row.reason, row.created_at, bool(row.moderator))


async def user_of(conn: AsyncConnection, account_id: int) -> UserState | None:
    row = (await conn.execute(select(users).where(users.c.account_id == account_id))).first()
    return _user(row) if row else None


async def users_of(conn: AsyncConnection, account_ids) -> dict[int, UserState]:  # noqa: ANN001
    ids = list(set(account_ids))
    if not ids:
        return {}
    rows = (await conn.execute(select(users).where(users.c.account_id.in_(ids)))).all()
    return {r.account_id: _user(r) for r in rows}


async def user_approved(conn: AsyncConnection, user_id: int) -> bool:
    return bool((await conn.execute(select(users.c.approved).where(users.c.id == user_id))).scalar())


async def set_user(conn: AsyncConnection, account_id: int, **values) -> None:
    await conn.execute(update(users).where(users.c.account_id == account_id).values(**values))


async def set_account(conn: AsyncConnection, account_id: int, **values) -> None:
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


async def revoke_tokens(conn: AsyncConnection, account_id: int) -> None:
    user_ids = select(users.c.id).where(users.c.account_id == account_id)
    await conn.execute(update(oauth_tokens).where(oauth_tokens.c.user_id.in_(user_ids),
                                                  oauth_tokens.c.revoked_at.is_(None))
                       .values(revoked_at=time.time()))


async def delete_user(conn: AsyncConnection, account_id: int) -> None:
    await conn.execute(delete(users).where(users.c.account_id == account_id))


async def remote_follow_ids(conn: AsyncConnection, account_id: int) -> list[int]:
    """Remote accounts that follow or are followed by `account_id`: whom a Delete of it must reach."""
    rows = (await conn.execute(
        select(accounts.c.id).join(follows, or_(
            and_(follows.c.account_id == accounts.c.id, follows.c.target_account_id == account_id),
            and_(follows.c.target_account_id == accounts.c.id, follows.c.account_id == account_id)))
        .where(accounts.c.domain.is_not(None)))).scalars()
    return list(dict.fromkeys(rows))


async def admin_accounts(conn: AsyncConnection, *, origin: str | None = None, status: str | None = None,
                         username: str | None = None, by_domain: str | None = None,
                         display_name: str | None = None, email: str | None = None,
                         staff: bool = False, max_id: int | None = None, since_id: int | None = None,
                         min_id: int | None = None, limit: int = 100,
                         include_instance_actor: int | None = None) -> list[Account]:
    stmt = select(accounts).outerjoin(users, users.c.account_id == accounts.c.id)
    if include_instance_actor is not None:
        stmt = stmt.where(accounts.c.id != include_instance_actor)
    if origin == "local":
        stmt = stmt.where(accounts.c.domain.is_(None))
    elif origin == "remote":
        stmt = stmt.where(accounts.c.domain.is_not(None))
    if status == "active":
        stmt = stmt.where(accounts.c.suspended_at.is_(None), or_(users.c.id.is_(None), and_(
            users.c.disabled.is_(False), users.c.approved.is_(True))))
    elif status == "pending":
        stmt = stmt.where(users.c.approved.is_(False))
    elif status == "disabled":
        stmt = stmt.where(users.c.disabled.is_(True))
    elif status == "silenced":
        stmt = stmt.where(accounts.c.silenced_at.is_not(None))
    elif status == "suspended":
        stmt = stmt.where(accounts.c.suspended_at.is_not(None))
    if username:
        stmt = stmt.where(func.lower(accounts.c.username).startswith(username.lower(), autoescape=True))
    if display_name:
        stmt = stmt.where(func.lower(accounts.c.display_name).contains(display_name.lower(), autoescape=True))
    if by_domain:
        stmt = stmt.where(func.lower(accounts.c.domain) == by_domain.lower())
    if email:
        stmt = stmt.where(func.lower(users.c.email).contains(email.lower(), autoescape=True))
    if staff:
        stmt = stmt.where(users.c.admin.is_(True) | users.c.moderator.is_(True))
    stmt, ascending = statuses_store.paginate(stmt, accounts.c.id, max_id=max_id, since_id=since_id,
                                              min_id=min_id, limit=limit)
    rows = (await conn.execute(stmt)).all()
    found = [Account.from_row(r) for r in rows]
    return list(reversed(found)) if ascending else found


# --- Reports ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    id: int
    account_id: int
    target_account_id: int
    status_ids: list[int]
    comment: str
    category: str
    forwarded: bool
    uri: str | None
    created_at: float
    action_taken_at: float | None
    action_taken_by_account_id: int | None
    assigned_account_id: int | None = None

    @property
    def resolved(self) -> bool:
        return self.action_taken_at is not None


def _report(row) -> Report:  # noqa: ANN001
    try:
        ids = [int(i) for i in json.loads(row.status_ids or "[]")]
    except (ValueError, TypeError):
        ids = []
    return Report(row.id, row.account_id, row.target_account_id, ids, row.comment or "", row.category,
                  bool(row.forwarded), row.uri, row.created_at, row.action_taken_at,
                  row.action_taken_by_account_id, row.assigned_account_id)


async def insert_report(conn: AsyncConnection, *, account_id: int, target_account_id: int,
                        status_ids: list[int], comment: str, category: str, forwarded: bool,
                        uri: str | None) -> Report:
    report_id = new_id()
    await conn.execute(insert(reports).values(
        id=report_id, account_id=account_id, target_account_id=target_account_id,
        status_ids=json.dumps([str(i) for i in status_ids]), comment=comment, category=category,
        forwarded=forwarded, uri=uri, created_at=time.time()))
    return await get_report(conn, report_id)  # type: ignore[return-value]


async def get_report(conn: AsyncConnection, report_id: int) -> Report | None:
    row = (await conn.execute(select(reports).where(reports.c.id == report_id))).first()
    return _report(row) if row else None


async def report_by_uri(conn: AsyncConnection, uri: str) -> Report | None:
    row = (await conn.execute(select(reports).where(reports.c.uri == uri))).first()
    return _report(row) if row else None


async def list_reports(conn: AsyncConnection, *, resolved: bool | None = False,
                       account_id: int | None = None, target_account_id: int | None = None,
                       max_id: int | None = None, since_id: int | None = None, min_id: int | None = None,
                       limit: int = 100) -> list[Report]:
    stmt = select(reports)
    if resolved is True:
        stmt = stmt.where(reports.c.action_taken_at.is_not(None))
    elif resolved is False:
        stmt = stmt.where(reports.c.action_taken_at.is_(None))
    if account_id is not None:
        stmt = stmt.where(reports.c.account_id == account_id)
    if target_account_id is not None:
        stmt = stmt.where(reports.c.target_account_id == target_account_id)
    stmt, ascending = statuses_store.paginate(stmt, reports.c.id, max_id=max_id, since_id=since_id,
                                              min_id=min_id, limit=limit)
    found = [_report(r) for r in (await conn.execute(stmt)).all()]
    return list(reversed(found)) if ascending else found


async def set_report_resolved(conn: AsyncConnection, report_id: int, by_account_id: int | None,
                              resolved: bool) -> None:
    await conn.execute(update(reports).where(reports.c.id == report_id).values(
        action_taken_at=time.time() if resolved else None,
        action_taken_by_account_id=by_account_id if resolved else None))


async def set_report_assignee(conn: AsyncConnection, report_id: int, account_id: int | None) -> None:
    await conn.execute(update(reports).where(reports.c.id == report_id).values(assigned_account_id=account_id))


# --- Invites ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invite:
    id: int
    code: str
    created_by_account_id: int
    max_uses: int | None
    uses: int
    expires_at: float | None
    created_at: float

    def usable(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.max_uses is None or self.uses < self.max_uses


def _invite(row) -> Invite:  # noqa: ANN001
    return Invite(row.id, row.code, row.created_by_account_id, row.max_uses, row.uses, row.expires_at,
                  row.created_at)


async def create_invite(conn: AsyncConnection, *, created_by: int, max_uses: int | None,
                        expires_at: float | None) -> Invite:
    invite_id = new_id()
    await conn.execute(insert(invites).values(
        id=invite_id, code=secrets.token_urlsafe(9), created_by_account_id=created_by, max_uses=max_uses,
        uses=0, expires_at=expires_at, created_at=time.time()))
    row = (await conn.execute(select(invites).where(invites.c.id == invite_id))).first()
    return _invite(row)


async def list_invites(conn: AsyncConnection) -> list[Invite]:
    rows = (await conn.execute(select(invites).order_by(invites.c.id.desc()))).all()
    return [_invite(r) for r in rows]


async def invite_by_code(conn: AsyncConnection, code: str) -> Invite | None:
    row = (await conn.execute(select(invites).where(invites.c.code == code))).first()
    return _invite(row) if row else None


async def use_invite(conn: AsyncConnection, invite_id: int) -> bool:
    """Count one use, only while the invite is still valid (one statement, so two sign-ups cannot
    both take the last use)."""
    now = time.time()
    result = await conn.execute(update(invites).where(
        invites.c.id == invite_id,
        or_(invites.c.expires_at.is_(None), invites.c.expires_at > now),
        or_(invites.c.max_uses.is_(None), invites.c.uses < invites.c.max_uses))
        .values(uses=invites.c.uses + 1))
    return bool(result.rowcount)


async def expire_invite(conn: AsyncConnection, code: str) -> bool:
    result = await conn.execute(update(invites).where(invites.c.code == code).values(expires_at=time.time()))
    return bool(result.rowcount)
