"""Authority comes from `id` only: a `url` field is display data, never a key.

A hostile server posts a Note (or serves an actor) whose `url` names another server's post (or
actor). Someone searching for the real post must get the real post, and a later genuine boost of
the real post must be attached to it; a lookup by URL fetches that URL and trusts the id its origin
answers with.
"""
import json
import time
from urllib.parse import quote, urlsplit

import pytest

from tests.attacks.hostile import query, send, stored
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, follow, note
from tests.rig.http import api
from tests.rig.nodes import Node, free_port

NODE = "acme.test"
AP = {"Content-Type": "application/activity+json"}


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil, victim, good = (FakeRemote(d).start() for d in ("evil.test", "victim.test", "good.test"))
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port, "victim.test": victim.port, "good.test": good.port,
                         "victim.test.": victim.port}).start()
    node.create_user("alice")
    yield node, evil, victim, good, node.token("alice")
    node.stop()
    for server in (evil, victim, good):
        server.stop()


def search(node: Node, token: str, q: str, kind: str, resolve: bool = True) -> list[dict]:
    status, body = api(node.base, token, "GET",
                       f"/api/v2/search?type={kind}&resolve={str(resolve).lower()}&q={quote(q, safe='')}")
    assert status == 200, body
    return body[kind]


def real_post(victim: FakeRemote, text: str) -> dict:
    """A post the victim's server really serves, with a web page address apart from its id (which
    also answers with the post, as a server that negotiates content does)."""
    author = victim.actors.get("author") or victim.add_actor("author")
    suffix = str(time.time_ns())
    post = victim.serve(note(author, text, suffix=suffix, url=f"{victim.base}/@author/{suffix}"))
    victim.objects[urlsplit(post["url"]).path] = post
    return post


# How a forged Note's `url` may name the real post: its id or its page, as a string, a Link, a list.
FORGED_URLS = {
    "id": lambda real: real["id"],
    "page": lambda real: real["url"],
    "link": lambda real: {"type": "Link", "href": real["id"], "mediaType": "text/html"},
    "list": lambda real: [{"type": "Link", "href": real["id"]}, real["url"]],
}


@pytest.mark.parametrize("form", FORGED_URLS)
def test_searching_a_post_finds_the_real_post_not_a_forgery_naming_it(arena, form):
    node, evil, victim, _, token = arena
    # Given the victim's real post, and a forgery on evil.test whose url names it,
    real = real_post(victim, "the real words")
    mallory = evil.add_actor(f"m{time.time_ns()}")
    forged = note(mallory, "forged words", url=FORGED_URLS[form](real))
    send(node, mallory, create(mallory, forged))
    assert stored(node, forged["id"])
    # When alice searches for the real post by its id, and by its page,
    by_id = search(node, token, real["id"], "statuses")
    by_page = search(node, token, real["url"], "statuses", resolve=False)
    # Then she gets the real post (fetched from its origin), never the forgery.
    assert [s["uri"] for s in by_id] == [real["id"]]
    assert "the real words" in by_id[0]["content"]
    assert forged["id"] not in [s["uri"] for s in by_page]


@pytest.mark.parametrize("spelling", ["{id}", "{page}", "http://VICTIM.test{path}", "http://victim.test.:80{path}"])
def test_a_genuine_boost_is_attached_to_the_real_post(arena, spelling):
    node, evil, victim, good, _ = arena
    # Given a forgery on evil.test whose url names the victim's post (not known here yet),
    real = real_post(victim, "boost me")
    mallory = evil.add_actor(f"m{time.time_ns()}")
    forged = note(mallory, "forged boost target", url=real["id"])
    send(node, mallory, create(mallory, forged))
    # When someone on good.test boosts the real post, naming it as `spelling`,
    booster = good.add_actor(f"b{time.time_ns()}")
    named = spelling.format(id=real["id"], page=real["url"], path=real["id"].split("victim.test", 1)[1])
    boost = {"@context": AS_CONTEXT, "id": f"{booster.uri}/announces/{time.time_ns()}", "type": "Announce",
             "actor": booster.uri, "object": named, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    send(node, booster, boost)
    # Then the boost is of the real post, and the forgery has no boost.
    boosted = query(node, "SELECT o.uri FROM statuses b JOIN statuses o ON o.id = b.reblog_of_id WHERE b.uri = ?",
                    boost["id"])
    assert boosted == [(real["id"],)]
    assert query(node, "SELECT reblogs_count FROM statuses WHERE uri = ?", forged["id"]) == [(0,)]


@pytest.mark.parametrize("claim", ["uri", "page"])
def test_searching_an_actor_finds_the_actor_not_one_whose_url_names_it(arena, claim):
    node, evil, victim, _, token = arena
    # Given the victim's real actor, and an actor on evil.test whose url names it (known here),
    real = victim.add_actor(f"v{time.time_ns()}")
    named = real.uri if claim == "uri" else f"{victim.base}/@{real.username}"
    impostor = evil.add_actor(f"i{time.time_ns()}")
    impostor.extra = {"url": named, "name": "The Real One"}
    send(node, impostor, follow(impostor, f"http://{NODE}/users/alice"))
    # When alice looks the real actor up by URL, without and with fetching,
    offline = search(node, token, named, "accounts", resolve=False)
    online = search(node, token, named, "accounts")
    # Then the impostor is never the answer; fetched by its id, the real actor is.
    assert not [a for a in offline + online if a["acct"] == f"{impostor.username}@evil.test"]
    if claim == "uri":
        assert [a["acct"] for a in online] == [f"{real.username}@victim.test"]


def test_a_lookup_that_redirects_trusts_the_id_of_the_origin_that_answered(arena):
    node, evil, victim, _, token = arena
    # Given evil.test redirects one address to the victim's real post, and serves a forgery of
    # another real post under its own address,
    real, other = real_post(victim, "reached by a redirect"), real_post(victim, "never forged")
    evil.raw["/go/real"] = (302, {"Location": real["id"]}, b"")
    forged = dict(other, content="<p>forged through a redirect</p>")
    evil.raw["/forged"] = (200, AP, json.dumps(forged).encode())
    evil.raw["/go/forged"] = (302, {"Location": f"{evil.base}/forged"}, b"")
    # When alice looks both up,
    followed = search(node, token, f"{evil.base}/go/real", "statuses")
    refused = search(node, token, f"{evil.base}/go/forged", "statuses")
    # Then the redirect to the victim gives the victim's post; evil.test's copy is nobody's post.
    assert [s["uri"] for s in followed] == [real["id"]]
    assert refused == []
    assert not query(node, "SELECT id FROM statuses WHERE content LIKE '%forged through%'")
