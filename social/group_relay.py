"""A group relays what its members post in it (FEP-1b12): one fact, `relay_in`, run inside the
transaction that stores the post, so a post and its relay are stored together or not at all; and
`relay_change`, which forwards the author's later Update or Delete of a relayed post.

A post is in a group when it mentions (or is addressed to) one of this node's groups, names it as its
`audience` (Lemmy's way), or answers a post the group relayed. The group relays it when the author
is a member (an accepted follower) or one of its moderators, nobody blocked anybody, and no moderator
removed it or the post it answers. Public and unlisted posts are relayed to everyone the group
reaches; a direct post addressed to the group (all the Fedify peer can write to one actor) to its
members only. Relaying is a boost by the group's account: local members get it in their home
timelines; remote members get the activity itself, unchanged, inside the group's Announce
(`Announce{Create{Note}}`, FEP-1b12, what Lemmy reads) and, for a public or unlisted post, also
`Announce{Note id}` (what Mastodon, GoToSocial and Pleroma read as a boost; Lemmy does the same).
Both carry `audience` set to the group.

A reply to a post of this node's own people in a thread a group elsewhere relayed is forwarded to
that group (`forward_reply`): Mastodon sends a reply only to the replied-to author's server, so the
group would never hear of it (ActivityPub's inbox forwarding; the group believes it only on its
author's proof or from its origin, inbox.handlers.forwarded).
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation import as2, integrity
from federation.addressing import PUBLIC, as_list
from federation.as2 import host_of, types_of
from federation.runtime import Runtime
from models import accounts, groups, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.statuses import Status
from social import outgoing

RELAYED_VISIBILITIES = ("public", "unlisted")


async def relay_in(conn: AsyncConnection, rt: Runtime, status: Status, author: Account,
                   mentioned: list[Account], parent: Status | None, *, audience: tuple[Account, ...] = (),
                   activity: dict | None = None) -> None:
    """`activity`: the Create that brought the post (as received, or as this node sent it)."""
    if status.reblog_of_id:
        return
    if status.visibility == "direct":  # only to a group it is addressed to, never through a thread
        candidates = await groups.local_group_ids(conn, [a.id for a in mentioned])
    elif status.visibility in RELAYED_VISIBILITIES:
        candidates = await groups.local_group_ids(conn, [a.id for a in (*mentioned, *audience)])
    else:
        return
    if parent is not None:
        for group_id, state in await groups.thread_groups(conn, parent.id):
            if state == "removed":  # a removed post's replies stay out of its group
                candidates = [c for c in candidates if c != group_id]
            elif group_id not in candidates and status.visibility in RELAYED_VISIBILITIES:
                candidates.append(group_id)
    for group_id in dict.fromkeys(candidates):
        if group_id != author.id:
            await _relay_one(conn, rt, group_id, status, author, activity)
    if parent is not None and parent.local and not author.local:
        await forward_reply(conn, rt, status, author, parent, activity)


async def _relay_one(conn: AsyncConnection, rt: Runtime, group_id: int, status: Status, author: Account,
                     activity: dict | None) -> None:
    group = await groups.get(conn, group_id)
    if group is None or group.account.suspended_at is not None:
        return
    if await groups.post_state(conn, group_id, status.id) is not None:
        return  # relayed already, or removed by a moderator
    if not (author.id in group.moderator_ids or await groups.is_member(conn, group_id, author.id)):
        return  # only members post in a group
    if await social.is_blocked_either_way(conn, group_id, author.id):
        return
    members_only = status.visibility == "direct"
    boost_id = new_id()
    boost = await statuses.insert_status(
        conn, id=boost_id, uri=rt.urls.status_activity(group.account.username, boost_id),
        url=rt.urls.status_page(group.account.username, boost_id), account_id=group_id, local=True,
        reblog_of_id=status.id, content="", visibility="private" if members_only else status.visibility)
    await statuses.bump(conn, status.id, "reblogs_count", 1)
    await accounts.bump_counter(conn, group_id, "statuses_count", 1)
    await groups.record_post(conn, group_id, status.id, state="relayed", boost_id=boost_id)
    by_id = as2.announce(boost, group.account, status.uri, author.uri)
    if activity is not None:
        await _forward(conn, rt, group.account, by_id, activity, author)
    # The post by id, the form Mastodon reads as a boost. Mastodon takes no Announce of a post that
    # is not public, so a members-only post goes only in the activity's own form.
    await outgoing.queue(conn, rt, activity=None if members_only else by_id, signer=group.account,
                         followers_of=group_id, to_accounts=[author.id], home_status=boost_id)


async def _forward(conn: AsyncConnection, rt: Runtime, group: Account, addressed: dict, activity: dict,
                   author: Account) -> None:
    """Announce `activity` unchanged (its proof, when it has one, still holds) to the group's members,
    addressed like the group's boost `addressed`."""
    announce = as2.group_announce(addressed, rt.urls.activity(group.uri, new_id()), activity)
    await outgoing.queue(conn, rt, activity=announce, signer=group, followers_of=group.id, to_accounts=[author.id])


