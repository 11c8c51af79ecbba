"""Every fact has one set of effects, whoever does it: a local person through the Mastodon API, or a
remote account whose server sends a signed activity. And a repeated request or delivery (the same
activity again, or again under a fresh id) has one effect.

Each case: Given a scene (a local author who writes the post the fact is about, a local watcher who
follows the actor, and the actor, local or remote), When the actor does the fact through its door,
Then what the author sees (counters, notifications, relationship, poll) and the watcher's home
timeline are the fact's expected effects — one table row, the same for both doors.
"""
from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import pytest

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, RemoteActor, post_signed, raw_request
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port
from tests.rig.people import make_people, wait_idle

NODE = "acme.test"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_names = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    from tests.rig.databases import create_database, drop_database, postgres_available

    database = None
    if request.param == "postgresql":
        if reason := postgres_available():
            pytest.skip(reason)
        database = create_database()
    remote = FakeRemote("remote.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("one-path"), database=database,
                resolve={"remote.test": remote.port}).start()
    yield node, remote
    node.stop()
    remote.stop()
    if database:
        drop_database(database)


# --- The scene ----------------------------------------------------------------------------------

@dataclass
class Scene:
    node: Node
    remote: FakeRemote
    door: str  # "local" or "remote"
    tokens: dict[str, str]  # author, watcher (and the local actor)
    ids: dict[str, str]  # account ids on the node: author, watcher, actor
    rob: RemoteActor | None = None  # the remote actor
    ctx: dict = field(default_factory=dict)  # what Given made: post ids, uris, …
    sent: list[dict] = field(default_factory=list)  # the remote door's activities in When, to deliver again
    history: list[dict] = field(default_factory=list)  # all of them, for an Undo to name

    # -- calls
    def call(self, who: str, method: str, path: str, body: dict | None = None) -> dict:
        status, data = api(self.node.base, self.tokens[who], method, path, body)
        assert status == 200, (method, path, status, data)
        return data

    def send(self, activity: dict) -> None:
        """Deliver a signed activity from the remote actor to the node's shared inbox."""
        status, text = post_signed(self.node.base, NODE, "/inbox", activity, self.rob)
        assert status == 202, text
        self.sent.append(activity)
        self.history.append(activity)

    def idle(self) -> None:
        wait_idle(self.node)

    # -- things the scene needs
    @property
    def actor_name(self) -> str:
        return next(name for name in self.tokens if name not in ("author", "watcher"))

    def status_uri(self, status_id: str) -> str:
        return self.call("author", "GET", f"/api/v1/statuses/{status_id}")["uri"]

    def status_id(self, uri: str) -> str:
        found = eventually(lambda: self.call("author", "GET", f"/api/v2/search?resolve=true&type=statuses"
                                                              f"&q={quote(uri, safe='')}")["statuses"],
                           message=f"{uri} is known")
        return found[0]["id"]

    def author_post(self, text: str, **fields) -> dict:  # noqa: ANN003
        return self.call("author", "POST", "/api/v1/statuses", {"status": text, **fields})


def _remote_account_id(scene: Scene) -> str:
    found = scene.call("author", "GET", f"/api/v2/search?resolve=true&type=accounts&q=%40{scene.rob.username}%40remote.test")
    return found["accounts"][0]["id"]


def _accept_remote_follow(scene: Scene, follower: str) -> None:
    """The remote actor's server accepts the Follow the node sent it for `follower`."""
    follower_uri = f"http://{NODE}/users/{scene.ctx['names'][follower]}"
    follow = eventually(lambda: next((r.body for r in scene.remote.received
                                      if r.body.get("type") == "Follow" and r.body.get("actor") == follower_uri
                                      and r.body.get("object") == scene.rob.uri), None),
                        message="the Follow reaches the remote server")
    scene.send(activity(scene.rob, "Accept", follow))
    scene.idle()


