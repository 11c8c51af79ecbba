"""What a running node serves to other servers: actors, notes, collections; content negotiation."""
import pytest

from tests.rig.http import AP, get_json
from tests.rig.nodes import Node, free_port

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    node.create_user("alice")
    node.create_user("bob", "--locked")
    node.alice = node.mastodon(node.token("alice"))
    yield node
    node.stop()


def test_actor_document(node):
    status, actor = get_json(node.base + "/users/bob", accept=AP)
    assert status == 200
    assert actor["id"] == "http://acme.test/users/bob"
    assert actor["type"] == "Person" and actor["preferredUsername"] == "bob"
    assert actor["inbox"] == "http://acme.test/users/bob/inbox"
    assert actor["endpoints"]["sharedInbox"] == "http://acme.test/inbox"
    assert actor["followers"].endswith("/users/bob/followers")
    assert actor["featured"].endswith("/users/bob/collections/featured")
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("accept", [AP, LD])
def test_content_negotiation_serves_json_to_servers(node, accept):
    status, doc = get_json(node.base + "/users/alice", accept=accept)
    assert status == 200 and doc["type"] == "Person"


def test_browsers_are_sent_to_the_profile_page(node):
    status, doc = get_json(node.base + "/users/alice", accept="text/html")
    assert status == 302 and doc["_text"] == "http://acme.test/@alice"
    status, page = get_json(node.base + "/@alice", accept="text/html")
    assert status == 200 and "@alice@acme.test" in page["_text"]


@pytest.mark.parametrize("visibility, to, cc", [
    ("public", [PUBLIC], ["http://acme.test/users/alice/followers"]),
    ("unlisted", ["http://acme.test/users/alice/followers"], [PUBLIC]),
])
def test_public_notes_are_served_with_their_addressing(node, visibility, to, cc):
    post = node.alice.status_post(f"a {visibility} post with #Tags", visibility=visibility,
                                  spoiler_text="cw here")
    status, doc = get_json(node.base + post.uri.removeprefix("http://acme.test"), accept=AP)
    assert status == 200
    assert doc["type"] == "Note" and doc["id"] == post.uri
    assert doc["to"] == to and doc["cc"] == cc
    assert doc["attributedTo"] == "http://acme.test/users/alice"
    assert doc["summary"] == "cw here" and doc["sensitive"] is True
    assert {"type": "Hashtag", "href": "http://acme.test/tags/tags", "name": "#tags"} in doc["tag"]
    assert doc["published"].endswith("Z") and doc["url"].startswith("http://acme.test/@alice/")


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_non_public_notes_are_not_served(node, visibility):
    post = node.alice.status_post(f"a {visibility} post", visibility=visibility)
    path = post.uri.removeprefix("http://acme.test")
    assert get_json(node.base + path, accept=AP)[0] == 404
    assert get_json(node.base + path + "/activity", accept=AP)[0] == 404


def test_replies_carry_in_reply_to(node):
    parent = node.alice.status_post("a question")
    reply = node.alice.status_post("an answer", in_reply_to_id=parent.id)
    _, doc = get_json(node.base + reply.uri.removeprefix("http://acme.test"), accept=AP)
    assert doc["inReplyTo"] == parent.uri


def test_outbox_is_a_paged_collection_of_public_activities(node):
    node.alice.status_post("only for followers", visibility="private")
    status, outbox = get_json(node.base + "/users/alice/outbox", accept=AP)
    assert status == 200 and outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] >= 1
    _, page = get_json(node.base + "/users/alice/outbox?page=1", accept=AP)
    assert page["type"] == "OrderedCollectionPage"
    assert all(item["type"] in ("Create", "Announce") for item in page["orderedItems"])
    assert all(PUBLIC in item["to"] + item.get("cc", []) for item in page["orderedItems"])
    assert not any("only for followers" in item["object"]["content"] for item in page["orderedItems"]
                   if item["type"] == "Create")


def test_followers_collection_counts(node):
    status, followers = get_json(node.base + "/users/alice/followers", accept=AP)
    assert status == 200 and followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 0


def test_unknown_actor_is_404(node):
    assert get_json(node.base + "/users/nobody", accept=AP)[0] == 404
