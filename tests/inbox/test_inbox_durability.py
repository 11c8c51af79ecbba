"""An activity answered with 202 is never lost: killed right after accepting, the node applies it
after a restart."""
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from tests.backchannel.processes import spawn, stop, wait_for_line
from tests.rig.fake_remote import FakeRemote, create, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


def test_sigkill_right_after_202_loses_nothing(tmp_path):
    remote = FakeRemote("remote.test").start()
    # Workers off: the node only accepts, so every activity is still unapplied when it dies.
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"remote.test": remote.port},
                extra_env={"BACKCHANNEL_WORKERS": "false"}).start()
    try:
        node.create_user("alice")
        actor = remote.add_actor("writer")
        sent = [note(actor, f"post {i}") for i in range(20)]
        for obj in sent:
            assert post_signed(node.base, node.domain, "/inbox", create(actor, obj), actor)[0] == 202
        node.kill()
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM inbox_items WHERE state = 'pending'").fetchone()[0] == 20

        node.extra_env["BACKCHANNEL_WORKERS"] = "true"
        node.start()
        alice = node.mastodon(node.token("alice"))
        uris = {obj["id"] for obj in sent}
        eventually(lambda: uris <= {s.uri for s in alice.timeline_public(remote=True, limit=40)},
                   message="all 20 posts applied after the restart")
    finally:
        node.stop()
        remote.stop()


def test_concurrent_senders_are_each_answered_after_their_activity_is_stored(tmp_path):
    # Given a node that only accepts (workers off), and 8 remote actors posting 48 activities from
    # 16 connections at once: what arrives together is stored together, in one transaction
    remote = FakeRemote("remote.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"remote.test": remote.port},
                extra_env={"BACKCHANNEL_WORKERS": "false"}).start()
    try:
        node.create_user("alice")
        actors = [remote.add_actor(f"writer{n}") for n in range(8)]
        sent = [(actor, note(actor, f"post {i} of {actor.username}", suffix=f"{actor.username}-{i}"))
                for i in range(6) for actor in actors]

        def send(item: tuple) -> int:
            actor, obj = item
            return post_signed(node.base, node.domain, "/inbox", create(actor, obj), actor)[0]

        # When they all send at once, and the node is killed as soon as the last 202 is in
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(send, sent))
        node.kill()
        # Then every sender was answered 202, and every answered activity is stored
        assert codes == [202] * len(sent)
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            stored = {row[0] for row in db.execute("SELECT activity_uri FROM inbox_items WHERE state = 'pending'")}
        assert stored == {obj["id"] + "/activity" for _, obj in sent}

        # And after a restart with workers, each of them is applied
        node.extra_env["BACKCHANNEL_WORKERS"] = "true"
        node.start()
        uris = {obj["id"] for _, obj in sent}

        def applied() -> set[str]:
            with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
                return {row[0] for row in db.execute("SELECT uri FROM statuses WHERE local = 0")}
        eventually(lambda: uris <= applied(), message="all 48 posts applied after the restart")
    finally:
        node.stop()
        remote.stop()


def test_a_worker_process_applies_what_another_process_accepted_without_being_woken(tmp_path):
    # Given a web process that only accepts (its workers off) and a `worker` process on the same
    # SQLite data, already idle: nothing in the worker's process announces the new rows to it
    remote = FakeRemote("remote.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"remote.test": remote.port},
                extra_env={"BACKCHANNEL_WORKERS": "false"}).start()
    worker = None
    try:
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        worker = spawn(node, "worker", log=tmp_path / "worker.log")
        wait_for_line(worker, tmp_path / "worker.log", "worker for")
        # When activities are accepted by the web process
        actor = remote.add_actor("writer")
        sent = [note(actor, f"post {i}") for i in range(3)]
        for obj in sent:
            assert post_signed(node.base, node.domain, "/inbox", create(actor, obj), actor)[0] == 202
        # Then the worker's polling finds the rows another process committed, and applies them
        uris = {obj["id"] for obj in sent}
        eventually(lambda: uris <= {s.uri for s in alice.timeline_public(remote=True, limit=40)},
                   message="the worker process applied all 3 posts")
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM inbox_items WHERE state = 'pending'").fetchone()[0] == 0
    finally:
        if worker is not None:
            stop(worker)
        node.stop()
        remote.stop()
