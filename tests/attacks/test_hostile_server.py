"""A hostile server attacks a running node through what it serves and what it sends."""
import json
import time

import pytest

from tests.attacks.hostile import send, stored
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, note, post_signed, raw_request
from tests.rig.nodes import Node, free_port

NODE = "acme.test"


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil = FakeRemote("evil.test").start()
    victim = FakeRemote("victim.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port, "victim.test": victim.port}).start()
    node.create_user("alice")
    yield node, evil, victim
    node.stop()
    evil.stop()
    victim.stop()


def announce(actor, object_url, n):
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}/announces/{n}", "type": "Announce", "actor": actor.uri,
            "object": object_url, "to": ["https://www.w3.org/ns/activitystreams#Public"]}


def test_a_fetched_document_claiming_another_hosts_id_is_refused(arena):
    node, evil, victim = arena
    mallory = evil.add_actor("mallory1")
    author = victim.add_actor("author1")
    forged = note(author, "forged words", suffix="forged")  # id and author on victim.test …
    evil.raw["/objects/1"] = (200, {"Content-Type": "application/activity+json"}, json.dumps(forged).encode())
    send(node, mallory, announce(mallory, f"{evil.base}/objects/1", 1))  # … served by evil.test
    assert not stored(node, forged["id"])


def test_only_activitypub_media_types_are_accepted(arena):
    node, evil, _ = arena
    mallory = evil.add_actor("mallory2")
    doc = note(mallory, "served as html", suffix="html")
    evil.raw["/users/mallory2/statuses/html"] = (200, {"Content-Type": "text/html"}, json.dumps(doc).encode())
    send(node, mallory, announce(mallory, doc["id"], 2))
    assert not stored(node, doc["id"])


def test_redirect_chains_are_cut_short(arena):
    node, evil, _ = arena
    mallory = evil.add_actor("mallory3")
    for hop in range(6):
        evil.raw[f"/hop/{hop}"] = (302, {"Location": f"{evil.base}/hop/{hop + 1}"}, b"")
    final = note(mallory, "at the end of the chain", suffix="chain")
    evil.raw["/hop/6"] = (200, {"Content-Type": "application/activity+json"}, json.dumps(final).encode())
    evil.fetched.clear()
    send(node, mallory, announce(mallory, f"{evil.base}/hop/0", 3))
    assert not stored(node, final["id"])
    assert len([p for p in evil.fetched if p.startswith("/hop/")]) <= 4  # the first request and 3 redirects


def test_a_note_attributed_to_someone_on_another_host_is_dropped(arena):
    node, evil, victim = arena
    mallory = evil.add_actor("mallory4")
    author = victim.add_actor("author4")
    impersonation = note(mallory, "words put in someone's mouth", suffix="imp") | {"attributedTo": author.uri}
    send(node, mallory, create(mallory, impersonation))
    assert not stored(node, impersonation["id"])


def test_delete_of_an_unknown_actor_is_accepted_without_fetching(arena):
    node, evil, _ = arena
    evil.fetched.clear()
    ghost = f"{evil.base}/users/ghost"
    body = json.dumps({"@context": AS_CONTEXT, "id": ghost + "#delete", "type": "Delete", "actor": ghost,
                       "object": ghost}).encode()
    status, _ = raw_request(node.base + "/inbox", "POST", {"Content-Type": "application/activity+json"}, body)
    assert status == 202
    time.sleep(0.5)
    assert evil.fetched == []


def test_a_refused_activity_does_not_block_the_real_one(arena):
    """Deduplication is recorded only after authentication: a forgery sent first with a real
    activity's id does not make the node drop the real one as a duplicate."""
    node, evil, _ = arena
    writer = evil.add_actor("writer5")
    real = create(writer, note(writer, "the real post", suffix="real5"))
    status, _ = post_signed(node.base, NODE, "/inbox", real, writer,
                            tamper=lambda h, b: (h, b.replace(b"the real post", b"a forgery")))
    assert status == 401
    send(node, writer, real)
    assert stored(node, real["object"]["id"])


def test_one_activity_costs_at_most_a_few_fetches(arena):
    node, evil, victim = arena
    booster = evil.add_actor("booster6")
    author = victim.add_actor("author6")
    original = victim.serve(note(author, "boosted from afar", suffix="six"))
    evil.fetched.clear()
    victim.fetched.clear()
    send(node, booster, announce(booster, original["id"], 6))
    assert stored(node, original["id"])
    assert len(evil.fetched) + len(victim.fetched) <= 3  # the booster's key is cached; the object, its author
