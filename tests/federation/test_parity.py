"""Federation documents as Mastodon and GoToSocial expect them (issue 14), against a live node and a
recording fake remote: image descriptions both ways, walkable reply collections, the instance
actor's collections, remote accounts' age, and actors' aliases and moves."""
from __future__ import annotations

import datetime
import io
import sqlite3

import pytest
from PIL import Image

from tests.rig.databases import _run, create_database, drop_database, postgres_available
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, follow, note, post_signed
from tests.rig.http import AP, api, get_json
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def arena(request, tmp_path_factory):
    database = None
    if request.param == "postgresql":
        reason = postgres_available()
        if reason:
            pytest.skip(reason)
        database = create_database()
    remote = FakeRemote("gts.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"), database=database,
                resolve={"gts.test": remote.port}).start()
    for name in ("alice", "bob", "carol"):
        node.create_user(name)
    node.tokens = {name: node.token(name) for name in ("alice", "bob", "carol")}
    yield node, remote
    node.stop()
    remote.stop()
    if database:
        drop_database(database)


def sql(node: Node, query: str, *args) -> None:
    """A write straight into the node's database (for what no endpoint sets yet)."""
    if node.database is None:
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            db.execute(query.replace("$1", "?").replace("$2", "?"), args)
        return
    import asyncpg

    async def write() -> None:
        conn = await asyncpg.connect(node.database)
        try:
            await conn.execute(query, *args)
        finally:
            await conn.close()
    _run(write())


def path_of(node: Node, uri: str) -> str:
    return node.base + uri.removeprefix(f"http://{NODE}")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, "JPEG")
    return out.getvalue()


# --- 1. Image descriptions ------------------------------------------------------------------------

@pytest.mark.parametrize("shape, attachment, expected", [
    # GoToSocial: the description in `summary`, a file name in `name`
    ("gotosocial", {"name": "IMG_0042.jpg", "summary": "Latency by region, a bar chart"},
     "Latency by region, a bar chart"),
    # Mastodon 4.x sends it in `name` only
    ("mastodon", {"name": "Latency by region, a bar chart"}, "Latency by region, a bar chart"),
    # A blank summary does not hide the name
    ("blank summary", {"name": "Latency by region", "summary": "  "}, "Latency by region"),
])
def test_a_remote_image_description_is_read_from_summary_then_name(arena, shape, attachment, expected):
    node, remote = arena
    # Given a post on a GoToSocial-like server with an image and its description
    author = remote.add_actor("gtsuser")
    doc = remote.serve(note(author, f"look ({shape})", suffix=f"img-{shape.replace(' ', '-')}", attachment=[{
        "type": "Document", "mediaType": "image/jpeg", "url": f"{remote.base}/media/{shape[:3]}.jpg",
        **attachment}]))
    alice = node.mastodon(node.tokens["alice"])
    # When alice looks it up on her node
    [found] = alice.search(doc["id"], resolve=True, result_type="statuses").statuses
    # Then the image carries the description its author wrote
    assert [m.description for m in found.media_attachments] == [expected]


def test_our_images_carry_the_description_in_name_and_summary(arena):
    node, _ = arena
    alice = node.mastodon(node.tokens["alice"])
    # Given alice posts an image with a description
    media = alice.media_post(jpeg(), mime_type="image/jpeg", description="A red square")
    post = alice.status_post("red", media_ids=[media.id])
    # When another server fetches the post
    status, doc = get_json(path_of(node, post.uri), accept=AP)
    # Then Mastodon (`name`) and GoToSocial (`summary`) each find the description where they read it
    assert status == 200
    [attachment] = doc["attachment"]
    assert attachment["name"] == attachment["summary"] == "A red square"


# --- 2. Walkable replies --------------------------------------------------------------------------

def walk(node: Node, collection_url: str) -> tuple[dict, list[str]]:
    """Every reply id, following `first` and each `next` as a remote server does."""
    status, collection = get_json(collection_url, accept=AP)
    assert status == 200 and collection["type"] == "Collection"
    return collection, walk_pages(node, collection["first"], collection["id"])