def new_scene(world, door: str, *, locked_actor: bool = False) -> Scene:  # noqa: ANN001
    node, remote = world
    n = next(_names)
    names = {"author": f"author{n}", "watcher": f"watcher{n}", "actor": f"bob{n}"}
    made = make_people(node, list(names.values()), locked=(names["actor"],) if locked_actor else ())
    tokens = {"author": made[names["author"]], "watcher": made[names["watcher"]]}
    if door == "local":
        tokens[names["actor"]] = made[names["actor"]]
    scene = Scene(node, remote, door, tokens, {}, ctx={"names": names})
    for who in ("author", "watcher"):
        scene.ids[who] = scene.call(who, "GET", "/api/v1/accounts/verify_credentials")["id"]
    if door == "local":
        scene.ids["actor"] = scene.call(names["actor"], "GET", "/api/v1/accounts/verify_credentials")["id"]
        scene.call("watcher", "POST", f"/api/v1/accounts/{scene.ids['actor']}/follow")
    else:
        scene.rob = remote.add_actor(f"rob{n}")
        scene.ids["actor"] = _remote_account_id(scene)
        scene.call("watcher", "POST", f"/api/v1/accounts/{scene.ids['actor']}/follow")
        _accept_remote_follow(scene, "watcher")
    return scene


# --- ActivityStreams the remote door sends --------------------------------------------------------

def activity(actor: RemoteActor, kind: str, obj, **extra) -> dict:  # noqa: ANN001, ANN003
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}/activities/{uuid.uuid4().hex}", "type": kind,
            "actor": actor.uri, "object": obj, **extra}


def note(scene: Scene, text: str, **extra) -> dict:  # noqa: ANN003
    rob = scene.rob
    return {"id": f"{rob.uri}/statuses/{uuid.uuid4().hex}", "type": "Note", "attributedTo": rob.uri,
            "content": f"<p>{text}</p>", "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "to": [PUBLIC], "cc": [rob.uri + "/followers"], **extra}


def undo(scene: Scene, kind: str) -> dict:
    """Undo of the scene's earlier activity of `kind`."""
    done = next(a for a in reversed(scene.history) if a["type"] == kind)
    return activity(scene.rob, "Undo", {k: v for k, v in done.items() if k != "@context"})


# --- Given / When for each fact, through each door ------------------------------------------------

def actor_posts(scene: Scene, text: str, **fields) -> str:  # noqa: ANN003
    """The actor posts (in the Given of a fact); returns the status id on the node."""
    if scene.door == "local":
        return scene.call(scene.actor_name, "POST", "/api/v1/statuses", {"status": text, **fields})["id"]
    extra = {}
    if "in_reply_to_id" in fields:
        extra = {"inReplyTo": scene.status_uri(fields["in_reply_to_id"]),
                 "tag": [{"type": "Mention", "href": f"http://{NODE}/users/{scene.ctx['names']['author']}"}]}
    doc = note(scene, text, **extra)
    scene.send(activity(scene.rob, "Create", doc))
    scene.idle()
    return scene.status_id(doc["id"])


def given_author_post(scene: Scene) -> None:
    scene.ctx["post"] = scene.author_post("the author's post")["id"]


def given_reply(scene: Scene) -> None:
    given_author_post(scene)
    author = scene.ctx["names"]["author"]
    scene.ctx["reply"] = actor_posts(scene, f"@{author} a reply", in_reply_to_id=scene.ctx["post"])


def given_boosted_post(scene: Scene) -> None:
    """The actor's post, which the author boosted (so the author hears of its edits)."""
    scene.ctx["post"] = actor_posts(scene, "the actor's post")
    scene.call("author", "POST", f"/api/v1/statuses/{scene.ctx['post']}/reblog")


def given_actor_follows_author(scene: Scene) -> None:
    when_follow(scene)
    scene.idle()


def given_author_asks_to_follow(scene: Scene) -> None:
    scene.call("author", "POST", f"/api/v1/accounts/{scene.ids['actor']}/follow")
    scene.idle()


def given_poll(scene: Scene) -> None:
    posted = scene.author_post("A or B?", poll={"options": ["A", "B"], "expires_in": 3600})
    scene.ctx["post"], scene.ctx["poll"] = posted["id"], posted["poll"]["id"]


def when_reply(scene: Scene) -> None:
    author = scene.ctx["names"]["author"]
    if scene.door == "local":
        # With an Idempotency-Key, as clients send it; doing it again sends the same key.
        scene.ctx.setdefault("key", uuid.uuid4().hex)
        status, text = raw_request(scene.node.base + "/api/v1/statuses", "POST", {
            "Authorization": f"Bearer {scene.tokens[scene.actor_name]}", "Content-Type": "application/json",
            "Idempotency-Key": scene.ctx["key"]},
            json.dumps({"status": f"@{author} hello", "in_reply_to_id": scene.ctx["post"]}).encode())
        assert status == 200, text
        return
    author_uri = f"http://{NODE}/users/{author}"
    scene.send(activity(scene.rob, "Create", note(scene, f"@{author} hello", inReplyTo=scene.status_uri(
        scene.ctx["post"]), tag=[{"type": "Mention", "href": author_uri}], cc=[author_uri])))


def when_edit(scene: Scene) -> None:
    if scene.door == "local":
        scene.call(scene.actor_name, "PUT", f"/api/v1/statuses/{scene.ctx['post']}", {"status": "edited words"})
        return
    uri = scene.status_uri(scene.ctx["post"])
    doc = note(scene, "edited words", updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())) | {"id": uri}
    scene.send(activity(scene.rob, "Update", doc))


