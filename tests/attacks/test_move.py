"""Account moves: honoured only when the target names the origin in alsoKnownAs."""
import pytest

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, post_signed
from tests.rig.nodes import Node, eventually, free_port


@pytest.fixture
def setup(tmp_path):
    old_home = FakeRemote("old.test").start()
    new_home = FakeRemote("new.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"old.test": old_home.port, "new.test": new_home.port}).start()
    node.create_user("alice")
    alice = node.mastodon(node.token("alice"))
    yield node, old_home, new_home, alice
    node.stop()
    old_home.stop()
    new_home.stop()


def move(actor, target_uri):
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}#move", "type": "Move", "actor": actor.uri,
            "object": actor.uri, "target": target_uri}


def follow_old(node, alice, old):
    """alice follows the old account, and it accepts."""
    found = alice.search(f"{old.username}@old.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(found.id)
    request = eventually(lambda: next((r for r in old.server.received if r.body.get("type") == "Follow"), None),
                         message="the Follow arrives")
    accept = {"@context": AS_CONTEXT, "id": f"{old.uri}#accept", "type": "Accept", "actor": old.uri,
              "object": request.body}
    assert post_signed(node.base, node.domain, "/inbox", accept, old)[0] == 202
    eventually(lambda: alice.account_relationships(found.id)[0].following, message="the follow is accepted")
    return found


def test_a_move_the_target_confirms_moves_the_followers(setup):
    node, old_home, new_home, alice = setup
    old = old_home.add_actor("expert")
    new = new_home.add_actor("expert")
    new.extra["alsoKnownAs"] = [old.uri]
    follow_old(node, alice, old)
    assert post_signed(node.base, node.domain, "/inbox", move(old, new.uri), old)[0] == 202
    follow = eventually(lambda: next((r for r in new_home.received if r.body.get("type") == "Follow"), None),
                        message="alice follows the new account")
    assert follow.body["object"] == new.uri
    eventually(lambda: any(r.body.get("type") == "Undo" for r in old_home.received), message="and leaves the old one")


def test_a_move_to_an_account_that_does_not_confirm_it_is_ignored(setup):
    node, old_home, new_home, alice = setup
    old = old_home.add_actor("victim")
    thief = new_home.add_actor("thief")  # no alsoKnownAs
    follow_old(node, alice, old)
    assert post_signed(node.base, node.domain, "/inbox", move(old, thief.uri), old)[0] == 202
    import sqlite3

    def handled():
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            row = db.execute("SELECT state, last_error FROM inbox_items WHERE activity_uri = ?",
                             (old.uri + "#move",)).fetchone()
        return row if row and row[0] != "pending" else None
    state, error = eventually(handled, message="the Move handled")
    assert state == "failed" and "alsoKnownAs" in error
    assert not any(r.body.get("type") == "Follow" for r in new_home.received)
