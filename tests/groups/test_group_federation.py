"""Groups (communities of practice) federated as FEP-1b12 groups, across three real nodes and the
Fedify peer: people on acme.test, globex.test and the Fedify peer join a group on a third node (the
"hub", known by its loopback address so the peer can reach it); what a member posts in the group
reaches every other member; a non-member's post and a post a moderator removed are not relayed; a
`local` group refuses a remote follow.
"""
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, follow, note, post_signed
from tests.rig.fedify import NOT_INSTALLED, control, installed, running_peer
from tests.rig.nodes import Node, eventually, free_port
from tests.rig.people import make_people

pytestmark = pytest.mark.skipif(not installed(), reason=NOT_INSTALLED)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """acme.test and globex.test (SQLite) and the hub (PostgreSQL when it is there), side by side."""
    root = tmp_path_factory.mktemp("groups")
    lemmy = FakeRemote("lemmy.test").start()
    acme_port, globex_port, hub_port = free_port(), free_port(), free_port()
    database = create_database() if postgres_available() is None else None
    named = {"acme.test": acme_port, "globex.test": globex_port}
    made = {
        "acme": Node("acme.test", acme_port, root / "acme", resolve={"globex.test": globex_port,
                                                                      "lemmy.test": lemmy.port}),
        "globex": Node("globex.test", globex_port, root / "globex", resolve={"acme.test": acme_port}),
        "hub": Node(f"127.0.0.1:{hub_port}", hub_port, root / "hub", database=database,
                    resolve={**named, "lemmy.test": lemmy.port}),
    }
    try:
        for node in made.values():
            node.launch()
        for node in made.values():
            node.wait_ready()
        yield {**made, "lemmy": lemmy}
    finally:
        lemmy.stop()
        for node in made.values():
            node.stop()
        if database:
            drop_database(database)


@pytest.fixture(scope="module")
def people(nodes):
    """alice and eve (not a member) on acme, bob on globex, mod (the moderator) and dana on the hub,
    where the groups are: practice (open), insiders (local) and review (approval)."""
    acme, globex, hub = nodes["acme"], nodes["globex"], nodes["hub"]
    tokens = {**make_people(acme, ["alice", "eve"]), **make_people(globex, ["bob"])}
    with ThreadPoolExecutor(3) as pool:  # the hub's commands side by side (it may be on PostgreSQL)
        for name in ("mod", "dana"):
            pool.submit(hub.create_user, name)
        pool.shutdown()
    with ThreadPoolExecutor(5) as pool:
        for name in ("mod", "dana"):
            tokens[name] = pool.submit(hub.token, name)
        made = [pool.submit(hub.cli, "group", "create", *args) for args in (
            ["practice", "--title", "Observability practice", "--description",
             "We learn to run systems we can see into.", "--moderator", "mod", "--rule", "Be kind"],
            ["insiders", "--title", "Hub people only", "--join", "local"],
            ["review", "--title", "Design review", "--join", "approval", "--moderator", "mod"])]
        assert "created group @practice@" in made[0].result() and all(m.result() for m in made)
        tokens |= {name: tokens[name].result() for name in ("mod", "dana")}
    home = {"alice": acme, "eve": acme, "bob": globex, "mod": hub, "dana": hub}
    clients = {name: home[name].mastodon(token) for name, token in tokens.items()}
    clients["mod_token"], clients["dana_token"] = tokens["mod"], tokens["dana"]
    return clients


def find(client, acct):
    return client.search(acct, resolve=True, result_type="accounts").accounts[0]


@pytest.fixture(scope="module")
def members(nodes, people):
    """alice, bob and dana join the practice group by following it, as any Mastodon user would."""
    hub = nodes["hub"]
    for name in ("alice", "bob", "dana"):
        client = people[name]
        group = client.account_lookup("practice") if name == "dana" else find(client, f"practice@{hub.domain}")
        assert group.group is True
        client.account_follow(group.id)
        eventually(lambda: client.account_relationships(group.id)[0].following, message=f"{name} joins")
    return people


