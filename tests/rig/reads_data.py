"""Realistic data for measuring reads (tests/api/test_round_trips.py and bench/run.py --reads).

A reader who follows two local people and one remote one; every round adds a local post with a poll,
a reply that mentions the reader, a followers-only post, a remote post with an image, a hashtag and a
mention of the reader, a remote post by someone the reader does not follow, and a boost of the remote
post. The reader favourites and bookmarks some, and is favourited back (notifications of every
kind). Everything is written through the node's own use cases, inside a running Runtime.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from federation import as2, deref
from federation.runtime import Runtime
from models import accounts, oauth, social as social_store
from social import collections, interactions, lists, remote, statuses
from social.polls import PollRequest

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
REMOTE_HOST = "remote.test"


@dataclass
class Scene:
    reader_id: int
    token: str
    alice_id: int  # a local author the reader follows (posts, polls, boosts)
    sample_status_id: int  # a remote post with an image, a tag, a mention, boosted and replied to
    thread_id: int = 0  # a post with a reply per round, each answering the one before
    list_id: int = 0  # the reader's list of alice and carol
    people_ids: tuple[int, ...] = ()  # alice, bob, carol and dave
    stream_token: str = ""  # the reader's second token: with `token`, her session on the web (pages.session)


async def _local(rt: Runtime, username: str, key: tuple[str, str], *, with_token: bool = False):  # noqa: ANN202
    private_pem, public_pem = key
    async with rt.db.write() as conn:
        account = await accounts.create_local(
            conn, username=username, uris=rt.urls.account_columns(username), private_key_pem=private_pem,
            public_key_pem=public_pem, display_name=username.title())
        user = await accounts.create_user(conn, account_id=account.id, email=f"{username}@example.com",
                                          password="correct horse battery staple")
        tokens = (await oauth.create_token(conn, user_id=user.id, app_id=None, scopes="read write follow"),
                  await oauth.create_token(conn, user_id=user.id, app_id=None, scopes="read:statuses read:notifications")
                  ) if with_token else ("", "")
    return account, tokens


async def _remote_actor(rt: Runtime, username: str):  # noqa: ANN202
    uri = f"https://{REMOTE_HOST}/users/{username}"
    return await deref.store_actor(rt, as2.actor_values({
        "id": uri, "type": "Person", "preferredUsername": username, "name": username.title(),
        "inbox": uri + "/inbox", "followers": uri + "/followers", "url": f"https://{REMOTE_HOST}/@{username}",
        "icon": {"type": "Image", "url": f"https://{REMOTE_HOST}/avatars/{username}.png"}}))


def _remote_note(author, n: int, reader) -> dict:  # noqa: ANN001
    # To the millisecond: a remote post's id is of its `published` time, and a page of the newest must
    # hold remote posts however fast the rounds are seeded.
    published = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"id": f"{author.uri}/statuses/{n}", "type": "Note", "attributedTo": author.uri,
            "content": f"<p>remote {n} #reads @reader</p>", "published": published,
            "to": [PUBLIC], "cc": [author.followers_url, reader.uri],
            "tag": [{"type": "Hashtag", "name": "#reads"}, {"type": "Mention", "href": reader.uri}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "name": "a picture",
                            "url": f"https://{REMOTE_HOST}/media/{n}.png", "width": 640, "height": 480}]}


async def seed(rt: Runtime, key: tuple[str, str], *, rounds: int = 14) -> Scene:
    """About 8 statuses and 4 notifications per round; 14 rounds fill pages of 40 everywhere."""
    reader, (token, stream_token) = await _local(rt, "reader", key, with_token=True)
    alice, _ = await _local(rt, "alice", key)
    bob, _ = await _local(rt, "bob", key)
    carol = await _remote_actor(rt, "carol")  # followed
    dave = await _remote_actor(rt, "dave")  # not followed: public timeline only
    async with rt.db.write() as conn:
        for target in (alice, bob, carol):
            await social_store.add_follow(conn, reader.id, target.id, uri=None, state="accepted")
        await social_store.add_follow(conn, alice.id, reader.id, uri=None, state="accepted")
    members = await lists.create(rt, reader, title="people", replies_policy="list", exclusive=False)
    await lists.add_accounts(rt, reader, members.id, [alice.id, carol.id])
    sample = thread = last = None
    for n in range(rounds):
        # First, so that the newest posts of every timeline stay those below (quotes, boosts…)
        note = await statuses.post_status(rt, bob, text=f"@reader just us {n}", visibility="direct")
        await statuses.post_status(rt, reader, text=f"@bob yes {n}", visibility="direct", in_reply_to_id=note.id)
        if thread is not None:
            last = await statuses.post_status(rt, reader, text=f"and then {n}", in_reply_to_id=(last or thread).id)
        poll = PollRequest(options=["yes", "no"], expires_in=86400)
        asked = await statuses.post_status(rt, alice, text=f"round {n}: yes or no? #reads", poll=poll)
        await statuses.post_status(rt, bob, text=f"@reader @alice a reply {n}", in_reply_to_id=asked.id)
        await statuses.post_status(rt, alice, text=f"followers only {n}", visibility="private")
        plain = await statuses.post_status(rt, alice, text=f"plain {n}")
        # Quote posts: a page shows the posts they quote, read with the page (api.entities.statuses)
        mine = await statuses.post_status(rt, reader, text=f"my own post {n}", quoted_status_id=plain.id)
        followed = await remote.store_note(rt, _remote_note(carol, n, reader), carol)
        await remote.store_note(rt, _remote_note(dave, n, reader), dave)
        await interactions.reblog(rt, alice, followed.id)
        await interactions.favourite(rt, alice, mine.id)
        await interactions.favourite(rt, reader, asked.id)
        await collections.bookmark(rt, reader, followed.id)
        sample, thread = sample or followed, thread or asked
    return Scene(reader_id=reader.id, token=token, alice_id=alice.id, sample_status_id=sample.id,
                 thread_id=thread.id, list_id=members.id, stream_token=stream_token,
                 people_ids=(alice.id, bob.id, carol.id, dave.id))