def walk_pages(node: Node, page, collection_id: str) -> list[str]:  # noqa: ANN001
    """The items of a page (embedded or by URL) and of every page its `next` links lead to."""
    items, seen = [], set()
    while True:
        if isinstance(page, str):
            status, page = get_json(path_of(node, page), accept=AP)
            assert status == 200
        assert page["type"] == "CollectionPage" and page["partOf"] == collection_id
        assert page.get("id") not in seen
        seen.add(page.get("id"))
        items += page["items"]
        if "next" not in page:
            return items
        page = page["next"]


def test_a_thread_can_be_walked_page_by_page_with_only_the_public_replies(arena):
    node, remote = arena
    alice, bob, carol = (node.mastodon(node.tokens[n]) for n in ("alice", "bob", "carol"))
    # Given a post with 61 public or unlisted replies by its author and others, and replies that
    # are not for everyone
    parent = alice.status_post("What should we measure first?")
    public = []
    for n in range(61):
        who = (alice, bob, carol)[n % 3]
        public.append(who.status_post(f"reply {n}", in_reply_to_id=parent.id,
                                      visibility="unlisted" if n % 2 else "public").uri)
    hidden = [bob.status_post("for followers", in_reply_to_id=parent.id, visibility="private").uri,
              carol.status_post("@alice just us", in_reply_to_id=parent.id, visibility="direct").uri]
    gone = carol.status_post("regretted", in_reply_to_id=parent.id)
    carol.status_delete(gone.id)
    # When a remote server follows the Note's `replies` to its pages
    _, doc = get_json(path_of(node, parent.uri), accept=AP)
    # (GoToSocial starts from the page embedded in the Note, older Mastodon reads only its items)
    embedded = doc["replies"]["first"]
    assert embedded["items"] == public[:5] and embedded["next"].startswith(doc["replies"]["id"] + "?page=true&")
    assert walk_pages(node, embedded, doc["replies"]["id"]) == public
    collection, items = walk(node, path_of(node, doc["replies"]["id"]))
    # Then it finds every public and unlisted reply once, oldest first, over two pages, and nothing else
    assert items == public
    assert not set(hidden + [gone.uri]) & set(items)
    assert "next" in collection["first"] and len(collection["first"]["items"]) == 60
    # And a page is also served on its own, from its `first` link
    status, first = get_json(path_of(node, collection["first"]["id"]), accept=AP)
    assert status == 200 and first["items"] == public[:60] and first["id"] == doc["replies"]["id"] + "?page=true"


@pytest.mark.parametrize("query", ["?page=true&min_id=abc", "?page=true&min_id=-1",
                                   "?page=true&min_id=99999999999999999999999", "?min_id=5"])
def test_a_malformed_replies_page_is_a_400(arena, query):
    node, _ = arena
    alice = node.mastodon(node.tokens["alice"])
    post = alice.status_post("a post")
    status, body = get_json(path_of(node, post.uri) + "/replies" + query, accept=AP)
    assert status == 400 and "error" in body


def test_the_replies_of_a_post_nobody_may_see_are_not_served(arena):
    node, _ = arena
    alice = node.mastodon(node.tokens["alice"])
    private = alice.status_post("for followers", visibility="private")
    assert get_json(path_of(node, private.uri) + "/replies", accept=AP)[0] == 404
    assert get_json(path_of(node, private.uri) + "/replies?page=true", accept=AP)[0] == 404


# --- 3. The instance actor's collections ----------------------------------------------------------

def test_the_instance_actor_serves_an_outbox_and_its_collections(arena):
    node, _ = arena
    # Given the node's own actor
    status, actor = get_json(node.base + "/actor", accept=AP)
    assert status == 200 and actor["type"] == "Application"
    # When a server (GoToSocial) reads its collections
    for key in ("outbox", "followers", "following", "featured"):
        url = actor[key]
        # Then each is a real, served collection on this node
        assert isinstance(url, str) and url.startswith(f"http://{NODE}/actor/"), key
        status, collection = get_json(path_of(node, url), accept=AP)
        assert status == 200 and collection["id"] == url, key
        assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 0, key
    status, page = get_json(path_of(node, actor["outbox"]) + "?page=1", accept=AP)
    assert status == 200 and page["type"] == "OrderedCollectionPage" and page["orderedItems"] == []


# --- 4. Remote accounts' age ----------------------------------------------------------------------