def when_delete(scene: Scene) -> None:
    if scene.door == "local":
        api(scene.node.base, scene.tokens[scene.actor_name], "DELETE", f"/api/v1/statuses/{scene.ctx['reply']}")
        return
    scene.send(activity(scene.rob, "Delete", {"id": scene.ctx["reply_uri"], "type": "Tombstone"}))


def given_reply_to_delete(scene: Scene) -> None:
    given_reply(scene)
    scene.ctx["reply_uri"] = scene.status_uri(scene.ctx["reply"])


def _acts(on: str, action: str, remote: Callable[[Scene], dict]) -> Callable[[Scene], None]:
    """POST /api/v1/statuses/<post>/<action> (on "post") or /api/v1/accounts/<author>/<action> (on
    "author") through the local door; the activity `remote(scene)` through the other."""
    def when(scene: Scene) -> None:
        if scene.door == "local":
            target = f"statuses/{scene.ctx['post']}" if on == "post" else f"accounts/{scene.ids['author']}"
            api(scene.node.base, scene.tokens[scene.actor_name], "POST", f"/api/v1/{target}/{action}")
        else:
            scene.send(remote(scene))
    return when


def _of_post(kind: str, **extra) -> Callable[[Scene], dict]:  # noqa: ANN003
    return lambda scene: activity(scene.rob, kind, scene.status_uri(scene.ctx["post"]), **extra)


def _undo(kind: str) -> Callable[[Scene], dict]:
    return lambda scene: undo(scene, kind)


def _given_done(when: Callable[[Scene], None]) -> Callable[[Scene], None]:
    def given(scene: Scene) -> None:
        given_author_post(scene)
        when(scene)
        scene.idle()
    return given


def _of_author(kind: str) -> Callable[[Scene], dict]:
    return lambda scene: activity(scene.rob, kind, f"http://{NODE}/users/{scene.ctx['names']['author']}")


when_follow = _acts("author", "follow", _of_author("Follow"))
when_unfollow = _acts("author", "unfollow", _undo("Follow"))
when_block = _acts("author", "block", _of_author("Block"))
when_unblock = _acts("author", "unblock", _undo("Block"))


