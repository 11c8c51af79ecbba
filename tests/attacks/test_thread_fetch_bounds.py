"""A hostile server's reply chains: fetching a reply's missing ancestors stops where it must.

evil.test serves ancestor chains that loop and that run a thousand posts deep; blocked.test is a
domain the node has blocked. The node reads its own database to see what it queued and stored.
"""
import urllib.request

import pytest

from tests.attacks.hostile import query, send, stored
from tests.rig.fake_remote import FakeRemote, create, note
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
MAX_ANCESTOR_DEPTH = 40  # social.statuses.MAX_ANCESTOR_DEPTH


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil = FakeRemote("evil.test").start()
    blocked = FakeRemote("blocked.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port, "blocked.test": blocked.port}).start()
    node.cli("domain", "block", "blocked.test")
    yield node, evil, blocked
    node.stop()
    evil.stop()
    blocked.stop()


def _settled(node: Node) -> bool:
    """Every ancestor fetch queued so far has been handled (done or given up)."""
    return query(node, "SELECT count(*) FROM thread_fetches WHERE kind = 'ancestor' AND state = 'pending'")[0][0] == 0


def _fetches_of(server: FakeRemote, prefix: str) -> int:
    return sum(1 for path in server.fetched if path.startswith(prefix))


def test_an_ancestor_chain_that_loops_is_fetched_once_round(arena):
    node, evil, _ = arena
    mallory = evil.add_actor("looper")
    a_id, b_id = f"{mallory.uri}/statuses/loop-a", f"{mallory.uri}/statuses/loop-b"
    evil.serve(note(mallory, "a answers b", suffix="loop-a", inReplyTo=b_id))
    evil.serve(note(mallory, "b answers a", suffix="loop-b", inReplyTo=a_id))
    reply = note(mallory, "a reply into the loop", suffix="loop-reply", inReplyTo=a_id)
    send(node, mallory, create(mallory, reply))
    eventually(lambda: stored(node, a_id) and stored(node, b_id) and _settled(node), message="the loop fetched")
    assert _fetches_of(evil, "/users/looper/statuses/loop-a") == 1
    assert _fetches_of(evil, "/users/looper/statuses/loop-b") == 1


def test_an_ancestor_chain_a_thousand_deep_stops_at_the_bound(arena):
    node, evil, _ = arena
    mallory = evil.add_actor("digger")
    for depth in range(1000):
        evil.serve(note(mallory, f"level {depth}", suffix=f"deep-{depth}",
                        inReplyTo=f"{mallory.uri}/statuses/deep-{depth + 1}"))
    reply = note(mallory, "the bottom of a deep thread", suffix="deep-reply",
                 inReplyTo=f"{mallory.uri}/statuses/deep-0")
    send(node, mallory, create(mallory, reply))
    eventually(lambda: stored(node, f"{mallory.uri}/statuses/deep-{MAX_ANCESTOR_DEPTH - 1}") and _settled(node),
               timeout=60, message="the chain fetched down to the bound")
    assert _fetches_of(evil, "/users/digger/statuses/deep-") == MAX_ANCESTOR_DEPTH
    assert not stored(node, f"{mallory.uri}/statuses/deep-{MAX_ANCESTOR_DEPTH}")
    # The deepest stored ancestor knows its parent's id but asks for it no more.
    assert query(node, "SELECT count(*) FROM thread_fetches WHERE uri = ?",
                 f"{mallory.uri}/statuses/deep-{MAX_ANCESTOR_DEPTH}")[0][0] == 0


def test_an_ancestor_on_a_blocked_domain_is_not_fetched(arena):
    node, evil, blocked = arena
    mallory = evil.add_actor("relay")
    spammer = blocked.add_actor("spammer")
    parent = blocked.serve(note(spammer, "blocked words", suffix="blocked-parent"))
    reply = note(mallory, "replying to a blocked domain", suffix="blocked-reply", inReplyTo=parent["id"])
    send(node, mallory, create(mallory, reply))
    assert stored(node, reply["id"])
    eventually(lambda: _settled(node) and query(node, "SELECT state FROM thread_fetches WHERE uri = ?", parent["id"]),
               message="the blocked ancestor's fetch handled")
    assert query(node, "SELECT state FROM thread_fetches WHERE uri = ?", parent["id"]) == [("failed",)]
    assert blocked.fetched == []
    assert not stored(node, parent["id"])


def test_a_replies_collection_that_pages_forever_is_read_within_its_bounds(arena):
    node, evil, _ = arena
    mallory = evil.add_actor("pager")
    root = note(mallory, "a post with endless replies", suffix="wide-root",
                replies={"id": f"{mallory.uri}/statuses/wide-root/replies", "type": "Collection",
                         "first": f"{evil.base}/pages/0"})
    evil.serve(root)
    for page in range(50):
        items = [f"{mallory.uri}/statuses/wide-{page}-{n}" for n in range(5)]
        for item in items:
            evil.serve(note(mallory, "me too", suffix=item.rsplit("/", 1)[1], inReplyTo=root["id"]))
        evil.serve({"id": f"{evil.base}/pages/{page}", "type": "CollectionPage", "partOf": root["replies"]["id"],
                    "items": items, "next": f"{evil.base}/pages/{page + 1}"})
    send(node, mallory, create(mallory, root))
    [(status_id,)] = query(node, "SELECT id FROM statuses WHERE uri = ?", root["id"])
    # Someone opens the thread: it answers at once, and the walk runs in the background
    with urllib.request.urlopen(f"{node.base}/api/v1/statuses/{status_id}/context", timeout=30) as resp:
        assert resp.status == 200
    eventually(lambda: query(node, "SELECT state FROM thread_fetches WHERE kind = 'replies' AND uri = ?",
                             root["id"]) == [("done",)], timeout=60, message="the walk finished")
    assert _fetches_of(evil, "/pages/") == 4  # social.threads.MAX_PAGES
    stored_replies = query(node, "SELECT count(*) FROM statuses WHERE in_reply_to_uri = ?", root["id"])[0][0]
    assert stored_replies == 4 * 5
