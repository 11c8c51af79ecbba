"""Quote posts with consent (FEP-044f, as Mastodon 4.5), between two live nodes: alice@acme quotes
bob@globex's posts, carol@globex quotes them on bob's own node.

The quoted author's policy decides: public posts are accepted automatically (a QuoteRequest,
answered by an Accept whose QuoteAuthorization globex serves), a post only bob may quote is refused
(422) where the quoter's node knows it and rejected where it did not; followers-only posts cannot be
quoted; bob can revoke a quote, and it shows as revoked on both nodes, its content never shown."""
from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import pytest

from tests.rig.databases import create_database, drop_database, postgres_available
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, note, post_signed, raw_request
from tests.rig.http import api
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people

DOMAINS = ["acme.test", "globex.test"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # globex (where the authorizations are issued and the quotes counted) runs on PostgreSQL when one
    # answers, acme on SQLite.
    databases = {} if postgres_available() else {"globex.test": create_database()}
    remote = FakeRemote("remote.test").start()  # a third party's server, whose quotes acme checks
    nodes = start_cluster(DOMAINS, tmp_path_factory.mktemp("quotes"), databases=databases,
                          also_resolve={"remote.test": remote.port})
    acme, globex = (nodes[d] for d in DOMAINS)
    tokens = {**{n: (acme, t) for n, t in make_people(acme, ["alice", "dave"]).items()},
              **{n: (globex, t) for n, t in make_people(globex, ["bob", "carol"]).items()}}
    yield {**tokens, "remote": remote}
    for node in nodes.values():
        node.stop()
    remote.stop()
    for database in databases.values():
        drop_database(database)


def call(world, who, method, path, body=None, expect=200):  # noqa: ANN001, ANN201
    node, token = world[who]
    status, data = api(node.base, token, method, path, body)
    assert status == expect, (method, path, status, data)
    return data


def resolve(world, who, uri) -> dict:  # noqa: ANN001
    """The status `uri` as `who`'s node knows it (fetched from its origin if need be)."""
    found = call(world, who, "GET", f"/api/v2/search?resolve=true&type=statuses&q={quote(uri, safe='')}")
    assert found["statuses"], f"{who} cannot find {uri}"
    return found["statuses"][0]


def ap_get(world, url, accept="application/activity+json") -> tuple[int, dict | str]:  # noqa: ANN001
    """GET an ActivityPub document (or with `accept`, a page) from the node whose domain its URL names."""
    nodes = {entry[0].domain: entry[0] for entry in world.values() if isinstance(entry, tuple)}
    parts = urlsplit(url)
    status, text = raw_request(nodes[parts.hostname].base + parts.path, "GET", {"Accept": accept})
    return status, json.loads(text) if status == 200 and "json" in accept else text


def quote_of(world, who, status_id) -> dict:  # noqa: ANN001
    return call(world, who, "GET", f"/api/v1/statuses/{status_id}")["quote"]


def test_a_public_post_quoted_from_another_node_is_accepted_on_both_then_revoked(world):
    # Given bob's public post on globex, which alice's node fetches
    post = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Postmortems should be blameless"})
    assert post["quote_approval"] == {"automatic": ["public"], "manual": [], "current_user": "automatic"}
    at_acme = resolve(world, "alice", post["uri"])
    assert at_acme["quote_approval"]["current_user"] == "automatic"
    # When alice quotes it: pending until bob's node answers her QuoteRequest
    mine = call(world, "alice", "POST", "/api/v1/statuses", {"status": "Agreed, and here is why",
                                                              "quoted_status_id": at_acme["id"]})
    assert mine["quote"] == {"state": "pending", "quoted_status": None}
    assert "quote-inline" in mine["content"] and post["url"] in mine["content"]
    # Then it is accepted on alice's node, showing bob's post …
    accepted = eventually(lambda: (q := quote_of(world, "alice", mine["id"]))["state"] == "accepted" and q,
                          message="the quote is accepted on acme")
    assert accepted["quoted_status"]["uri"] == post["uri"]
    assert accepted["quoted_status"]["quote"] is None
    page = ap_get(world, mine["url"], "text/html")[1]  # the web shows it too, below alice's text
    assert '<blockquote class="quoted"' in page and "Postmortems should be blameless" in page
    # … her Note names the authorization, which bob's node serves and which names both posts …
    status, note = ap_get(world, mine["uri"])
    assert note["quote"] == note["quoteUri"] == note["_misskey_quote"] == post["uri"]
    assert note["interactionPolicy"]["canQuote"]["automaticApproval"] == ["https://www.w3.org/ns/activitystreams#Public"]
    status, stamp = ap_get(world, note["quoteAuthorization"])
    assert status == 200, stamp
    assert (stamp["type"], stamp["interactingObject"], stamp["interactionTarget"]) == (
        "QuoteAuthorization", mine["uri"], post["uri"])
    # … and bob is told, sees the quote accepted on his own node and counts it
    notified = eventually(lambda: [n for n in call(world, "bob", "GET", "/api/v1/notifications")
                                   if n["type"] == "quote"], message="bob's quote notification")
    quote_at_globex = notified[0]["status"]
    assert quote_at_globex["uri"] == mine["uri"]
    assert quote_at_globex["quote"]["state"] == "accepted"
    assert quote_at_globex["quote"]["quoted_status"]["id"] == post["id"]
    assert [s["uri"] for s in call(world, "bob", "GET", f"/api/v1/statuses/{post['id']}/quotes")] == [mine["uri"]]
    assert call(world, "bob", "GET", f"/api/v1/statuses/{post['id']}")["quotes_count"] == 1
    call(world, "carol", "GET", f"/api/v1/statuses/{post['id']}/quotes", expect=403)  # bob's alone
    # When bob edits his post, alice hears of it, with her quote (Mastodon's quoted_update)
    call(world, "bob", "PUT", f"/api/v1/statuses/{post['id']}", {"status": "Postmortems must be blameless"})
    edited = eventually(lambda: [n for n in call(world, "alice", "GET", "/api/v1/notifications")
                                 if n["type"] == "quoted_update"], message="alice's quoted_update notification")
    assert edited[0]["status"]["id"] == mine["id"]
    assert "must be" in edited[0]["status"]["quote"]["quoted_status"]["content"]

    # When bob revokes it
    revoked = call(world, "bob", "POST", f"/api/v1/statuses/{post['id']}/quotes/{quote_at_globex['id']}/revoke")
    # Then it shows as revoked on both nodes, without bob's post, and the authorization is gone
    assert revoked["quote"] == {"state": "revoked", "quoted_status": None}
    eventually(lambda: quote_of(world, "alice", mine["id"]) == {"state": "revoked", "quoted_status": None},
               message="the quote is revoked on acme")
    assert ap_get(world, note["quoteAuthorization"])[0] == 404
    page = ap_get(world, mine["url"], "text/html")[1]
    assert "Its author removed this quote." in page and "blameless" not in page
    assert call(world, "bob", "GET", f"/api/v1/statuses/{post['id']}/quotes") == []
    assert call(world, "bob", "GET", f"/api/v1/statuses/{post['id']}")["quotes_count"] == 0


def test_a_quoted_post_deleted_shows_as_deleted_where_it_was_quoted(world):
    post = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Soon gone"})
    at_acme = resolve(world, "alice", post["uri"])
    mine = call(world, "alice", "POST", "/api/v1/statuses", {"status": "Noted", "quoted_status_id": at_acme["id"]})
    eventually(lambda: quote_of(world, "alice", mine["id"])["state"] == "accepted", message="accepted")
    call(world, "bob", "DELETE", f"/api/v1/statuses/{post['id']}")
    # alice does not follow bob: the Delete reaches acme because she quoted it
    eventually(lambda: quote_of(world, "alice", mine["id"]) == {"state": "deleted", "quoted_status": None},
               message="the quote shows its post deleted")


def test_who_may_quote_is_the_quoted_authors_choice(world):
    # A post only bob may quote: alice's node knows it and refuses at once
    only_bob = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Mine alone",
                                                                "quote_approval_policy": "nobody"})
    assert only_bob["quote_approval"]["automatic"] == []
    at_acme = resolve(world, "alice", only_bob["uri"])
    assert at_acme["quote_approval"]["current_user"] == "denied"
    call(world, "alice", "POST", "/api/v1/statuses", {"status": "x", "quoted_status_id": at_acme["id"]}, expect=422)
    # Followers only: carol does not follow bob
    followers = call(world, "bob", "POST", "/api/v1/statuses", {"status": "For followers to quote",
                                                                 "quote_approval_policy": "followers"})
    call(world, "carol", "POST", "/api/v1/statuses", {"status": "x", "quoted_status_id": followers["id"]},
         expect=422)
    # bob may quote himself whatever his policy
    own = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Me again", "quoted_status_id": only_bob["id"]})
    assert own["quote"]["state"] == "accepted"

    # carol's default for new posts (source[quote_policy]), as Mastodon 4.5
    me = call(world, "carol", "PATCH", "/api/v1/accounts/update_credentials", {"source": {"quote_policy": "followers"}})
    assert me["source"]["quote_policy"] == "followers"
    assert call(world, "carol", "GET", "/api/v1/preferences")["posting:default:quote_policy"] == "followers"
    assert call(world, "carol", "POST", "/api/v1/statuses", {"status": "defaults"})["quote_approval"]["automatic"] == [
        "followers"]

    # A policy changed after alice's node read it: her QuoteRequest is rejected by bob's node
    changing = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Quote me, for now"})
    at_acme = resolve(world, "alice", changing["uri"])
    changed = call(world, "bob", "PUT", f"/api/v1/statuses/{changing['id']}/interaction_policy",
                   {"quote_approval_policy": "nobody"})
    assert changed["quote_approval"]["automatic"] == []
    mine = call(world, "alice", "POST", "/api/v1/statuses", {"status": "Too late", "quoted_status_id": at_acme["id"]})
    assert mine["quote"]["state"] == "pending"
    eventually(lambda: quote_of(world, "alice", mine["id"]) == {"state": "rejected", "quoted_status": None},
               message="the quote is rejected on acme")


