"""What an organisation's admins decide: which domains it federates with, what happens to accounts,
and reports. The CLI, the admin API and the admin pages all call these.

Each use case is one short transaction; what must leave the node is queued through outbox.fanout.
A change to blocks or allows is seen by every process within a second (federation.policy); this
process's cache is cleared at once.
"""
from __future__ import annotations

import time
from typing import Callable

from federation.runtime import Runtime
from federation import as2
from federation.addressing import PUBLIC
from federation.policy import DomainError, normalize_domain
from models import accounts, moderation, search_index, social, statuses
from models.accounts import Account, User
from models.ids import new_id
from models.moderation import CATEGORIES, SEVERITIES, DomainAllow, DomainBlock, Report
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable


def checked_domain(domain: str) -> str:
    """The one spelling of a domain (federation.policy.normalize_domain), or a 422."""
    try:
        return normalize_domain(domain)
    except DomainError as err:
        raise Unprocessable(str(err)) from None


# --- Domains ------------------------------------------------------------------------------------

async def block_domain(rt: Runtime, domain: str, severity: str = "suspend", *, reject_media: bool = False,
                       public_comment: str = "", private_comment: str = "",
                       progress: Callable[[int, int], None] | None = None) -> DomainBlock:
    """Block (or change the block of) a domain. `silence` keeps its accounts' posts out of public
    timelines and turns their follows into requests; `suspend` also ends every follow between this
    node and the domain and forgets what its accounts posted here, PURGE_BATCH accounts per
    transaction (`progress(done, total)` after each); blocking again finishes an interrupted purge."""
    if severity not in SEVERITIES:
        raise Unprocessable(f"severity must be one of {', '.join(SEVERITIES)}")
    domain = checked_domain(domain)
    if domain == normalize_domain(rt.config.domain):
        raise Unprocessable("a node cannot block itself")
    async with rt.db.write() as conn:
        block = await moderation.upsert_domain_block(
            conn, domain, severity=severity, reject_media=reject_media, public_comment=public_comment or "",
            private_comment=private_comment or "")
        # As on Mastodon, a domain's silence is stamped on its known accounts with the block's time,
        # so lifting it clears just those stamps and leaves accounts silenced one by one alone.
        await moderation.stamp_domain_silence(conn, domain, block.created_at, severity == "silence")
        remote_ids = await moderation.account_ids_on_domain(conn, domain) if severity == "suspend" else []
    rt.policy.invalidate()
    await _cut_off_domain(rt, remote_ids, progress)
    return block


async def update_domain_block(rt: Runtime, block_id: int, **changes) -> DomainBlock:
    async with rt.db.read() as conn:
        block = await moderation.domain_block(conn, block_id=block_id)
    if block is None:
        raise NotFound("Record not found")
    values = {"severity": block.severity, "reject_media": block.reject_media,
              "public_comment": block.public_comment, "private_comment": block.private_comment}
    values.update({k: v for k, v in changes.items() if v is not None})
    return await block_domain(rt, block.domain, values.pop("severity"), **values)


async def unblock_domain(rt: Runtime, domain: str | None = None, *, block_id: int | None = None) -> DomainBlock:
    async with rt.db.write() as conn:
        block = (await moderation.domain_block(conn, domain=checked_domain(domain)) if domain is not None
                 else await moderation.domain_block(conn, block_id=block_id))
        if block is None:
            raise NotFound(f"{domain} is not blocked" if domain else "Record not found")
        await moderation.delete_domain_block(conn, block.id)
        await moderation.stamp_domain_silence(conn, block.domain, block.created_at, False)
    rt.policy.invalidate()
    return block


async def list_domain_blocks(rt: Runtime) -> list[DomainBlock]:
    async with rt.db.read() as conn:
        return await moderation.list_domain_blocks(conn)