@pytest.mark.parametrize("username, published, expected", [
    ("veteran", "2017-04-02T09:30:00Z", "2017-04-02"),
    ("timetraveller", "9999-01-01T00:00:00Z", None),  # held to at most a day ahead
    ("ancient", "0001-01-01T00:00:00Z", "2000-01-01"),  # held to 2000, as post dates are
])
def test_a_remote_account_shows_the_date_its_server_gives(arena, username, published, expected):
    node, remote = arena
    # Given an actor that says when it was created
    remote.add_actor(username).extra["published"] = published
    # When alice finds it
    alice = node.mastodon(node.tokens["alice"])
    [found] = alice.search(f"{username}@gts.test", resolve=True, result_type="accounts").accounts
    # Then its account shows that date, not when this node first saw it
    seen = found.created_at
    if expected:
        assert seen.strftime("%Y-%m-%d") == expected
    else:
        assert seen <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1, minutes=1)


def test_a_remote_account_without_a_date_shows_when_it_was_first_seen(arena):
    node, remote = arena
    remote.add_actor("undated")
    alice = node.mastodon(node.tokens["alice"])
    [found] = alice.search("undated@gts.test", resolve=True, result_type="accounts").accounts
    assert abs((datetime.datetime.now(datetime.timezone.utc) - found.created_at).days) <= 1


def test_local_actors_say_when_they_were_created(arena):
    node, _ = arena
    _, actor = get_json(node.base + "/users/bob", accept=AP)
    status, account = api(node.base, node.tokens["alice"], "GET", "/api/v1/accounts/lookup?acct=bob")
    assert status == 200
    assert actor["published"][:10] == account["created_at"][:10]


# --- 5. Aliases and moves -------------------------------------------------------------------------

def test_a_remote_account_that_moved_shows_where_it_went(arena):
    node, remote = arena
    # Given an expert who moved from one account to another, both served by their server
    new = remote.add_actor("expert2")
    new.extra["alsoKnownAs"] = [f"{remote.base}/users/expert1"]
    old = remote.add_actor("expert1")
    old.extra["movedTo"] = new.uri
    old.extra["alsoKnownAs"] = ["javascript:alert(1)", {"id": f"{remote.base}/users/expert0"}]
    alice = node.mastodon(node.tokens["alice"])
    [found_new] = alice.search("expert2@gts.test", resolve=True, result_type="accounts").accounts
    # When alice opens the old account
    [found_old] = alice.search("expert1@gts.test", resolve=True, result_type="accounts").accounts
    status, shown = api(node.base, node.tokens["alice"], "GET", f"/api/v1/accounts/{found_old.id}")
    # Then it points at the new one
    assert status == 200 and shown["moved"]["id"] == str(found_new.id)
    assert shown["moved"]["acct"] == "expert2@gts.test"
    status, looked_up = api(node.base, node.tokens["alice"], "GET", "/api/v1/accounts/lookup?acct=expert1@gts.test")
    assert looked_up["moved"]["id"] == str(found_new.id)
    # And the new one, which has not moved, has no `moved`
    status, shown_new = api(node.base, node.tokens["alice"], "GET", f"/api/v1/accounts/{found_new.id}")
    assert "moved" not in shown_new


def test_a_confirmed_move_shows_on_the_old_account(arena):
    node, remote = arena
    # Given an account alice knows, whose document does not (yet) say it moved
    old = remote.add_actor("mover1")
    new = remote.add_actor("mover2")
    new.extra["alsoKnownAs"] = [old.uri]
    alice = node.mastodon(node.tokens["alice"])
    [found_old] = alice.search("mover1@gts.test", resolve=True, result_type="accounts").accounts
    # When it announces its move to an account that names it as an alias
    move = {"@context": AS_CONTEXT, "id": f"{old.uri}#move", "type": "Move", "actor": old.uri,
            "object": old.uri, "target": new.uri}
    assert post_signed(node.base, NODE, "/inbox", move, old)[0] == 202
    # Then its profile on alice's node points at the new account
    shown = eventually(lambda: (body := api(node.base, node.tokens["alice"], "GET",
                                            f"/api/v1/accounts/{found_old.id}")[1]).get("moved") and body,
                       message="the old account shows its move")
    assert shown["moved"]["acct"] == "mover2@gts.test"