def test_followers_only_posts_cannot_be_quoted_and_a_local_quote_is_accepted_at_once(world):
    bob_id = call(world, "carol", "GET", "/api/v1/accounts/lookup?acct=bob")["id"]
    call(world, "carol", "POST", f"/api/v1/accounts/{bob_id}/follow")
    private = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Followers only", "visibility": "private"})
    assert private["quote_approval"] == {"automatic": [], "manual": [], "current_user": "automatic"}
    assert call(world, "carol", "GET", f"/api/v1/statuses/{private['id']}")["quote_approval"]["current_user"] == "denied"
    call(world, "carol", "POST", "/api/v1/statuses", {"status": "x", "quoted_status_id": private["id"]}, expect=422)
    # bob may quote his own followers-only post, in a followers-only quote
    own = call(world, "bob", "POST", "/api/v1/statuses", {"status": "As I said", "quoted_status_id": private["id"]})
    assert (own["visibility"], own["quote"]["state"]) == ("private", "accepted")

    # A quote on bob's own node: accepted at once, bob told
    public = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Write the runbook first"})
    theirs = call(world, "carol", "POST", "/api/v1/statuses", {"status": "+1", "quoted_status_id": public["id"]})
    assert theirs["quote"]["state"] == "accepted"
    assert theirs["quote"]["quoted_status"]["id"] == public["id"]
    assert any(n["type"] == "quote" and n["status"]["id"] == theirs["id"]
               for n in call(world, "bob", "GET", "/api/v1/notifications"))
    # A reader who may not see the quoted post sees the quote's state, never the post
    hidden = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Soon private"})
    quoting = call(world, "carol", "POST", "/api/v1/statuses", {"status": "see", "quoted_status_id": hidden["id"]})
    call(world, "bob", "POST", f"/api/v1/accounts/{quoting['account']['id']}/block")
    assert quote_of(world, "carol", quoting["id"]) == {"state": "unauthorized", "quoted_status": None}