async def get_domain_block(rt: Runtime, block_id: int) -> DomainBlock:
    async with rt.db.read() as conn:
        block = await moderation.domain_block(conn, block_id=block_id)
    if block is None:
        raise NotFound("Record not found")
    return block


async def allow_domain(rt: Runtime, domain: str) -> DomainAllow:
    domain = checked_domain(domain)
    async with rt.db.write() as conn:
        allow = await moderation.add_domain_allow(conn, domain)
    rt.policy.invalidate()
    return allow


async def disallow_domain(rt: Runtime, domain: str | None = None, *, allow_id: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> DomainAllow:
    """Take a domain off the allowlist. When that means the node no longer federates with it, its
    follows end at once, as for a suspended domain."""
    async with rt.db.write() as conn:
        allow = (await moderation.domain_allow(conn, domain=checked_domain(domain)) if domain is not None
                 else await moderation.domain_allow(conn, allow_id=allow_id))
        if allow is None:
            raise NotFound(f"{domain} is not allowed" if domain else "Record not found")
        await moderation.delete_domain_allow(conn, allow.id)
    rt.policy.invalidate()
    if not await rt.policy.allows(allow.domain):
        async with rt.db.read() as conn:
            remote_ids = await moderation.account_ids_on_domain(conn, allow.domain)
        await _cut_off_domain(rt, remote_ids, progress)
    return allow


async def set_federation_mode(rt: Runtime, mode: str) -> str:
    """open, blocklist or allowlist. Stored with the node's identity; every process follows within
    a second. Follows with domains the new mode refuses are not ended: nothing crosses the border
    while the mode stands, and they work again if it is changed back."""
    try:
        await rt.policy.set_mode(mode)
    except ValueError as err:
        raise Unprocessable(str(err)) from None
    return mode


async def list_domain_allows(rt: Runtime) -> list[DomainAllow]:
    async with rt.db.read() as conn:
        return await moderation.list_domain_allows(conn)


async def get_domain_allow(rt: Runtime, allow_id: int) -> DomainAllow:
    async with rt.db.read() as conn:
        allow = await moderation.domain_allow(conn, allow_id=allow_id)
    if allow is None:
        raise NotFound("Record not found")
    return allow


PURGE_BATCH = 50  # accounts of a cut-off domain purged per transaction


async def _cut_off(conn, remote_ids: list[int]) -> None:  # noqa: ANN001
    await moderation.sever_follows(conn, remote_ids)
    await moderation.purge_content(conn, remote_ids)


async def _cut_off_domain(rt: Runtime, remote_ids: list[int], progress: Callable[[int, int], None] | None) -> None:
    """_cut_off a domain's accounts, a batch per short transaction, so a large domain neither holds
    the database's writer for long nor leaves the operator guessing."""
    for start in range(0, len(remote_ids), PURGE_BATCH):
        batch = remote_ids[start:start + PURGE_BATCH]
        async with rt.db.write() as conn:
            await _cut_off(conn, batch)
        if progress is not None:
            progress(start + len(batch), len(remote_ids))


# --- Accounts -----------------------------------------------------------------------------------

# --- Who may act on whom (Mastodon's roles: a role acts only on the roles below it) --------------

def may_moderate(staff: User, target: moderation.UserState | None) -> bool:
    """An admin acts on anyone; a moderator on people without a role (and remote accounts) only."""
    return staff.admin or target is None or not (target.admin or target.moderator)


async def check_may_moderate(rt: Runtime, staff: User, account_id: int) -> None:
    async with rt.db.read() as conn:
        target = await moderation.user_of(conn, account_id)
    if not may_moderate(staff, target):
        raise Forbidden("Moderators cannot act on admins or other moderators")


async def find_account(rt: Runtime, name_or_acct: str) -> Account:
    """`alice`, `@alice`, `alice@this.domain`, `guru@globex.test`, or an account id."""
    text = name_or_acct.strip().lstrip("@")
    username, _, domain = text.partition("@")
    if domain and domain.lower() == rt.config.domain.lower():
        domain = ""
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, username, domain or None)
        if account is None and text.isdigit():
            account = await accounts.get(conn, int(text))
    if account is None or account.id == rt.instance_account_id:
        raise NotFound(f"no account {name_or_acct!r} on this node")
    return account