def _answer(action: str, kind: str) -> Callable[[Scene], None]:
    """The actor accepts or rejects the author's follow request."""
    def when(scene: Scene) -> None:
        if scene.door == "local":
            api(scene.node.base, scene.tokens[scene.actor_name], "POST",
                f"/api/v1/follow_requests/{scene.ids['author']}/{action}")
            return
        author_uri = f"http://{NODE}/users/{scene.ctx['names']['author']}"
        follow = eventually(lambda: next((r.body for r in scene.remote.received
                                          if r.body.get("type") == "Follow" and r.body.get("actor") == author_uri),
                                         None), message="the author's Follow reaches the remote server")
        scene.send(activity(scene.rob, kind, {k: v for k, v in follow.items() if k != "@context"}))
    return when


def given_blocked(scene: Scene) -> None:
    when_block(scene)
    scene.idle()


def when_vote(scene: Scene) -> None:
    if scene.door == "local":
        api(scene.node.base, scene.tokens[scene.actor_name], "POST", f"/api/v1/polls/{scene.ctx['poll']}/votes",
            {"choices": [1]})
        return
    author_uri = f"http://{NODE}/users/{scene.ctx['names']['author']}"
    vote = {"id": f"{scene.rob.uri}/votes/{uuid.uuid4().hex}", "type": "Note", "name": "B",
            "attributedTo": scene.rob.uri, "inReplyTo": scene.status_uri(scene.ctx["post"]), "to": [author_uri]}
    scene.send(activity(scene.rob, "Create", vote, to=[author_uri]))


def when_rename(scene: Scene) -> None:
    if scene.door == "local":
        scene.call(scene.actor_name, "PATCH", "/api/v1/accounts/update_credentials", {"display_name": "Renamed"})
        return
    scene.rob.extra["name"] = "Renamed"
    profile = {k: v for k, v in scene.rob.document().items() if k != "@context"}
    scene.send(activity(scene.rob, "Update", profile))


# --- What the author and the watcher see ----------------------------------------------------------

def observe(scene: Scene) -> dict:
    actor = scene.call("author", "GET", f"/api/v1/accounts/{scene.ids['actor']}")
    author = scene.call("author", "GET", f"/api/v1/accounts/{scene.ids['author']}")
    seen = {
        "actor": {k: actor[k] for k in ("statuses_count", "followers_count", "following_count")},
        "author": {k: author[k] for k in ("followers_count", "following_count")},
        "notified": sorted(n["type"] for n in scene.call("author", "GET", "/api/v1/notifications?limit=80")
                           if n["account"]["id"] == scene.ids["actor"]),
        "home": sorted("boost" if s["reblog"] else "post"
                       for s in scene.call("watcher", "GET", "/api/v1/timelines/home?limit=40")
                       if s["account"]["id"] == scene.ids["actor"]),
        "name": actor["display_name"],
    }
    relationship = scene.call("author", "GET", f"/api/v1/accounts/relationships?id[]={scene.ids['actor']}")[0]
    seen["relationship"] = {k: relationship[k] for k in ("following", "requested", "followed_by", "blocked_by")}
    if "post" in scene.ctx:
        post = scene.call("author", "GET", f"/api/v1/statuses/{scene.ctx['post']}")
        seen["post"] = {k: post[k] for k in ("replies_count", "reblogs_count", "favourites_count")}
        seen["post"]["text"] = post["content"]
        if post["poll"]:
            seen["post"]["votes"] = [o["votes_count"] for o in post["poll"]["options"]]
    return seen


def changes(before: dict, after: dict) -> dict:
    """Counters as differences, everything else as it is now; unchanged values left out."""
    out = {}
    for key, now in after.items():
        was = before.get(key)
        if isinstance(now, dict):
            diff = {k: (v - was[k] if isinstance(v, int) and not isinstance(v, bool) and k.endswith("_count")
                        else v) for k, v in now.items() if was is None or v != was.get(k)}
            if diff:
                out[key] = diff
        elif now != was:
            out[key] = now
    return out


