"""Plain posts from many senders are applied together (inbox.worker.apply_together, one transaction
for the lot): each lands once, in its followers' home timelines, with its hashtag and its author's
count; what cannot be batched (a mention, a forged post) is applied alone, an actor's Delete never
overtakes its Create, and nothing accepted is lost."""
import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backchannel.config import database_url
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, note, post_signed
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"


def send(node, actor, activity, path="/inbox"):
    status, text = post_signed(node.base, NODE, path, activity, actor)
    assert status == 202, text


def query(node, sql, **params):
    """Rows of one statement on the node's database, SQLite or PostgreSQL."""
    async def run():
        engine = create_async_engine(database_url(node.database or "", str(node.data)))
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).all()
        finally:
            await engine.dispose()
    return asyncio.run(run())


def restart(node, *, workers):
    node.stop()
    node.extra_env["BACKCHANNEL_WORKERS"] = "true" if workers else "false"
    node.start()


def test_posts_applied_together_each_have_their_effects(tmp_path, database_factory):
    remote = FakeRemote("remote.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path / "acme", resolve={"remote.test": remote.port},
                database=database_factory()).start()
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        writers = [remote.add_actor(f"w{i}") for i in range(6)]
        ids = {}
        for writer in writers:
            ids[writer.username] = alice.account_search(f"{writer.username}@remote.test", resolve=True)[0].id
            alice.account_follow(ids[writer.username])
        follows = eventually(lambda: [r.body for r in remote.received if r.body.get("type") == "Follow"]
                             if sum(r.body.get("type") == "Follow" for r in remote.received) == 6 else None,
                             message="alice's six Follows arrive")
        for body in follows:
            writer = remote.actors[body["object"].rsplit("/", 1)[1]]
            send(node, writer, {"@context": AS_CONTEXT, "id": f"{writer.uri}/accepts/1", "type": "Accept",
                                "actor": writer.uri, "object": body})
        eventually(lambda: all(r.following for r in alice.account_relationships(list(ids.values()))),
                   message="alice follows the six writers")

        # Given a queue of activities from six actors, accepted while no worker runs
        restart(node, workers=False)
        tag = [{"type": "Hashtag", "name": "#batched", "href": f"http://{NODE}/tags/batched"}]
        posts = [note(w, f"plain post by {w.username} #batched", tag=tag) for w in writers]
        for writer, post in zip(writers, posts):
            send(node, writer, create(writer, post))
        again = {**create(writers[0], posts[0]), "id": posts[0]["id"] + "/again"}  # the same post, twice
        send(node, writers[0], again)
        mention = note(writers[1], "hello @alice", tag=[{"type": "Mention", "href": f"http://{NODE}/users/alice"}])
        send(node, writers[1], create(writers[1], mention))
        forged = note(writers[2], "not mine", attributedTo=writers[3].uri)
        send(node, writers[2], create(writers[2], forged))
        send(node, writers[3], {"@context": AS_CONTEXT, "id": f"{writers[3].uri}/deletes/1", "type": "Delete",
                                "actor": writers[3].uri, "object": posts[3]["id"]})

        # When the workers start and claim them all at once
        restart(node, workers=True)

        # Then every post is in alice's home timeline once (the deleted one gone), with its hashtag
        expected = {p["id"] for i, p in enumerate(posts) if i != 3} | {mention["id"]}

        def home_uris():
            return [s.uri for s in alice.timeline_home(limit=40)]
        eventually(lambda: set(home_uris()) == expected, message="the posts reach alice's home timeline")
        assert sorted(home_uris()) == sorted(expected)
        assert {s.uri for s in alice.timeline_hashtag("batched", limit=40)} == expected - {mention["id"]}
        assert [n.status.uri for n in alice.notifications(types=["mention"])] == [mention["id"]]
        assert alice.account(ids["w0"]).statuses_count == 1
        states = dict(query(node, "SELECT state, count(*) FROM inbox_items GROUP BY state"))
        forged_state = query(node, "SELECT state FROM inbox_items WHERE activity_uri = :uri",
                             uri=forged["id"] + "/activity")
        assert query(node, "SELECT count(*) FROM statuses WHERE uri = :uri", uri=forged["id"]) == [(0,)]
        assert "pending" not in states
        assert [tuple(row) for row in forged_state] == [("failed",)]
    finally:
        node.stop()
        remote.stop()