def test_mastodon_py_posts_a_quote(world):
    node, token = world["dave"]
    client = node.mastodon(token)
    post = call(world, "bob", "POST", "/api/v1/statuses", {"status": "Observability is a team sport"})
    at_acme = resolve(world, "dave", post["uri"])
    mine = client.status_post("Indeed", quoted_status_id=at_acme["id"])
    assert mine.quote.state == "pending"
    eventually(lambda: client.status(mine.id).quote.state == "accepted", message="dave's quote is accepted")


def test_a_third_partys_quote_counts_only_with_an_authorization_the_quoted_authors_server_serves(world):
    remote = world["remote"]
    yves, zoe = remote.add_actor("yves"), remote.add_actor("zoe")
    quoted = remote.serve({"@context": AS_CONTEXT, **note(yves, "The original", suffix="original")})

    def quote_post(suffix, **extra):  # noqa: ANN001, ANN003, ANN202
        post = note(zoe, f"Quoting ({suffix})", suffix=suffix, quote=quoted["id"], **extra)
        status, text = post_signed(world["alice"][0].base, "acme.test", "/inbox", create(zoe, post), zoe)
        assert status == 202, text
        return eventually(lambda: resolve(world, "alice", post["id"]), message=f"{suffix} arrives")

    def stamp(suffix, interacting):  # noqa: ANN001, ANN202
        return remote.serve({"@context": AS_CONTEXT, "id": f"{yves.uri}/stamps/{suffix}", "type": "QuoteAuthorization",
                             "attributedTo": yves.uri, "interactingObject": interacting,
                             "interactionTarget": quoted["id"]})["id"]

    # An authorization yves's server serves, naming zoe's post: accepted, and the quoted post fetched
    good = quote_post("good", quoteAuthorization=stamp("good", f"{zoe.uri}/statuses/good"))
    assert good["quote"]["state"] == "accepted"
    assert good["quote"]["quoted_status"]["uri"] == quoted["id"]
    # One that names another post, one that is not served, none at all: the quote is not shown
    assert quote_post("other", quoteAuthorization=stamp("other", f"{zoe.uri}/statuses/good"))["quote"] == {
        "state": "pending", "quoted_status": None}
    assert quote_post("missing", quoteAuthorization=f"{yves.uri}/stamps/nowhere")["quote"]["state"] == "pending"
    assert quote_post("bare")["quote"]["state"] == "pending"
    # Misskey's and Fedibird's spellings name the quoted post too
    misskey = note(zoe, "Old style", suffix="misskey", _misskey_quote=quoted["id"])
    post_signed(world["alice"][0].base, "acme.test", "/inbox", create(zoe, misskey), zoe)
    assert eventually(lambda: resolve(world, "alice", misskey["id"]))["quote"]["state"] == "pending"

    # yves deletes the authorization: the quote is revoked
    revoke = {"@context": AS_CONTEXT, "id": f"{yves.uri}/stamps/good#delete", "type": "Delete", "actor": yves.uri,
              "object": {"id": f"{yves.uri}/stamps/good", "type": "QuoteAuthorization"}}
    status, text = post_signed(world["alice"][0].base, "acme.test", "/inbox", revoke, yves)
    assert status == 202, text
    eventually(lambda: quote_of(world, "alice", good["id"]) == {"state": "revoked", "quoted_status": None},
               message="the quote is revoked")
