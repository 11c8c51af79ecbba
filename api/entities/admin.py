"""Admin::Account, Admin::DomainBlock, Admin::DomainAllow and Admin::Report (the admin API)."""
from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_entity, role_entity
from api.entities.formats import iso
from api.entities.statuses import status_entities
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as store
from models import statuses as statuses_store
from models.accounts import Account
from models.moderation import DomainAllow, DomainBlock, Report


def admin_account_entity(rt: Runtime, account: Account, user: store.UserState | None) -> dict:
    """Admin::Account."""
    role = role_entity(user.admin, user.moderator) if user is not None else None
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": account.domain,
        "created_at": iso(user.created_at if user else account.created_at),
        "email": user.email if user else None,
        "ip": None,
        "ips": [],
        "locale": None,
        "invite_request": (user.reason or None) if user else None,
        "role": role,
        "confirmed": user is not None,
        "approved": user.approved if user else True,
        "disabled": user.disabled if user else False,
        "silenced": account.silenced_at is not None,
        "suspended": account.suspended_at is not None,
        "sensitized": account.sensitized_at is not None,
        "account": account_entity(rt, account),
        "created_by_application_id": None,
        "invited_by_account_id": None,
    }


def admin_domain_block_entity(block: DomainBlock) -> dict:
    """Admin::DomainBlock."""
    digest = hashlib.sha256(block.domain.encode()).hexdigest()
    return {"id": str(block.id), "domain": block.domain, "digest": digest,
            "created_at": iso(block.created_at), "severity": block.severity, "reject_media": block.reject_media,
            "reject_reports": False, "private_comment": block.private_comment or None,
            "public_comment": block.public_comment or None, "obfuscate": False}


def admin_domain_allow_entity(allow: DomainAllow) -> dict:
    return {"id": str(allow.id), "domain": allow.domain, "created_at": iso(allow.created_at)}


async def admin_report_entities(conn: AsyncConnection, rt: Runtime, found: list[Report]) -> list[dict]:
    """Admin::Report, in one batch."""
    ids = {r.account_id for r in found} | {r.target_account_id for r in found}
    ids |= {r.action_taken_by_account_id for r in found if r.action_taken_by_account_id}
    ids |= {r.assigned_account_id for r in found if r.assigned_account_id}
    people = await accounts_store.get_many(conn, ids)
    users = await store.users_of(conn, ids)
    posts = await statuses_store.get_many(conn, [i for r in found for i in r.status_ids])
    # The reported posts, whatever their visibility: the moderator reviews them.
    shown = {s["id"]: s for s in await status_entities(conn, rt, None, list(posts.values()), context=None,
                                                       hide_blocked=False, moderator=True)}

    def person(account_id: int | None) -> dict | None:
        account = people.get(account_id) if account_id else None
        return admin_account_entity(rt, account, users.get(account.id)) if account else None

    return [{
        "id": str(r.id),
        "action_taken": r.resolved,
        "action_taken_at": iso(r.action_taken_at),
        "category": r.category,
        "comment": r.comment,
        "forwarded": r.forwarded,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.action_taken_at or r.created_at),
        "account": person(r.account_id),
        "target_account": person(r.target_account_id),
        "assigned_account": person(r.assigned_account_id),
        "action_taken_by_account": person(r.action_taken_by_account_id),
        "statuses": [shown[str(i)] for i in r.status_ids if str(i) in shown],
        "rules": [],
    } for r in found if r.account_id in people and r.target_account_id in people]
