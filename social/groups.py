"""Groups (communities of practice), once for everyone: create one, join, leave, approve a join,
remove a post, remove a member. A group is a local account of type Group (an ActivityPub `Group`
actor with its own keys, inbox, outbox, followers and featured collections, FEP-1b12); its members
are its accepted followers, so people on any server join by following it. What a member posts in
the group is relayed by social.group_relay, inside the post's own transaction.
"""
from __future__ import annotations

import asyncio

from federation import as2
from federation.content import render_plain
from federation.httpsig import generate_key_pair
from federation.runtime import Runtime
from models import accounts, groups, statuses
from models.accounts import Account
from models.groups import JOIN_POLICIES, Group
from models.ids import new_id
from social import follows, outgoing
from social.accounts import USERNAME
from social.errors import Forbidden, NotFound, Unprocessable
from social.group_relay import relay_removal
from social.statuses import remove_in

MAX_TITLE, MAX_DESCRIPTION, MAX_RULES, MAX_RULE = 100, 2000, 20, 500


def _check(name: str, title: str, description: str, join_policy: str, rules: list[str]) -> None:
    if not USERNAME.fullmatch(name or ""):
        raise Unprocessable("a group name has 1 to 30 letters, digits or underscores")
    if not title.strip() or len(title) > MAX_TITLE:
        raise Unprocessable(f"a group needs a title of at most {MAX_TITLE} characters")
    if len(description) > MAX_DESCRIPTION:
        raise Unprocessable(f"the description has at most {MAX_DESCRIPTION} characters")
    if join_policy not in JOIN_POLICIES:
        raise Unprocessable(f"join policy must be one of {', '.join(JOIN_POLICIES)}")
    if len(rules) > MAX_RULES or any(not isinstance(r, str) or len(r) > MAX_RULE for r in rules):
        raise Unprocessable(f"at most {MAX_RULES} rules of at most {MAX_RULE} characters each")


async def create_group(rt: Runtime, creator: Account | None, name: str, *, title: str,
                       description: str = "", join_policy: str = "open", rules: list[str] | None = None,
                       moderators: list[str] | None = None, as_admin: bool = False,
                       avatar_url: str | None = None) -> Group:
    """A new group. `creator` None: the operator (CLI); a person may create one when they are an
    admin (`as_admin`) or the node allows it (people_create_groups). The creator, when a person, is
    a moderator; `moderators` names further local accounts by username."""
    rules = [r.strip() for r in (rules or []) if isinstance(r, str) and r.strip()]
    _check(name, title, description, join_policy, rules)
    if creator is not None and not (as_admin or rt.config.people_create_groups):
        raise Forbidden("This node lets only its admins create groups")
    private_pem, public_pem = await asyncio.to_thread(generate_key_pair)  # slow: off the event loop
    note = render_plain(description, mention_url=lambda _ref: None, tag_url=rt.urls.tag).html if description else ""
    async with rt.db.write() as conn:
        moderator_ids = [creator.id] if creator is not None and creator.local else []
        for username in moderators or []:
            account = await accounts.by_acct(conn, username.lstrip("@"), None)
            if account is None or account.actor_type == "Group":
                raise Unprocessable(f"no local person named {username!r} to moderate the group")
            moderator_ids.append(account.id)
        if await accounts.by_acct(conn, name, None):
            raise Unprocessable(f"the name {name!r} is taken")
        account = await accounts.create_local(
            conn, username=name, uris=rt.urls.account_columns(name), private_key_pem=private_pem,
            public_key_pem=public_pem, display_name=title.strip(), locked=join_policy == "approval",
            actor_type="Group", note=note, avatar_url=avatar_url)
        await groups.create(conn, account_id=account.id, join_policy=join_policy, rules=rules,
                            created_by=creator.id if creator else None, moderator_ids=moderator_ids)
        return await groups.get(conn, account.id)  # type: ignore[return-value]


async def get_group(rt: Runtime, group_id: int) -> Group:
    async with rt.db.read() as conn:
        group = await groups.get(conn, group_id)
    if group is None or group.account.suspended_at is not None:
        raise NotFound("Record not found")
    return group


async def _moderated(rt: Runtime, moderator: Account, group_id: int) -> Group:
    group = await get_group(rt, group_id)
    if moderator.id not in group.moderator_ids:
        raise Forbidden("Only the group's moderators may do that")
    return group


async def join(rt: Runtime, account: Account, group_id: int, *, uri: str | None = None) -> None:
    """Join = follow the group. Open: accepted at once; approval: a request a moderator answers;
    local: only this node's people (a remote Follow is answered with a Reject)."""
    group = await get_group(rt, group_id)
    if group.join_policy == "local" and not account.local:
        refused = {"id": uri, "type": "Follow", "actor": account.uri, "object": group.account.uri}
        reject = as2.activity("Reject", rt.urls.activity(group.account.uri, new_id()), group.account.uri,
                              refused, to=[account.uri])
        async with rt.db.write() as conn:
            await outgoing.queue(conn, rt, activity=reject, signer=group.account, to_accounts=[account.id])
        return
    await follows.follow(rt, account, group.id, uri=uri)


async def leave(rt: Runtime, account: Account, group_id: int) -> None:
    await follows.unfollow(rt, account, (await get_group(rt, group_id)).id)


async def approve(rt: Runtime, moderator: Account, group_id: int, account_id: int) -> None:
    """A moderator accepts a request to join (the group's Accept goes to a remote member's server)."""
    group = await _moderated(rt, moderator, group_id)
    await follows.authorize_follow_request(rt, group.account, account_id)


async def refuse(rt: Runtime, moderator: Account, group_id: int, account_id: int) -> None:
    group = await _moderated(rt, moderator, group_id)
    await follows.reject_follow_request(rt, group.account, account_id)


async def join_requests(rt: Runtime, moderator: Account, group_id: int) -> list[Account]:
    from models import social

    group = await _moderated(rt, moderator, group_id)
    async with rt.db.read() as conn:
        return [a for _, a in await social.follow_page(conn, group.id, followers=True, state="pending", limit=80)]


async def remove_member(rt: Runtime, moderator: Account, group_id: int, account_id: int) -> None:
    """A moderator removes a member: the group blocks them (their follow ends, a remote member's
    server gets the Block, as Lemmy bans from a community), so they cannot join again."""
    group = await _moderated(rt, moderator, group_id)
    if account_id in group.moderator_ids:
        raise Unprocessable("A moderator cannot be removed from the group")
    await follows.block(rt, group.account, account_id)


async def remove_post(rt: Runtime, moderator: Account, group_id: int, status_id: int) -> None:
    """A moderator removes a post from the group: its relay is withdrawn (the Announce undone, the
    boost gone from members' home timelines) and neither it nor replies to it are relayed again."""
    group = await _moderated(rt, moderator, group_id)
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is not None and status.reblog_of_id:
            status = await statuses.get(conn, status.reblog_of_id)
        if status is None:
            raise NotFound("Record not found")
        row = await groups.post_state(conn, group.id, status.id)
        if row is not None and row.boost_id and (boost := await statuses.get(conn, row.boost_id)):
            await remove_in(conn, rt, boost, group.account)
            await relay_removal(conn, rt, group.account, moderator, boost, status,
                                await accounts.get(conn, status.account_id))
        await groups.record_post(conn, group.id, status.id, state="removed", boost_id=None)