async def _account(conn, rt: Runtime, account_id: int) -> Account:  # noqa: ANN001
    account = await accounts.get(conn, account_id)
    if account is None or account.id == rt.instance_account_id:
        raise NotFound("Record not found")
    return account


def _delete_actor(rt: Runtime, account: Account) -> dict:
    return as2.activity("Delete", f"{account.uri}#delete", account.uri, account.uri, to=[PUBLIC])


async def suspend_account(rt: Runtime, account_id: int) -> Account:
    """A local account can no longer sign in (its tokens are revoked) and other servers are told it
    is gone; a remote one disappears from this node, its follows with local accounts end and what it
    posted here is forgotten."""
    async with rt.db.write() as conn:
        account = await _account(conn, rt, account_id)
        if account.suspended_at is None:
            await moderation.set_account(conn, account.id, suspended_at=time.time())
        if account.local:
            await moderation.revoke_tokens(conn, account.id)
            await outgoing.queue(conn, rt, activity=_delete_actor(rt, account), signer=account,
                               followers_of=account.id,
                               to_accounts=await moderation.remote_follow_ids(conn, account.id))
        else:
            await _cut_off(conn, [account.id])
        return await accounts.get(conn, account.id)  # type: ignore[return-value]


async def unsuspend_account(rt: Runtime, account_id: int) -> Account:
    async with rt.db.write() as conn:
        account = await _account(conn, rt, account_id)
        await moderation.set_account(conn, account.id, suspended_at=None)
        if account.local and account.suspended_at is not None:
            # Servers that dropped it on the Delete fetch it again when it next speaks; tell the
            # ones still in touch that it is back.
            update = as2.activity("Update", rt.urls.activity(account.uri, new_id()), account.uri,
                                  as2.strip_context(as2.actor_document(account, rt.urls)), to=[PUBLIC])
            await outgoing.queue(conn, rt, activity=update, signer=account, followers_of=account.id,
                               to_accounts=await moderation.remote_follow_ids(conn, account.id))
        return await accounts.get(conn, account.id)  # type: ignore[return-value]


async def silence_account(rt: Runtime, account_id: int, silenced: bool = True) -> Account:
    """A silenced account is left out of public timelines and its follows need approval."""
    return await _mark(rt, account_id, "silenced_at", silenced)


async def unsilence_account(rt: Runtime, account_id: int) -> Account:
    return await silence_account(rt, account_id, False)


async def sensitize_account(rt: Runtime, account_id: int, sensitized: bool = True) -> Account:
    """A sensitized account's new posts and edits are stored sensitive (their media behind a
    warning), here and, for a local account, as they are sent; earlier posts keep their flag."""
    return await _mark(rt, account_id, "sensitized_at", sensitized)


async def unsensitize_account(rt: Runtime, account_id: int) -> Account:
    return await sensitize_account(rt, account_id, False)


async def _mark(rt: Runtime, account_id: int, column: str, on: bool) -> Account:
    """Set a moderator's mark on an account (dated now) or lift it; the account as it is then."""
    async with rt.db.write() as conn:
        account = await _account(conn, rt, account_id)
        await moderation.set_account(conn, account.id, **{column: time.time() if on else None})
        return await accounts.get(conn, account.id)  # type: ignore[return-value]


async def _local_user(conn, rt: Runtime, account_id: int):  # noqa: ANN001, ANN202
    account = await _account(conn, rt, account_id)
    user = await moderation.user_of(conn, account.id)
    if user is None:
        raise Unprocessable("only local accounts have a login")
    return account, user