# --- The table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    name: str
    given: Callable[[Scene], None]
    when: Callable[[Scene], None]
    then: dict  # changes(before, after), the same through both doors
    locked_actor: bool = False


ANNOUNCE = _of_post("Announce", to=[PUBLIC])
FOLLOWS = {"author": {"followers_count": 1}, "actor": {"following_count": 1},
           "relationship": {"followed_by": True}}
UNFOLLOWS = {"author": {"followers_count": -1}, "actor": {"following_count": -1},
             "relationship": {"followed_by": False}}

FACTS = [
    Fact("create", given_author_post, when_reply,
         {"post": {"replies_count": 1}, "actor": {"statuses_count": 1}, "notified": ["mention"], "home": ["post"]}),
    Fact("edit", given_boosted_post, when_edit,
         {"post": {"text": "<p>edited words</p>"}, "notified": ["update"]}),
    Fact("delete", given_reply_to_delete, when_delete,
         {"post": {"replies_count": -1}, "actor": {"statuses_count": -1}, "notified": [], "home": []}),
    Fact("like", given_author_post, _acts("post", "favourite", _of_post("Like")),
         {"post": {"favourites_count": 1}, "notified": ["favourite"]}),
    Fact("unlike", _given_done(_acts("post", "favourite", _of_post("Like"))), _acts("post", "unfavourite", _undo("Like")),
         {"post": {"favourites_count": -1}, "notified": []}),
    Fact("boost", given_author_post, _acts("post", "reblog", ANNOUNCE),
         {"post": {"reblogs_count": 1}, "actor": {"statuses_count": 1}, "notified": ["reblog"], "home": ["boost"]}),
    Fact("unboost", _given_done(_acts("post", "reblog", ANNOUNCE)), _acts("post", "unreblog", _undo("Announce")),
         {"post": {"reblogs_count": -1}, "actor": {"statuses_count": -1}, "notified": [], "home": []}),
    Fact("follow", lambda scene: None, when_follow, FOLLOWS | {"notified": ["follow"]}),
    Fact("accept", given_author_asks_to_follow, _answer("authorize", "Accept"),
         {"author": {"following_count": 1}, "actor": {"followers_count": 1},
          "relationship": {"following": True, "requested": False}}, locked_actor=True),
    Fact("reject", given_author_asks_to_follow, _answer("reject", "Reject"),
         {"relationship": {"requested": False}}, locked_actor=True),
    Fact("unfollow", given_actor_follows_author, when_unfollow, UNFOLLOWS),
    Fact("block", given_actor_follows_author, when_block, UNFOLLOWS | {"relationship": {
        "followed_by": False, "blocked_by": True}}),
    Fact("unblock", given_blocked, when_unblock, {"relationship": {"blocked_by": False}}),
    Fact("vote", given_poll, when_vote, {"post": {"votes": [0, 1]}}),
    Fact("profile", lambda scene: None, when_rename, {"name": "Renamed"}),
]


@pytest.mark.parametrize("door", ["local", "remote"])
@pytest.mark.parametrize("fact", FACTS, ids=[f.name for f in FACTS])
def test_a_fact_has_the_same_effects_through_either_door(world, fact, door):
    # Given
    scene = new_scene(world, door, locked_actor=fact.locked_actor)
    fact.given(scene)
    scene.idle()
    before = observe(scene)
    scene.sent.clear()

    # When
    fact.when(scene)
    scene.idle()

    # Then
    assert changes(before, observe(scene)) == fact.then

    # And again — the same request, or the same activity delivered again and under a fresh id —
    # changes nothing more.
    if door == "local":
        fact.when(scene)
    else:
        for sent in list(scene.sent):
            scene.send(sent)
            scene.send(sent | {"id": f"{sent['id']}/again"})
    scene.idle()
    assert changes(before, observe(scene)) == fact.then
