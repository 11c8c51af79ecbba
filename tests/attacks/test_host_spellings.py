"""One canonical host: a block cannot be dodged by spelling the blocked host another way.

A hostile server writes its actors' ids with a port (`:80`, `:443`, `:8443`), in capitals, with a
trailing dot, on a subdomain, or in Unicode / punycode. The node reaches every spelling (its
--resolve map sends each host name to the same hostile server, whatever the port), and must treat
each as the blocked organisation: nothing accepted, stored, notified, or delivered to it.
"""
import time

import pytest

from tests.attacks.hostile import applied, deliver, query, send, stored
from tests.rig.fake_remote import FakeRemote, create, follow, note
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
ALICE = f"http://{NODE}/users/alice"

# How the hostile server writes its origin. The node's resolver ignores the port for mapped hosts,
# so every spelling reaches the one server listening for that host name.
SPELLINGS = ["http://{d}:80", "http://{d}:443", "http://{d}:8443", "http://{D}", "http://{d}.",
             "http://a.{d}", "http://A.{D}.:8443"]
IDN_SPELLINGS = ["http://BÜCHER.test", "http://bücher.test:80", "http://xn--bcher-kva.test:8443",
                 "http://a.XN--BCHER-KVA.test."]


def spelled(pattern: str, domain: str) -> str:
    return pattern.format(d=domain, D=domain.upper().replace(".TEST", ".Test"))


def host_names(domain: str) -> list[str]:
    """What the node's resolver is asked for, for every spelling of `domain` above."""
    return [domain, domain + ".", "a." + domain, "a." + domain + "."]


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    """acme.test, with alice and bob; five hostile servers and one well-behaved one."""
    servers = {name: FakeRemote(name).start()
               for name in ("evil.test", "xn--bcher-kva.test", "leaky.test", "pest.test", "noisy.test",
                            "good.test")}
    resolve = {host: server.port for name, server in servers.items() for host in host_names(name)}
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"), resolve=resolve).start()
    node.create_user("alice")
    node.create_user("bob")
    node.cli("domain", "block", "evil.test", "--severity", "suspend")
    node.cli("domain", "block", "bücher.test", "--severity", "suspend")
    node.cli("domain", "block", "noisy.test", "--severity", "silence")
    yield node, servers
    node.stop()
    for server in servers.values():
        server.stop()


def mention_of(actor, text: str) -> dict:
    return note(actor, f"@alice {text}", tag=[{"type": "Mention", "href": ALICE}], cc=[ALICE])


def notifications(node: Node, token: str) -> list[dict]:
    status, body = api(node.base, token, "GET", "/api/v1/notifications?limit=40")
    assert status == 200, body
    return body


@pytest.mark.parametrize("pattern", SPELLINGS + IDN_SPELLINGS)
def test_a_suspended_server_is_refused_in_every_spelling(arena, pattern):
    node, servers = arena
    domain = "xn--bcher-kva.test" if pattern in IDN_SPELLINGS else "evil.test"
    server = servers[domain]
    # Given a suspended server that writes its actor's id as `pattern`,
    name = f"m{time.time_ns()}"
    mallory = server.add_actor(name, spelling=spelled(pattern, domain))
    server.fetched.clear()
    # When it sends alice a post that mentions her,
    post = mention_of(mallory, "buy now")
    status, text = deliver(node, mallory, create(mallory, post))
    # Then it is refused before anything is fetched, and nothing is kept or notified.
    assert status == 403, (status, text)
    assert server.fetched == []
    assert not stored(node, post["id"])
    assert not query(node, "SELECT id FROM accounts WHERE username = ?", name)


