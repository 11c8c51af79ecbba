"""An activity id is recorded for deduplication only after its origin is checked.

A hostile server sends junk carrying the id another server will use for a real activity (the
victim's Delete of a post, `<post>#delete`). If the node recorded that id, the real Delete would
later be dropped as a duplicate and the post would live on. The id must be on the sender's own
origin before anything is stored, so no server can reserve another's ids.
"""
import time

import pytest

from tests.attacks.hostile import deliver, query, send, stored
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, note
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil, victim = FakeRemote("evil.test").start(), FakeRemote("victim.test").start()
    resolve = {"evil.test": evil.port, "a.evil.test": evil.port, "evil.test.": evil.port,
               "victim.test": victim.port}
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"), resolve=resolve).start()
    yield node, evil, victim
    node.stop()
    evil.stop()
    victim.stop()


def junk(kind: str, activity_id: str, actor, target: str) -> dict:  # noqa: ANN001
    """Something of `kind` from `actor`, carrying someone else's activity id."""
    obj = note(actor, "junk") if kind == "Create" else target
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor.uri, "object": obj,
            "to": [PUBLIC]}


# (what the junk is, how the victim's real Delete names itself, how the attacker spells its origin)
ATTEMPTS = [
    ("Delete", "{post}#delete", "http://evil.test"),
    ("Like", "{post}#delete", "http://evil.test:80"),
    ("Create", "{post}#delete", "http://a.evil.test"),
    ("Undo", "{post}/undo", "http://EVIL.test."),
    ("Announce", "{actor}/deletes/{n}", "http://evil.test:8443"),
    ("Delete", "{actor}#delete-{n}", "http://evil.test"),
]


@pytest.mark.parametrize("kind,real_id,spelling", ATTEMPTS)
def test_junk_cannot_reserve_another_servers_activity_id(arena, kind, real_id, spelling):
    node, evil, victim = arena
    # Given the victim's post, stored here,
    author = victim.add_actor(f"a{time.time_ns()}")
    post = note(author, "soon to be deleted")
    send(node, author, create(author, post))
    assert stored(node, post["id"])
    # when evil.test (spelled `spelling`) sends junk with the id of the victim's coming Delete,
    delete_id = real_id.format(post=post["id"], actor=author.uri, n=time.time_ns())
    mallory = evil.add_actor(f"m{time.time_ns()}", spelling=spelling)
    status, text = deliver(node, mallory, junk(kind, delete_id, mallory, post["id"]))
    # Then the junk is refused and nothing is recorded under that id;
    assert status == 400, (status, text)
    assert query(node, "SELECT actor_uri FROM inbox_items WHERE activity_uri = ?", delete_id) == []
    # and the victim's real Delete is applied: the post is gone.
    delete = {"@context": AS_CONTEXT, "id": delete_id, "type": "Delete", "actor": author.uri,
              "object": {"id": post["id"], "type": "Tombstone"}, "to": [PUBLIC]}
    assert send(node, author, delete) == "done"
    eventually(lambda: query(node, "SELECT deleted_at IS NOT NULL FROM statuses WHERE uri = ?", post["id"])
               == [(1,)], message="the post deleted")


def test_a_refused_id_is_not_recorded_for_its_own_origin_either(arena):
    """The junk never reaches the queue, so the victim's own activity under that id goes through even
    when the attacker sends the junk again right after."""
    node, evil, victim = arena
    author = victim.add_actor(f"a{time.time_ns()}")
    mallory = evil.add_actor(f"m{time.time_ns()}")
    post = note(author, "twice attacked")
    send(node, author, create(author, post))
    delete_id = post["id"] + "#delete"
    for _ in range(3):
        assert deliver(node, mallory, junk("Delete", delete_id, mallory, post["id"]))[0] == 400
    delete = {"@context": AS_CONTEXT, "id": delete_id, "type": "Delete", "actor": author.uri,
              "object": post["id"], "to": [PUBLIC]}
    assert send(node, author, delete) == "done"
    assert query(node, "SELECT actor_uri FROM inbox_items WHERE activity_uri = ?", delete_id) == [(author.uri,)]
