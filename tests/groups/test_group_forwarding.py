"""Replies that reach a group only through the thread starter's server (ActivityPub's inbox
forwarding), and likes taken back, across real nodes: the group `practice` on hub.test, its members
sara on sun.test (who starts threads), tom on tee.test, gail on the hub, and two servers played by
the rig: masto.test, whose mia replies as Mastodon does (to the replied-to author's server only, no
group named), and evil.test, a member's server that forwards what it likes.
"""
from urllib.parse import urlsplit

import pytest

from federation import integrity
from models import statuses
from models.schema import inbox_items
from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people, wait_idle, with_database

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
GROUP = "http://hub.test/users/practice"
MIA_SECRET = b"mia's own key material"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    masto, evil = FakeRemote("masto.test").start(), FakeRemote("evil.test").start()
    database = create_database() if postgres_available() is None else None
    nodes = start_cluster(["hub.test", "sun.test", "tee.test"], tmp_path_factory.mktemp("forwarding"),
                          databases={"hub.test": database} if database else None,
                          also_resolve={"masto.test": masto.port, "evil.test": evil.port})
    try:
        yield {"hub": nodes["hub.test"], "sun": nodes["sun.test"], "tee": nodes["tee.test"],
               "masto": masto, "evil": evil}
    finally:
        for node in nodes.values():
            node.stop()
        masto.stop()
        evil.stop()
        if database:
            drop_database(database)


@pytest.fixture(scope="module")
def people(world):
    hub, sun, tee = world["hub"], world["sun"], world["tee"]
    assert "created group @practice@" in hub.cli("group", "create", "practice", "--title", "Practice")
    tokens = {**make_people(sun, ["sara"]), **make_people(tee, ["tom"]), **make_people(hub, ["gail"])}
    home = {"sara": sun, "tom": tee, "gail": hub}
    clients = {name: home[name].mastodon(token) for name, token in tokens.items()}
    mia, eli = world["masto"].add_actor("mia"), world["evil"].add_actor("eli")
    # mia's server signs what she sends with her Ed25519 key (FEP-8b32), as Fedify does.
    mia.extra["assertionMethod"] = [integrity.multikey(MIA_SECRET, mia.uri)]
    for name, client in clients.items():
        group = client.search("practice@hub.test", resolve=True, result_type="accounts").accounts[0]
        client.account_follow(group.id)
    for actor in (mia, eli):
        assert post_signed(hub.base, "hub.test", "/inbox", follow(actor, GROUP), actor)[0] == 202
    group = clients["gail"].account_lookup("practice")
    eventually(lambda: clients["gail"].account(group.id).followers_count == 5, message="five members")
    return {**clients, "mia": mia, "eli": eli}


def in_home(client, uri):
    return any(s.uri == uri or (s.reblog and s.reblog.uri == uri) for s in client.timeline_home(limit=40))


def stored(node, uris):
    """Which of `uris` the node has as statuses."""
    async def work(db):
        async with db.read() as conn:
            return {uri for uri in uris if await statuses.by_uri(conn, uri, with_deleted=True)}
    return with_database(node, work)


def proven(activity):
    return integrity.sign(activity, MIA_SECRET, activity["actor"])


@pytest.fixture(scope="module")
def thread(world, people):
    """sara's thread in the group, relayed to the members (sun.test knows the group relayed it)."""
    sara = people["sara"]
    post = sara.status_post("@practice@hub.test how do you run your retros?")
    eventually(lambda: in_home(people["tom"], post.uri), message="sara's thread at tom's")
    eventually(lambda: sara.status(post.id).reblogs_count == 1, message="the group's boost at sara's server")
    return post


def mastodon_reply(mia, thread, text, *, followers_only=False):
    """A reply addressed as Mastodon addresses one: the public (or only the followers) and the
    author replied to, who is mentioned; the group is named nowhere."""
    sara_uri = "http://sun.test/users/sara"
    to, cc = ([mia.uri + "/followers"], [sara_uri]) if followers_only else ([PUBLIC], [mia.uri + "/followers", sara_uri])
    return note(mia, text, inReplyTo=thread.uri, to=to, cc=cc,
                tag=[{"type": "Mention", "href": sara_uri, "name": "@sara@sun.test"}])