def test_a_group_is_an_account_people_join_by_following(nodes, members):
    hub, mod = nodes["hub"], members["mod"]
    found = mod.account_lookup("practice")
    assert found.group is True and found.display_name == "Observability practice"
    eventually(lambda: mod.account(found.id).followers_count == 3, message="three members")
    # The Group actor names its moderators (FEP-1b12's attributedTo), as Lemmy reads them.
    actor = fetch_json(f"{hub.base}/users/practice")
    assert actor["type"] == "Group"
    assert fetch_json(actor["attributedTo"].replace(f"http://{hub.domain}", hub.base))["orderedItems"] == [
        f"{hub.base}/users/mod"]


def fetch_json(url):
    request = urllib.request.Request(url, headers={"Accept": "application/activity+json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def test_a_moderator_approves_a_join(nodes, people):
    hub, bob, mod = nodes["hub"], people["bob"], people["mod"]
    review = find(bob, f"review@{hub.domain}")
    bob.account_follow(review.id)
    assert bob.account_relationships(review.id)[0].requested
    group_id = mod.account_lookup("review").id
    waiting = eventually(lambda: api(hub, people["mod_token"], "GET", f"/api/v1/groups/{group_id}/join_requests"),
                         message="bob's request at the hub")
    assert [a["acct"] for a in waiting] == ["bob@globex.test"]
    api(hub, people["mod_token"], "POST", f"/api/v1/groups/{group_id}/join_requests/{waiting[0]['id']}/authorize")
    eventually(lambda: bob.account_relationships(review.id)[0].following, message="the group's Accept")


def api(node, token, method, path):
    request = urllib.request.Request(node.base + path, method=method, data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def in_home(client, uri):
    return any(s.uri == uri or (s.reblog and s.reblog.uri == uri) for s in client.timeline_home(limit=40))


def announced(port, uri, kind="Create"):
    """The group's Announces of the post `uri` at the peer: FEP-1b12's Announce{Create{Note}} (the
    activity as it was sent) or Announce{Note}; `kind` Update or Delete: its Announce{Update|Delete}."""
    def names(a):
        obj = a.get("object")
        if kind == "Create" and uri in (obj, obj.get("id") if isinstance(obj, dict) else None):
            return True  # Announce{Note}
        inner = obj.get("object") if isinstance(obj, dict) and obj.get("type") == kind else None
        return uri in (inner, inner.get("id") if isinstance(inner, dict) else None)
    return [a for a in control(port, "inbox") if a.get("type") == "Announce" and names(a)]


@pytest.fixture(scope="module")
def peer(nodes, members, tmp_path_factory):
    """The Fedify peer, a member of the group."""
    with running_peer(tmp_path_factory.mktemp("fedify")) as port:
        hub = nodes["hub"]
        control(port, "follow", {"target": f"{hub.base}/users/practice"})
        mod = members["mod"]
        group = mod.account_lookup("practice")
        eventually(lambda: mod.account(group.id).followers_count == 4, message="the peer joins")
        yield port


def test_what_a_member_posts_in_the_group_reaches_every_other_member(nodes, people, peer):
    hub = nodes["hub"]
    group_uri = f"{hub.base}/users/practice"
    mention = f"@practice@{hub.domain}"
    members = {"alice": people["alice"], "bob": people["bob"], "dana": people["dana"]}
    for author, client in members.items():
        post = client.status_post(f"{mention} what I learned this week, from {author}")
        for other, reader in members.items():
            if other != author:
                eventually(lambda: in_home(reader, post.uri), message=f"{author}'s post at {other}'s")
        found = eventually(lambda: announced(peer, post.uri), message=f"{author}'s post at the peer")
        assert found[0]["actor"] == group_uri and found[0].get("audience") == group_uri
        # FEP-1b12: the group announces the author's Create itself (Lemmy reads only that form).
        eventually(lambda: [a for a in announced(peer, post.uri) if isinstance(a["object"], dict)
                            and a["object"].get("type") == "Create"
                            and a["object"].get("actor", "").endswith(f"/users/{author}")],
                   message=f"the Announce of {author}'s Create at the peer")
    # The peer can address a note only to one actor: to the group, a members-only post. The group
    # relays its Create, proof and all, to the members, whose servers check the peer's proof.
    sent = control(peer, "note", {"content": "<p>from the Fedify peer</p>", "to": group_uri})["sent"]
    uri = sent.replace("/activities/", "/notes/")
    for name, reader in members.items():
        eventually(lambda: in_home(reader, uri), message=f"the peer's post at {name}'s")
    # Members only: nobody else sees it, even by its address.
    eve = people["eve"]
    assert not eve.search(uri, resolve=True, result_type="statuses").statuses
    # A members-only post from a Backchannel node: the other nodes check alice's proof in the same way.
    private = people["alice"].status_post(f"{mention} for members only, from alice", visibility="direct")
    for name in ("bob", "dana"):
        eventually(lambda: in_home(members[name], private.uri), message=f"alice's members-only post at {name}'s")
    assert not eve.search(private.uri, resolve=True, result_type="statuses").statuses
    # A moderator's removal hides a members-only post from the members again.
    group_id = people["mod"].account_lookup("practice").id
    at_hub = people["dana"].search(private.uri, resolve=True, result_type="statuses").statuses[0]
    api(nodes["hub"], people["mod_token"], "POST", f"/api/v1/groups/{group_id}/statuses/{at_hub.id}/remove")
    eventually(lambda: not members["bob"].search(private.uri, resolve=True, result_type="statuses").statuses,
               message="the removed members-only post hidden at bob's")
    assert not in_home(members["dana"], private.uri)


def test_a_non_members_post_is_not_relayed(nodes, people, peer):
    hub = nodes["hub"]
    mention = f"@practice@{hub.domain}"
    stranger = people["eve"].status_post(f"{mention} let me in on this")
    whisper = people["eve"].status_post(f"{mention} a members-only word from a stranger", visibility="direct")
    # alice's later post, from the same server, is applied after eve's: once it is relayed, eve's was seen.
    later = people["alice"].status_post(f"{mention} a member's post after the stranger's")
    eventually(lambda: in_home(people["bob"], later.uri), message="the member's post relayed")
    eventually(lambda: announced(peer, later.uri), message="the member's post at the peer")
    assert not in_home(people["bob"], stranger.uri)
    assert not in_home(people["dana"], stranger.uri)
    assert not announced(peer, stranger.uri)
    assert not people["dana"].search(whisper.uri, resolve=True, result_type="statuses").statuses
    assert not in_home(people["bob"], whisper.uri) and not announced(peer, whisper.uri)


def test_a_local_group_refuses_a_remote_follow(nodes, people):
    hub = nodes["hub"]
    bob, dana = people["bob"], people["dana"]
    insiders = find(bob, f"insiders@{hub.domain}")
    bob.account_follow(insiders.id)
    eventually(lambda: not bob.account_relationships(insiders.id)[0].requested, message="the Reject")
    assert not bob.account_relationships(insiders.id)[0].following
    local = dana.account_lookup("insiders")
    dana.account_follow(local.id)
    eventually(lambda: dana.account_relationships(local.id)[0].following, message="dana joins")
    assert dana.account(local.id).followers_count == 1


def test_a_moderator_removed_post_is_not_relayed(nodes, people, peer):
    hub = nodes["hub"]
    alice, bob, mod = people["alice"], people["bob"], people["mod"]
    mention = f"@practice@{hub.domain}"
    thread = alice.status_post(f"{mention} a thread worth keeping")
    doomed = alice.status_post(f"{mention} an off-topic advert")
    eventually(lambda: in_home(bob, doomed.uri), message="the advert relayed")
    group = mod.account_lookup("practice")
    at_hub = mod.search(doomed.uri, resolve=True, result_type="statuses").statuses[0]
    api(hub, people["mod_token"], "POST", f"/api/v1/groups/{group.id}/statuses/{at_hub.id}/remove")
    eventually(lambda: not in_home(bob, doomed.uri), message="the relay withdrawn at bob's")
    # As Lemmy federates a removal: the moderator's Delete, with the reason, announced by the group.
    removal = eventually(lambda: [a["object"] for a in announced(peer, doomed.uri, "Delete")],
                         message="the removal at the peer")
    assert removal[0]["actor"] == f"{hub.base}/users/mod" and removal[0].get("summary")
    # A reply in the removed post's thread is not relayed; one in a kept thread is, without a mention.
    lost = alice.status_post("more about the advert", in_reply_to_id=doomed.id)
    kept = alice.status_post("more on the thread", in_reply_to_id=thread.id)
    eventually(lambda: in_home(bob, kept.uri), message="the reply in a kept thread relayed")
    eventually(lambda: announced(peer, kept.uri), message="the reply at the peer")
    assert not in_home(bob, lost.uri)
    assert not announced(peer, lost.uri)
    # The group's page lists its threads: the kept one, not the removed one.
    threads = api(hub, people["mod_token"], "GET", f"/api/v1/groups/{group.id}/threads")
    uris = [s["uri"] for s in threads]
    assert thread.uri in uris and doomed.uri not in uris and kept.uri not in uris
    with urllib.request.urlopen(f"{hub.base}/@practice", timeout=30) as resp:
        page = resp.read().decode()
    assert "a thread worth keeping" in page and "off-topic advert" not in page and "Be kind" in page


def test_a_remote_groups_announce_of_a_create_reaches_its_members_homes(nodes, people):
    """Lemmy's way: a community Announces the whole Create of a member's post."""
    acme, lemmy, alice = nodes["acme"], nodes["lemmy"], people["alice"]
    community, sally = lemmy.add_actor("community"), lemmy.add_actor("sally")
    community.extra["type"] = "Group"
    group = alice.search(community.uri, resolve=True, result_type="accounts").accounts[0]
    assert group.group is True
    alice.account_follow(group.id)
    sent = eventually(lambda: [r.body for r in lemmy.posts_to() if r.body.get("type") == "Follow"],
                      message="alice's Follow at the community")
    accept = {"@context": AS_CONTEXT, "id": f"{community.uri}/accepts/1", "type": "Accept",
              "actor": community.uri, "object": sent[0]}
    assert post_signed(acme.base, "acme.test", "/inbox", accept, community)[0] == 202
    eventually(lambda: alice.account_relationships(group.id)[0].following, message="the Accept")

    page = lemmy.serve(note(sally, "Hello forum!", type="Page", name="Hello forum", audience=community.uri,
                            to=[community.uri, "https://www.w3.org/ns/activitystreams#Public"], cc=[]))
    announce = {"@context": AS_CONTEXT, "id": f"{community.uri}/announces/1", "type": "Announce",
                "actor": community.uri, "object": create(sally, page), "audience": community.uri,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{community.uri}/followers"]}
    assert post_signed(acme.base, "acme.test", "/inbox", announce, community)[0] == 202
    shown = eventually(lambda: next((s for s in alice.timeline_home() if s.reblog and s.reblog.uri == page["id"]),
                                    None), message="sally's post in alice's home")
    assert shown.account.acct == "community@lemmy.test" and "Hello forum!" in shown.reblog.content

    # A group cannot forge a post by someone on another server: without a proof by its author, the
    # post is taken from its origin, which has never heard of it.
    bob_uri = "http://globex.test/users/bob"
    forged = note(sally, "Bob says: send me your password", attributedTo=bob_uri)
    forged["id"] = f"{bob_uri}/statuses/1"
    forgery = {**announce, "id": f"{community.uri}/announces/2",
               "object": {**create(sally, forged), "actor": bob_uri, "id": f"{bob_uri}/statuses/1/activity"}}
    assert post_signed(acme.base, "acme.test", "/inbox", forgery, community)[0] == 202
    later = lemmy.serve(note(sally, "A later post", type="Page", name="Later", audience=community.uri))
    assert post_signed(acme.base, "acme.test", "/inbox", {**announce, "id": f"{community.uri}/announces/3",
                                                          "object": create(sally, later)}, community)[0] == 202
    eventually(lambda: in_home(alice, later["id"]), message="the community's later post")
    assert not in_home(alice, forged["id"])


def test_people_create_groups_only_where_the_node_allows_it(nodes, people):
    hub = nodes["hub"]
    request = urllib.request.Request(
        hub.base + "/api/v1/groups", method="POST", data=json.dumps({"name": "mine", "title": "Mine"}).encode(),
        headers={"Authorization": f"Bearer {people['dana_token']}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    assert "--join" in hub.cli("group", "create", "--help")


def test_a_post_its_author_deletes_leaves_every_members_home(nodes, people, peer):
    hub = nodes["hub"]
    alice, bob = people["alice"], people["bob"]
    post = bob.status_post(f"@practice@{hub.domain} a draft I will take back")
    eventually(lambda: in_home(alice, post.uri), message="bob's post at alice's")
    bob.status_delete(post.id)
    # alice does not follow bob: only the group's Undo of its Announce tells her server.
    eventually(lambda: not in_home(alice, post.uri), message="bob's post gone from alice's home")
    eventually(lambda: [a for a in control(peer, "inbox") if a.get("type") == "Undo"
                        and isinstance(a.get("object"), dict) and a["object"].get("object") == post.uri],
               message="the Undo of the Announce at the peer")
    eventually(lambda: announced(peer, post.uri, "Delete"), message="the Announce{Delete} at the peer")


def test_edits_of_a_relayed_post_reach_every_member(nodes, people, peer):
    """The group forwards its author's Update (Announce{Update}); alice's server, which does not
    follow bob, takes the edit from bob's server."""
    hub, alice, bob = nodes["hub"], people["alice"], people["bob"]
    post = bob.status_post(f"@practice@{hub.domain} first draft of the runbook")
    eventually(lambda: in_home(alice, post.uri), message="bob's post at alice's")
    bob.status_update(post.id, status=f"@practice@{hub.domain} second draft of the runbook")
    eventually(lambda: announced(peer, post.uri, "Update"), message="the Announce{Update} at the peer")

    def edited():
        shown = next((s for s in alice.timeline_home(limit=40) if s.reblog and s.reblog.uri == post.uri), None)
        return shown is not None and "second draft" in shown.reblog.content
    eventually(edited, message="the edit at alice's")
    # A member's like goes to the group too, which announces it (Lemmy counts votes so).
    at_alice = alice.search(post.uri, resolve=True, result_type="statuses").statuses[0]
    alice.status_favourite(at_alice.id)
    eventually(lambda: announced(peer, post.uri, "Like"), message="the Announce{Like} at the peer")


def test_a_post_naming_the_group_as_audience_and_a_reply_in_its_thread_are_relayed(nodes, people):
    """Lemmy's way of posting in a group (the group only in `audience`), and a Mastodon user's
    reply in a group thread that neither mentions the group nor names its audience."""
    hub, lemmy, alice, dana = nodes["hub"], nodes["lemmy"], people["alice"], people["dana"]
    group_uri = f"{hub.base}/users/practice"
    sam = lemmy.add_actor("sam")
    assert post_signed(hub.base, hub.domain, "/inbox", follow(sam, group_uri), sam)[0] == 202
    eventually(lambda: [r for r in lemmy.posts_to() if r.body.get("type") == "Accept"
                        and sam.uri in json.dumps(r.body)], message="sam joins")
    posted = lemmy.serve(note(sam, "Posted in the community", audience=group_uri))
    assert post_signed(hub.base, hub.domain, "/inbox", create(sam, posted), sam)[0] == 202
    for name in ("alice", "dana"):
        eventually(lambda: in_home(people[name], posted["id"]), message=f"sam's post at {name}'s")

    thread = dana.status_post(f"@practice@{hub.domain} how do you page on-call?")
    eventually(lambda: in_home(alice, thread.uri), message="dana's thread at alice's")
    reply = lemmy.serve(note(sam, "We page by service owner", inReplyTo=thread.uri,
                             cc=[sam.uri + "/followers", f"{hub.base}/users/dana"],
                             tag=[{"type": "Mention", "href": f"{hub.base}/users/dana"}]))
    assert post_signed(hub.base, hub.domain, "/inbox", create(sam, reply), sam)[0] == 202
    eventually(lambda: in_home(alice, reply["id"]), message="sam's reply at alice's")