def test_a_local_actor_serves_its_aliases_and_move(arena):
    node, remote = arena
    # Given carol's account lists an alias and has moved (set directly: moving out is not built yet)
    elsewhere = f"{remote.base}/users/carol"
    sql(node, "UPDATE accounts SET also_known_as = $1, moved_to_uri = $2 WHERE username = 'carol' AND domain IS NULL",
        f'["{elsewhere}"]', elsewhere)
    # When a server fetches her actor document
    _, actor = get_json(node.base + "/users/carol", accept=AP)
    # Then it carries both, as Mastodon's do
    assert actor["alsoKnownAs"] == [elsewhere] and actor["movedTo"] == elsewhere
    _, bob = get_json(node.base + "/users/bob", accept=AP)
    assert "alsoKnownAs" not in bob and "movedTo" not in bob


# --- 6. Boosts and their Undo ---------------------------------------------------------------------

def received(remote: FakeRemote, kind: str, actor_uri: str) -> list[dict]:
    return [r.body for r in remote.received if r.body.get("type") == kind and r.body.get("actor") == actor_uri]


@pytest.mark.parametrize("visibility, to, cc", [
    ("public", [PUBLIC], ["{followers}", "{author}"]),
    ("unlisted", ["{followers}"], [PUBLIC, "{author}"]),
    ("private", ["{followers}"], ["{author}"]),
])
def test_an_undone_boost_carries_the_whole_announce_as_mastodon_sends_it(arena, visibility, to, cc):
    node, remote = arena
    alice, bob = (node.mastodon(node.tokens[n]) for n in ("alice", "bob"))
    # Given a reader on another server who follows bob
    reader = remote.add_actor(f"reader{visibility}")
    assert post_signed(node.base, NODE, "/inbox", follow(reader, f"http://{NODE}/users/bob"), reader)[0] == 202
    eventually(lambda: any(r.body.get("type") == "Accept" and r.body["object"]["actor"] == reader.uri
                           for r in remote.received), message="bob accepts the reader")
    # And bob boosts alice's post with a visibility
    post = alice.status_post(f"worth sharing ({visibility})")
    status, boost = api(node.base, node.tokens["bob"], "POST", f"/api/v1/statuses/{post.id}/reblog",
                        {"visibility": visibility})
    assert status == 200 and boost["visibility"] == visibility
    bob_uri = f"http://{NODE}/users/bob"
    names = {"{followers}": bob_uri + "/followers", "{author}": f"http://{NODE}/users/alice"}
    announce = eventually(lambda: next((a for a in received(remote, "Announce", bob_uri)
                                        if a["object"] == post.uri), None), message="the Announce")
    assert announce["to"] == [names.get(x, x) for x in to] and announce["cc"] == [names.get(x, x) for x in cc]
    # And the boost served on its own id is that same Announce (a private one only to who may see it)
    status, served = get_json(path_of(node, announce["id"]), accept=AP)
    if visibility == "private":
        assert status == 404
    else:
        assert {k: served[k] for k in ("id", "type", "actor", "object", "to", "cc")} == \
            {k: announce[k] for k in ("id", "type", "actor", "object", "to", "cc")}
    # When bob withdraws the boost
    bob.status_unreblog(post.id)
    undo = eventually(lambda: next((u for u in received(remote, "Undo", bob_uri)
                                    if isinstance(u["object"], dict) and u["object"].get("id") == announce["id"]),
                                   None), message="the Undo")
    # Then the Undo carries the whole Announce, addressing included, so a server that no longer has
    # the boost (GoToSocial) can still accept it
    inner = {k: v for k, v in undo["object"].items() if k != "@context"}
    assert {k: inner.get(k) for k in ("id", "type", "actor", "object", "to", "cc")} == \
        {k: announce[k] for k in ("id", "type", "actor", "object", "to", "cc")}
    assert undo["to"] == announce["to"] and undo["id"] != announce["id"]


@pytest.mark.parametrize("visibility", ["direct", "local", "everyone", ""])
def test_a_boost_with_a_visibility_mastodon_does_not_offer_is_a_422(arena, visibility):
    node, _ = arena
    alice = node.mastodon(node.tokens["alice"])
    post = alice.status_post(f"boost me ({visibility or 'empty'})")
    status, body = api(node.base, node.tokens["bob"], "POST", f"/api/v1/statuses/{post.id}/reblog",
                       {"visibility": visibility} if visibility else {"visibility": 5})
    assert status == 422 and "error" in body
    assert alice.status(post.id).reblogs_count == 0