def test_a_mastodon_reply_sent_only_to_the_starters_server_reaches_every_member(world, people, thread):
    sun, hub, masto, mia = world["sun"], world["hub"], world["masto"], people["mia"]
    # No proof: the hub takes it from mia's server, as that server serves it.
    reply = masto.serve(mastodon_reply(mia, thread, "We run them every second Friday"))
    assert post_signed(sun.base, "sun.test", "/users/sara/inbox", create(mia, reply), mia)[0] == 202
    for name in ("tom", "gail"):
        eventually(lambda: in_home(people[name], reply["id"]), message=f"mia's reply at {name}'s")
    # With her proof, the hub believes what was forwarded: her server serves nothing it could fetch.
    signed = mastodon_reply(mia, thread, "And we write them down")
    assert post_signed(sun.base, "sun.test", "/inbox", proven(create(mia, signed)), mia)[0] == 202
    eventually(lambda: in_home(people["tom"], signed["id"]), message="mia's proven reply at tom's")
    # A followers-only reply is never forwarded: sun.test keeps it for sara.
    quiet = mastodon_reply(mia, thread, "between us: retros bore me", followers_only=True)
    assert post_signed(sun.base, "sun.test", "/inbox", proven(create(mia, quiet)), mia)[0] == 202
    wait_idle(sun)
    wait_idle(hub)
    assert stored(sun, [quiet["id"]]) and not stored(hub, [quiet["id"]])
    # No loop: the group's Announce of the reply back at sun.test is not forwarded again.
    async def forwarded_rows(db):
        async with db.read() as conn:
            rows = (await conn.execute(inbox_items.select().where(
                inbox_items.c.activity_uri.like("% forwarded by %")))).all()
        return sorted(row.activity_uri.split(" ")[0] for row in rows)
    assert with_database(hub, forwarded_rows) == sorted([reply["id"] + "/activity", signed["id"] + "/activity"])
    assert not with_database(sun, forwarded_rows)


@pytest.fixture(scope="module")
def eli_thread(world, people):
    """eli's thread in the group: evil.test may forward replies to it."""
    eli = people["eli"]
    started = world["evil"].serve(note(eli, "@practice what is your on-call rota?", cc=[GROUP],
                                       tag=[{"type": "Mention", "href": GROUP}]))
    assert post_signed(world["hub"].base, "hub.test", "/inbox", create(eli, started), eli)[0] == 202
    eventually(lambda: in_home(people["tom"], started["id"]), message="eli's thread at tom's")
    return started


def test_a_forged_forward_is_refused_and_not_stored(world, people, thread, eli_thread):
    hub, sun, masto = world["hub"], world["sun"], world["masto"]
    mia, eli, started = people["mia"], people["eli"], eli_thread

    def reply(text, **extra):
        return note(mia, text, inReplyTo=started["id"], **extra)

    # Words mia never wrote, without her proof: her server has never heard of them.
    forged = reply("mia says: send me your password")
    # mia's real followers-only reply (her proof holds), forwarded as it is, and widened to everyone.
    quiet = proven(create(mia, reply("for my followers only", to=[mia.uri + "/followers"], cc=[])))
    widened = {**quiet, "id": quiet["id"].replace("/activity", "/widened"), "to": [PUBLIC],
               "object": {**quiet["object"], "to": [PUBLIC]}}
    widened["object"]["id"] = widened["object"]["id"] + "-widened"
    for activity in (create(mia, forged), quiet, widened):
        assert post_signed(hub.base, "hub.test", "/inbox", activity, eli)[0] == 202
    # A forward of a reply in a thread eli's server does not hold is refused at the door.
    other = create(mia, note(mia, "forged reply to sara", inReplyTo=thread.uri))
    status, text = post_signed(hub.base, "hub.test", "/inbox", other, eli)
    assert status == 401 and "actor" in text
    # The forgery did not take the real activity's id: when mia really sends it, it is applied.
    real = masto.serve({**forged, "content": "<p>what mia really wrote</p>"})
    assert post_signed(hub.base, "hub.test", "/inbox", create(mia, real), mia)[0] == 202
    eventually(lambda: in_home(people["gail"], real["id"]), message="mia's real reply at gail's")
    wait_idle(hub)
    assert not stored(hub, [quiet["object"]["id"], widened["object"]["id"], other["object"]["id"]])
    shown = next(s for s in people["gail"].timeline_home(limit=40) if s.reblog and s.reblog.uri == real["id"])
    assert "really wrote" in shown.reblog.content and "password" not in shown.reblog.content
    assert not stored(sun, [other["object"]["id"]])