async def forward_reply(conn: AsyncConnection, rt: Runtime, status: Status, author: Account, parent: Status,
                        activity: dict | None) -> None:
    """A remote reply to a local post in a group's thread, forwarded as it arrived to the groups on
    other servers that relayed the post or that it names: as Mastodon forwards a reply to a local
    post (and its deletion), only a public or unlisted one, its author's Create or Delete, signed by
    the replied-to author; never to a group the reply already reaches, nor to the replier's server."""
    if (activity is None or not {"Create", "Delete"} & set(types_of(activity))
            or status.visibility not in RELAYED_VISIBILITIES or status.reblog_of_id):
        return
    in_thread = [*await statuses.group_boosters(conn, parent.id),
                 *(a for a in (await accounts.get_many(conn, await statuses.mentioned_ids(conn, parent.id))).values()
                   if a.actor_type == "Group")]
    reached = _addressed(activity)
    targets = [g.id for g in in_thread if not g.local and host_of(g.uri) != host_of(author.uri) and g.uri not in reached]
    parent_author = await accounts.get(conn, parent.account_id)
    if targets and parent_author is not None:
        await outgoing.queue(conn, rt, activity=activity, signer=parent_author, to_accounts=targets)


def _addressed(activity: dict) -> set[str]:
    """Everyone an activity and its object name: to, cc, audience and Mention tags."""
    out: set[str] = set()
    for doc in (activity, activity.get("object")):
        if isinstance(doc, dict):
            for key in ("to", "cc", "bto", "bcc", "audience"):
                out.update(as_list(doc.get(key)))
            tags = doc.get("tag")
            out.update(t.get("href") for t in (tags if isinstance(tags, list) else [tags])
                       if isinstance(t, dict) and isinstance(t.get("href"), str))
    return out


async def relay_change(conn: AsyncConnection, rt: Runtime, status: Status, author: Account | None,
                       activity: dict | None) -> None:
    """The author's Update or Delete of a post this node's groups relayed, or someone's Like of it,
    announced by each group to its members (as Lemmy forwards them)."""
    if activity is None or author is None or status.reblog_of_id:
        return
    for group in await statuses.group_boosters(conn, status.id):
        if not group.local or not (relay := await statuses.find_reblog(conn, group.id, status.id)):
            continue
        await _forward(conn, rt, group, as2.announce(relay, group, status.uri, author.uri), activity, author)


async def relay_removal(conn: AsyncConnection, rt: Runtime, group: Account, moderator: Account, relay: Status,
                        post: Status, author: Account | None) -> None:
    """A moderator's removal of a post from the group, as Lemmy federates one: the moderator's
    `Delete` of the post with the reason in `summary`, announced by the group (FEP-1b12's moderation
    activities). Servers that relayed it take the post out of the group; the post itself stays its author's."""
    removal = as2.activity("Delete", rt.urls.activity(moderator.uri, new_id()), moderator.uri, post.uri,
                           to=[PUBLIC], cc=[group.uri])
    removal |= {"summary": "Removed from the group by a moderator", "audience": group.uri}
    removal = integrity.sign(removal, rt.session_secret, moderator.uri)
    addressed = as2.announce(relay, group, post.uri, author.uri if author else None)
    announce = as2.group_announce(addressed, rt.urls.activity(group.uri, new_id()), removal)
    await outgoing.queue(conn, rt, activity=announce, signer=group, followers_of=group.id,
                         to_accounts=[author.id] if author else [])
