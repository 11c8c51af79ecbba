"""How much a hostile peer can make a node do: huge answers are cut off, hanging ones time out."""
import json
import sqlite3
import time

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


def handled(node, activity_id):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        row = db.execute("SELECT state FROM inbox_items WHERE activity_uri = ?", (activity_id,)).fetchone()
    return row and row[0] != "pending"


def stored(node, uri):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute("SELECT count(*) FROM statuses WHERE uri = ?", (uri,)).fetchone()[0] > 0


def announce(actor, url, n):
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}/announces/{n}", "type": "Announce", "actor": actor.uri,
            "object": url, "to": ["https://www.w3.org/ns/activitystreams#Public"]}


def test_huge_and_hanging_answers(tmp_path):
    evil = FakeRemote("evil.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"evil.test": evil.port},
                extra_env={"BACKCHANNEL_REQUEST_TIMEOUT": "2"}).start()
    try:
        mallory = evil.add_actor("mallory")
        # A 2 MiB document (the cap is 1 MiB, counted as it streams in).
        huge = note(mallory, "x" * (2 * 1024 * 1024), suffix="huge")
        evil.raw["/users/mallory/statuses/huge"] = (200, {"Content-Type": "application/activity+json"},
                                                    json.dumps(huge).encode())
        first = announce(mallory, huge["id"], 1)
        assert post_signed(node.base, node.domain, "/inbox", first, mallory)[0] == 202
        eventually(lambda: handled(node, first["id"]), message="the huge object is refused")
        assert not stored(node, huge["id"])

        # A peer that never answers in time: the fetch gives up at the deadline.
        slow = note(mallory, "too slow", suffix="slow")
        evil.raw["/users/mallory/statuses/slow"] = (200, {"Content-Type": "application/activity+json"},
                                                    json.dumps(slow).encode())
        evil.raw_delay = 8
        second = announce(mallory, slow["id"], 2)
        started = time.time()
        assert post_signed(node.base, node.domain, "/inbox", second, mallory)[0] == 202
        eventually(lambda: handled(node, second["id"]), timeout=30, message="the hanging fetch ends")
        assert time.time() - started < 7  # the 2 s deadline, not the peer's 8 s
        assert not stored(node, slow["id"])
        log = node.log_path.read_text()
        assert "Traceback" not in log
    finally:
        evil.raw_delay = 0
        node.stop()
        evil.stop()
