"""A group relays what its members post in it (FEP-1b12): one fact, `relay_in`, run inside the
transaction that stores the post, so a post and its relay are stored together or not at all.

A post is in a group when it mentions (or is addressed to) one of this node's groups, or answers a
post the group relayed. The group relays it when the author is a member (an accepted follower) or
one of its moderators, the post is public or unlisted, nobody blocked anybody, and no moderator
removed it or the post it answers. Relaying is a boost by the group's account: local members get it
in their home timelines, remote members an `Announce` with `audience` set to the group.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation import as2
from federation.runtime import Runtime
from models import accounts, groups, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.statuses import Status
from social import outgoing

RELAYED_VISIBILITIES = ("public", "unlisted")


async def relay_in(conn: AsyncConnection, rt: Runtime, status: Status, author: Account,
                   mentioned: list[Account], parent: Status | None) -> None:
    if status.reblog_of_id or status.visibility not in RELAYED_VISIBILITIES:
        return
    candidates = await groups.local_group_ids(conn, [a.id for a in mentioned])
    if parent is not None:
        for group_id, state in await groups.thread_groups(conn, parent.id):
            if state == "removed":  # a removed post's replies stay out of its group
                candidates = [c for c in candidates if c != group_id]
            elif group_id not in candidates:
                candidates.append(group_id)
    for group_id in dict.fromkeys(candidates):
        if group_id != author.id:
            await _relay_one(conn, rt, group_id, status, author)


async def _relay_one(conn: AsyncConnection, rt: Runtime, group_id: int, status: Status, author: Account) -> None:
    group = await groups.get(conn, group_id)
    if group is None or group.account.suspended_at is not None:
        return
    if await groups.post_state(conn, group_id, status.id) is not None:
        return  # relayed already, or removed by a moderator
    if not (author.id in group.moderator_ids or await groups.is_member(conn, group_id, author.id)):
        return  # only members post in a group
    if await social.is_blocked_either_way(conn, group_id, author.id):
        return
    boost_id = new_id()
    boost = await statuses.insert_status(
        conn, id=boost_id, uri=rt.urls.status_activity(group.account.username, boost_id),
        url=rt.urls.status_page(group.account.username, boost_id), account_id=group_id, local=True,
        reblog_of_id=status.id, content="", visibility=status.visibility)
    await statuses.bump(conn, status.id, "reblogs_count", 1)
    await accounts.bump_counter(conn, group_id, "statuses_count", 1)
    await groups.record_post(conn, group_id, status.id, state="relayed", boost_id=boost_id)
    # The post by id, the form Mastodon reads (Lemmy sends it to microblogs too), with `audience`.
    await outgoing.queue(conn, rt, activity=as2.announce(boost, group.account, status.uri, author.uri),
                         signer=group.account, followers_of=group_id, to_accounts=[author.id],
                         home_status=boost_id)