async def disable_login(rt: Runtime, account_id: int, disabled: bool = True) -> Account:
    """A disabled user cannot sign in or use a token; the account stays visible."""
    async with rt.db.write() as conn:
        account, _ = await _local_user(conn, rt, account_id)
        await moderation.set_user(conn, account.id, disabled=disabled)
        return account


async def enable_login(rt: Runtime, account_id: int) -> Account:
    return await disable_login(rt, account_id, False)


async def approve_account(rt: Runtime, account_id: int) -> Account:
    async with rt.db.write() as conn:
        account, _ = await _local_user(conn, rt, account_id)
        await moderation.set_user(conn, account.id, approved=True)
        return account


async def reject_account(rt: Runtime, account_id: int) -> Account:
    """Refuse a sign-up that waits for approval: the account is removed."""
    async with rt.db.read() as conn:
        account, user = await _local_user(conn, rt, account_id)
    if user.approved:
        raise Unprocessable("this account is not waiting for approval")
    return await delete_account(rt, account.id)


async def delete_account(rt: Runtime, account_id: int,
                         progress: Callable[[int, int], None] | None = None) -> Account:
    """Remove an account's data. A local one keeps a tombstone (its name stays taken, its key signs
    the Delete that tells other servers); a remote one is suspended and forgotten. `progress(done,
    total)` hears how many of its posts are deleted (the CLI draws a bar)."""
    async with rt.db.write() as conn:
        account = await _account(conn, rt, account_id)
        if not account.local:
            await moderation.set_account(conn, account.id, suspended_at=account.suspended_at or time.time())
            await _cut_off(conn, [account.id])
            return account
        targets = await moderation.remote_follow_ids(conn, account.id)
        # The Delete goes out before the follows go, so it reaches everyone who knew the account.
        await outgoing.queue(conn, rt, activity=_delete_actor(rt, account), signer=account,
                           followers_of=None, to_accounts=targets)
        posts = await statuses.account_ids(conn, account.id, account.id, True, limit=100_000)
        for done, status_id in enumerate(posts, 1):
            await statuses.mark_deleted(conn, status_id)
            await search_index.unindex_status(conn, status_id)
            if progress is not None:
                progress(done, len(posts))
        await moderation.sever_follows(conn, [account.id])
        await social.dismiss_notifications(conn, account.id)
        await moderation.delete_user(conn, account.id)
        await moderation.set_account(conn, account.id, suspended_at=account.suspended_at or time.time(),
                                     display_name="", note="", fields="[]", statuses_count=0)
        return account


async def actor_deleted(rt: Runtime, actor: Account) -> None:
    """A remote account deleted itself (its server's Delete of the actor): its follows end (counters
    too), its posts and reactions go, and it stays as a suspended, nameless tombstone."""
    async with rt.db.write() as conn:
        await _cut_off(conn, [actor.id])
        await moderation.set_account(conn, actor.id, suspended_at=time.time(), display_name="", note="")


# --- Reports ------------------------------------------------------------------------------------

