"""Groups (FEP-1b12) in the inbox: a Follow of one of this node's groups is a join (its join policy
decides), and a remote group's Announce of a Create (Lemmy's form) relays the post it carries."""
from __future__ import annotations

from federation.runtime import Runtime
from federation.addressing import visibility_of
from federation.as2 import object_id
from inbox.handlers.common import local_account, status_by_uri_or_fetched
from models.accounts import Account
from social import groups, interactions


async def on_join(rt: Runtime, activity: dict, actor: Account) -> None:
    group = await local_account(rt, object_id(activity.get("object")))
    if group is not None:
        await groups.join(rt, actor, group.id, uri=object_id(activity))


async def on_announce_create(rt: Runtime, activity: dict, actor: Account) -> None:
    """Announce{Create{Note}}: the group vouches for the Create, but the post itself is taken from
    its own origin (or from here, when known), never from the group's copy."""
    create = activity.get("object")
    post_id = object_id(create.get("object")) if isinstance(create, dict) else None
    if not post_id or not object_id(activity):
        return
    original = await status_by_uri_or_fetched(rt, post_id)
    if original is not None:
        await interactions.reblog(rt, actor, original.id, visibility_of(activity, followers_url=actor.followers_url),
                                  activity_uri=object_id(activity))