def test_a_like_taken_back_leaves_every_members_server(world, people, thread):
    hub, masto, mia = world["hub"], world["masto"], people["mia"]
    sara, tom = people["sara"], people["tom"]
    # As Lemmy votes: mia's like goes to the group only; the group announces it, and sara's server
    # counts it on her post because mia's proof holds.
    like = proven({"@context": integrity.DATA_INTEGRITY_CONTEXT, "id": f"{mia.uri}/likes/1", "type": "Like",
                   "actor": mia.uri, "object": thread.uri})
    assert post_signed(hub.base, "hub.test", "/inbox", like, mia)[0] == 202
    eventually(lambda: sara.status(thread.id).favourites_count == 1, message="mia's like at sara's")
    undo = proven({"@context": integrity.DATA_INTEGRITY_CONTEXT, "id": f"{mia.uri}/likes/1/undo", "type": "Undo",
                   "actor": mia.uri, "object": {k: v for k, v in like.items() if k not in ("@context", "proof")}})
    assert post_signed(hub.base, "hub.test", "/inbox", undo, mia)[0] == 202
    eventually(lambda: sara.status(thread.id).favourites_count == 0, message="mia's like taken back at sara's")
    # A member on a Backchannel node: its Undo goes to the group too, which announces it to members.
    at_tom = tom.search(thread.uri, resolve=True, result_type="statuses").statuses[0]
    tom.status_favourite(at_tom.id)
    eventually(lambda: sara.status(thread.id).favourites_count == 1, message="tom's like at sara's")
    tom.status_unfavourite(at_tom.id)

    def announced_undo():
        return [r.body for r in masto.posts_to() if r.body.get("type") == "Announce"
                and isinstance(r.body.get("object"), dict) and r.body["object"].get("type") == "Undo"
                and r.body["object"].get("actor") == "http://tee.test/users/tom"]
    found = eventually(announced_undo, message="the group's Announce{Undo{Like}} at masto.test")
    assert found[0]["actor"] == GROUP and found[0]["object"]["object"]["object"] == thread.uri
    eventually(lambda: sara.status(thread.id).favourites_count == 0, message="tom's like taken back at sara's")


def test_a_reply_its_author_deletes_leaves_the_group_and_a_forged_delete_does_nothing(world, people, thread,
                                                                                       eli_thread):
    hub, sun, masto, mia, eli = world["hub"], world["sun"], world["masto"], people["mia"], people["eli"]
    reply = masto.serve(mastodon_reply(mia, thread, "Retros: I take that back"))
    assert post_signed(sun.base, "sun.test", "/inbox", create(mia, reply), mia)[0] == 202
    kept = masto.serve(note(mia, "Our rota is weekly", inReplyTo=eli_thread["id"], cc=[GROUP]))
    assert post_signed(hub.base, "hub.test", "/inbox", create(mia, kept), mia)[0] == 202
    for uri in (reply["id"], kept["id"]):
        eventually(lambda: in_home(people["gail"], uri), message=f"{uri} at gail's")

    def delete(post, suffix):
        return {"@context": AS_CONTEXT, "id": f"{post['id']}#delete-{suffix}", "type": "Delete", "actor": mia.uri,
                "object": {"id": post["id"], "type": "Tombstone"}, "to": [PUBLIC]}
    # evil.test may forward about its own thread, but its server cannot take mia's post away while
    # her server still has it; about sara's thread it may not forward at all.
    assert post_signed(hub.base, "hub.test", "/inbox", delete(kept, "forged"), eli)[0] == 202
    assert post_signed(hub.base, "hub.test", "/inbox", delete(reply, "forged"), eli)[0] == 401
    # mia deletes her reply; Mastodon tells sara's server only, which forwards the Delete.
    del masto.objects[urlsplit(reply["id"]).path]
    assert post_signed(sun.base, "sun.test", "/inbox", delete(reply, "real"), mia)[0] == 202
    for name in ("tom", "gail"):
        eventually(lambda: not in_home(people[name], reply["id"]), message=f"the deleted reply gone at {name}'s")
    wait_idle(hub)
    assert in_home(people["gail"], kept["id"])