def test_followers_on_any_spelling_of_a_suspended_server_get_nothing(arena):
    node, servers = arena
    leaky, good = servers["leaky.test"], servers["good.test"]
    bob_token = node.token("bob")
    bob = node.mastodon(bob_token)
    # Given bob has followers on leaky.test in every spelling, and one on good.test,
    fans = [leaky.add_actor(f"fan{i}", spelling=spelled(p, "leaky.test")) for i, p in enumerate(SPELLINGS)]
    friend = good.add_actor("friend")
    for fan in fans + [friend]:
        send(node, fan, follow(fan, f"http://{NODE}/users/bob"))
    eventually(lambda: bob.account_verify_credentials().followers_count == len(fans) + 1,
               message="every follower accepted")
    # When the admin suspends leaky.test and bob posts to his followers only,
    node.cli("domain", "block", "leaky.test", "--severity", "suspend")
    time.sleep(1.1)  # the policy cache lives a second
    post = bob.status_post("for my followers only", visibility="private")
    # Then the good follower receives it, leaky.test receives nothing in any spelling,
    eventually(lambda: any(r.body.get("object", {}).get("id") == post.uri for r in good.received
                           if isinstance(r.body.get("object"), dict)), message="delivered to good.test")
    time.sleep(1.0)
    assert [r.path for r in leaky.received if post.uri in str(r.body)] == []
    # and every follow from leaky.test ended with the suspension, whatever the spelling.
    assert bob.account_verify_credentials().followers_count == 1


@pytest.mark.parametrize("pattern", SPELLINGS)
def test_a_personal_domain_block_covers_every_spelling(arena, pattern):
    node, servers = arena
    pest, good = servers["pest.test"], servers["good.test"]
    token = node.token("alice")
    # Given alice blocked pest.test for herself,
    assert api(node.base, token, "POST", "/api/v1/domain_blocks", {"domain": "pest.test"})[0] == 200
    pester = pest.add_actor(f"p{time.time_ns()}", spelling=spelled(pattern, "pest.test"))
    friend = good.add_actor(f"g{time.time_ns()}")
    # When an actor on pest.test, spelled as `pattern`, mentions her and follows her,
    # and (the control) someone on good.test mentions her,
    pested = mention_of(pester, "hello from a pest")
    send(node, pester, create(pester, pested))
    send(node, pester, follow(pester, ALICE))
    greeting = mention_of(friend, "hello from a friend")
    send(node, friend, create(friend, greeting))
    # Then the friend's mention reaches her and the pest's does not; the pest's follow is rejected.
    seen = {n["status"]["uri"] for n in notifications(node, token) if n["type"] == "mention"}
    assert greeting["id"] in seen
    assert pested["id"] not in seen
    eventually(lambda: any(r.body.get("type") == "Reject" and r.body.get("object", {}).get("actor") == pester.uri
                           for r in pest.received), message="the pest's follow rejected")
    assert not query(node, "SELECT f.id FROM follows f JOIN accounts a ON a.id = f.account_id WHERE a.uri = ?",
                     pester.uri)


def test_a_silenced_server_stays_out_of_public_timelines_in_every_spelling(arena):
    node, servers = arena
    noisy, good = servers["noisy.test"], servers["good.test"]
    token = node.token("alice")
    # Given newcomers on the silenced noisy.test in every spelling, and one on good.test,
    loud = [noisy.add_actor(f"n{i}x{time.time_ns()}", spelling=spelled(p, "noisy.test"))
            for i, p in enumerate(SPELLINGS)]
    calm = good.add_actor(f"c{time.time_ns()}")
    # when each posts in public,
    posts = {}
    for actor in loud + [calm]:
        posts[actor.uri] = note(actor, "loud public words")
        send(node, actor, create(actor, posts[actor.uri]))
    # Then the public timeline shows good.test's post and none from noisy.test.
    status, public = api(node.base, token, "GET", "/api/v1/timelines/public?remote=true&limit=40")
    assert status == 200
    shown = {s["uri"] for s in public}
    assert posts[calm.uri]["id"] in shown
    assert [a.uri for a in loud if posts[a.uri]["id"] in shown] == []


def test_an_activity_on_its_actors_origin_in_another_spelling_is_accepted(arena):
    """The other side of one canonical host: `http://GOOD.test:80/…` is good.test's own origin."""
    node, servers = arena
    good = servers["good.test"]
    writer = good.add_actor(f"w{time.time_ns()}")
    post = note(writer, "spelled differently") | {"id": f"http://GOOD.test:80/users/{writer.username}/statuses/x"}
    good.serve(post)
    activity = create(writer, post)
    assert send(node, writer, activity) == "done", applied(node, activity["id"])
    assert stored(node, post["id"])
