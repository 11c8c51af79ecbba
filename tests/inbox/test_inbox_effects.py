"""What inbound activities do to a running node, seen through the Mastodon API."""
import pytest

from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    remote = FakeRemote("remote.test").start()
    other = FakeRemote("other.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"remote.test": remote.port, "other.test": other.port}).start()
    node.create_user("alice")
    node.create_user("lena", "--locked")
    alice = node.mastodon(node.token("alice"))
    yield node, remote, other, alice
    node.stop()
    remote.stop()
    other.stop()


def send(node, actor, activity, path="/inbox"):
    status, text = post_signed(node.base, NODE, path, activity, actor)
    assert status == 202, text


def remote_statuses(client, uri):
    return [s for s in client.timeline_public(remote=True, limit=40) if s.uri == uri]


def test_a_duplicate_delivery_has_one_effect(env):
    node, remote, _, alice = env
    actor = remote.add_actor("dup")
    activity = create(actor, note(actor, "said twice"))
    send(node, actor, activity)
    send(node, actor, activity, path="/users/alice/inbox")  # again, through the personal inbox
    send(node, actor, activity)
    eventually(lambda: remote_statuses(alice, activity["object"]["id"]), message="the post arrives")
    assert len(remote_statuses(alice, activity["object"]["id"])) == 1

    local = alice.status_post("like me")
    like = {"@context": AS_CONTEXT, "id": actor.uri + "/likes/1", "type": "Like", "actor": actor.uri,
            "object": local.uri}
    send(node, actor, like)
    send(node, actor, like)
    eventually(lambda: alice.status(local.id).favourites_count == 1, message="one like")
    favourites = [n for n in alice.notifications() if n.type == "favourite"]
    assert len(favourites) == 1


def test_follow_of_a_locked_account_waits_for_approval(env):
    node, remote, _, alice = env
    lena = node.mastodon(node.token("lena"))
    actor = remote.add_actor("fan")
    send(node, actor, follow(actor, f"http://{NODE}/users/lena"))
    request = eventually(lambda: lena.follow_requests(), message="a follow request")
    assert [a.acct for a in request] == ["fan@remote.test"]
    assert not any(r.body.get("type") == "Accept" and r.body["object"]["actor"] == actor.uri
                   for r in remote.received)

    lena.follow_request_authorize(request[0].id)
    accept = eventually(lambda: next((r for r in remote.received if r.body.get("type") == "Accept"
                                      and r.body["object"]["actor"] == actor.uri), None),
                        message="the Accept is delivered")
    assert accept.body["object"]["type"] == "Follow"
    assert lena.account_verify_credentials().followers_count == 1


def test_an_object_from_another_host_is_fetched_from_its_origin(env):
    node, remote, other, alice = env
    mallory = remote.add_actor("mallory")
    victim = other.add_actor("victim")
    # What the victim really said, served by the victim's own server
    real = other.serve(note(victim, "the real words", suffix="real"))
    # mallory forwards a forged copy of it
    forged = dict(real, content="<p>forged words</p>")
    send(node, mallory, create(mallory, forged) | {"id": mallory.uri + "/forward/1"})
    stored = eventually(lambda: remote_statuses(alice, real["id"]), message="the object is fetched")
    assert "the real words" in stored[0].content
    assert stored[0].account.acct == "victim@other.test"


def test_only_the_author_may_edit_or_delete(env):
    node, remote, _, alice = env
    author = remote.add_actor("author")
    intruder = remote.add_actor("intruder")
    original = note(author, "original words")
    send(node, author, create(author, original))
    eventually(lambda: remote_statuses(alice, original["id"]), message="the post arrives")

    send(node, intruder, {"@context": AS_CONTEXT, "id": intruder.uri + "/u/1", "type": "Update",
                          "actor": intruder.uri, "object": dict(original, content="<p>changed</p>")})
    send(node, intruder, {"@context": AS_CONTEXT, "id": intruder.uri + "/d/1", "type": "Delete",
                          "actor": intruder.uri, "object": original["id"]})
    # The author's own later edit is applied, which shows the intruder's activities were processed first.
    send(node, author, {"@context": AS_CONTEXT, "id": author.uri + "/u/2", "type": "Update",
                        "actor": author.uri, "object": dict(original, content="<p>edited by author</p>",
                                                            updated="2026-11-02T10:00:00Z")})
    edited = eventually(lambda: [s for s in remote_statuses(alice, original["id"]) if "edited by author" in s.content],
                        message="the author's edit")
    assert edited[0].edited_at is not None


def test_remote_html_is_sanitised(env):
    node, remote, _, alice = env
    actor = remote.add_actor("scripter")
    hostile = note(actor, "x") | {"content": '<p onclick="steal()">hi<script>alert(1)</script>'
                                             '<a href="javascript:alert(2)">link</a></p>'}
    send(node, actor, create(actor, hostile))
    stored = eventually(lambda: remote_statuses(alice, hostile["id"]), message="the post arrives")[0]
    assert "script" not in stored.content and "onclick" not in stored.content
    assert "javascript:" not in stored.content