async def create_report(rt: Runtime, reporter: Account, target_account_id: int, status_ids=(),  # noqa: ANN001
                        comment: str = "", category: str = "other", forward: bool = False) -> Report:
    """A report for this node's admins; with `forward`, a remote account's own server gets an
    anonymous copy (a Flag from this node's instance actor)."""
    category = category or "other"
    if category not in CATEGORIES:
        raise Unprocessable(f"category must be one of {', '.join(CATEGORIES)}")
    if len(comment) > 1000:
        raise Unprocessable("Validation failed: Comment is too long (maximum is 1000 characters)")
    async with rt.db.write() as conn:
        target = await accounts.get(conn, target_account_id)
        if target is None or target.id == rt.instance_account_id:
            raise NotFound("Record not found")
        # Only posts the reporter may see count as found: one they may not see is answered exactly
        # as one that does not exist, so a report cannot probe for hidden posts.
        found = await statuses.get_many(conn, [int(i) for i in status_ids])
        visible = await statuses.visible_ids(conn, found, reporter.id, reporter.local)
        found = {i: s for i, s in found.items() if i in visible}
        if len(found) != len(set(status_ids)) or any(s.account_id != target.id for s in found.values()):
            raise Unprocessable("Validation failed: statuses must be the reported account's")
        forward = bool(forward) and not target.local
        flag_id = rt.urls.activity(rt.urls.actor_instance(), new_id()) if forward else None
        report = await moderation.insert_report(
            conn, account_id=reporter.id, target_account_id=target.id, status_ids=list(found),
            comment=comment, category=category, forwarded=forward, uri=flag_id)
        if forward and flag_id:
            instance = await accounts.get(conn, rt.instance_account_id)  # type: ignore[arg-type]
            flag = as2.activity("Flag", flag_id, instance.uri,  # type: ignore[union-attr]
                                [target.uri] + [s.uri for s in found.values()])
            flag["content"] = comment
            await outgoing.queue(conn, rt, activity=flag, signer=instance, to_accounts=[target.id])
    return report


async def receive_flag(rt: Runtime, activity: dict, actor: Account) -> Report | None:
    """A Flag from another server: about local accounts or posts, it becomes a report whose reporter
    is the sending actor; about anything else it is ignored."""
    objects = activity.get("object")
    refs = [as2.object_id(o) for o in (objects if isinstance(objects, list) else [objects])]
    refs = [r for r in refs if r]
    flag_id = as2.object_id(activity)
    content = activity.get("content")
    comment = content if isinstance(content, str) else ""
    async with rt.db.write() as conn:
        if flag_id and await moderation.report_by_uri(conn, flag_id):
            return None
        target: Account | None = None
        reported: list[int] = []
        for ref in refs[:100]:
            account = await accounts.by_uri(conn, ref)
            if account is not None:
                if account.local and target is None and account.id != rt.instance_account_id:
                    target = account
                continue
            status = await statuses.by_uri(conn, ref)
            if status is not None and status.local:
                reported.append(status.id)
                if target is None:
                    target = await accounts.get(conn, status.account_id)
        if target is None:
            return None
        found = await statuses.get_many(conn, reported)
        ids = [i for i in reported if i in found and found[i].account_id == target.id]
        return await moderation.insert_report(
            conn, account_id=actor.id, target_account_id=target.id, status_ids=ids, comment=comment[:5000],
            category="other", forwarded=False, uri=flag_id)


async def get_report(rt: Runtime, report_id: int) -> Report:
    async with rt.db.read() as conn:
        report = await moderation.get_report(conn, report_id)
    if report is None:
        raise NotFound("Record not found")
    return report


async def resolve_report(rt: Runtime, report_id: int, by: Account | None = None, *,
                         resolved: bool = True) -> Report:
    async with rt.db.write() as conn:
        report = await moderation.get_report(conn, report_id)
        if report is None:
            raise NotFound("Record not found")
        await moderation.set_report_resolved(conn, report.id, by.id if by else rt.instance_account_id,
                                             resolved)
        return await moderation.get_report(conn, report.id)  # type: ignore[return-value]


async def reopen_report(rt: Runtime, report_id: int, by: Account | None = None) -> Report:
    return await resolve_report(rt, report_id, by, resolved=False)


async def assign_report(rt: Runtime, report_id: int, to: Account | None) -> Report:
    """The moderator who handles the report (None: nobody), so two do not work on the same one."""
    async with rt.db.write() as conn:
        report = await moderation.get_report(conn, report_id)
        if report is None:
            raise NotFound("Record not found")
        await moderation.set_report_assignee(conn, report.id, to.id if to else None)
        return await moderation.get_report(conn, report.id)  # type: ignore[return-value]


async def list_reports(rt: Runtime, *, resolved: bool | None = False, **filters) -> list[Report]:
    async with rt.db.read() as conn:
        return await moderation.list_reports(conn, resolved=resolved, **filters)
