"""A tour of the client API with Mastodon.py against real `backchannel serve` processes: every
endpoint group a client uses, checked for content, not just for answering. acme.test is the node
under test; globex.test is a second node whose user follows alice, so acme has a peer."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.rig.clients import mastodon_py
from tests.rig.nodes import Node, eventually, free_port


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):  # noqa: ANN001, ANN201
    ports = {"acme.test": free_port(), "globex.test": free_port()}
    acme = Node(domain="acme.test", port=ports["acme.test"], data=tmp_path_factory.mktemp("acme"),
                resolve={"globex.test": ports["globex.test"]})
    globex = Node(domain="globex.test", port=ports["globex.test"], data=tmp_path_factory.mktemp("globex"),
                  resolve={"acme.test": ports["acme.test"]})
    acme.start()
    globex.start()
    for name in ("alice", "bob"):
        acme.create_user(name)
    acme.create_user("carol", "--locked")
    globex.create_user("guru")
    yield acme, globex
    acme.stop()
    globex.stop()


@pytest.fixture(scope="module")
def acme(nodes):  # noqa: ANN001, ANN201
    return nodes[0]


@pytest.fixture(scope="module")
def clients(acme):  # noqa: ANN001, ANN201
    return {name: mastodon_py(acme, acme.token(name)) for name in ("alice", "bob", "carol")}


def test_accounts_and_relationships(clients):
    alice, bob = clients["alice"], clients["bob"]
    me = alice.account_verify_credentials()
    assert me.acct == "alice" and me.source.privacy == "public"
    bob_account = alice.account_lookup("bob")
    assert bob_account.username == "bob" and alice.account(bob_account.id).acct == "bob"
    alice.account_follow(bob_account.id)
    rel = eventually(lambda: alice.account_relationships(bob_account.id)[0], message="relationship")
    assert rel.following and not rel.followed_by
    assert [a.acct for a in bob.account_followers(bob.me().id)] == ["alice"]
    assert [a.acct for a in alice.account_following(me.id)] == ["bob"]
    assert "bob" in [a.acct for a in alice.account_search("bob")]


def test_statuses_timelines_and_pagination(clients):
    alice, bob = clients["alice"], clients["bob"]
    bob_id = alice.account_lookup("bob").id
    if not alice.account_relationships(bob_id)[0].following:
        alice.account_follow(bob_id)
    posted = [bob.status_post(f"tour post {i} #tour") for i in range(7)]
    first = eventually(lambda: (page := alice.timeline_home(limit=3)) and page[0].id == posted[-1].id and page,
                       message="bob's posts on alice's home timeline")
    assert [s.id for s in first] == [s.id for s in reversed(posted[-3:])]
    second = alice.fetch_next(first)
    assert [s.id for s in second] == [s.id for s in reversed(posted[1:4])]
    third = alice.fetch_next(second)
    assert third[0].id == posted[0].id
    assert [s.id for s in alice.fetch_previous(second)] == [s.id for s in reversed(posted[-3:])]

    reply = alice.status_post("a reply", in_reply_to_id=posted[0].id)
    context = alice.status_context(posted[0].id)
    assert [s.id for s in context.descendants] == [reply.id]
    edited = bob.status_update(posted[0].id, "tour post 0, edited")
    assert "edited" in edited.content and edited.edited_at is not None
    assert len(bob.status_history(posted[0].id)) == 2
    assert bob.status_source(posted[0].id).text == "tour post 0, edited"
    assert posted[1].id in [s.id for s in alice.timeline_hashtag("tour", limit=40)]
    assert posted[1].id in [s.id for s in alice.timeline_public(local=True, limit=40)]
    assert [s.id for s in alice.account_statuses(bob_id, limit=2)] == [s.id for s in reversed(posted[-2:])]


def test_favourites_boosts_bookmarks_pins(clients):
    alice, bob = clients["alice"], clients["bob"]
    post = bob.status_post("worth keeping")
    assert alice.status_favourite(post.id).favourited
    assert alice.status_reblog(post.id).reblog.id == post.id
    assert alice.status_bookmark(post.id).bookmarked
    assert [a.acct for a in bob.status_favourited_by(post.id)] == ["alice"]
    assert [a.acct for a in bob.status_reblogged_by(post.id)] == ["alice"]
    assert post.id in [s.id for s in alice.favourites()]
    assert [s.id for s in alice.bookmarks()][0] == post.id
    assert bob.status_pin(post.id).pinned
    assert [s.id for s in alice.account_statuses(bob.me().id, pinned=True)] == [post.id]
    alice.status_unbookmark(post.id)
    assert post.id not in [s.id for s in alice.bookmarks()]


def test_notifications_v1_and_grouped(clients):
    alice, bob, carol = clients["alice"], clients["bob"], clients["carol"]
    post = alice.status_post("notify me")
    bob.status_favourite(post.id)
    carol.status_favourite(post.id)
    bob.status_post("@alice ping")
    notes = alice.notifications()
    assert [n.type for n in notes[:3]] == ["mention", "favourite", "favourite"]
    assert alice.notifications_unread_count().count >= 3

    grouped = alice.grouped_notifications(grouped_types=["favourite", "reblog", "follow"])
    groups = grouped.notification_groups
    assert groups[0].type == "mention"
    favourites = groups[1]
    assert favourites.type == "favourite" and favourites.notifications_count == 2
    assert favourites.status_id == post.id
    accts = {a.id: a.acct for a in grouped.accounts}
    assert [accts[i] for i in favourites.sample_account_ids] == ["carol", "bob"]
    assert post.id in [s.id for s in grouped.statuses]
    assert alice.grouped_notification(favourites.group_key).notification_groups[0].notifications_count == 2
    assert [a.acct for a in alice.grouped_notification_accounts(favourites.group_key)] == ["carol", "bob"]
    assert alice.unread_grouped_notifications_count() >= 2  # Mastodon.py unwraps {"count": n}

    alice.markers_set("notifications", notes[0].id)
    assert alice.markers_get("notifications")["notifications"].last_read_id == notes[0].id
    assert alice.notifications_unread_count().count == 0
    alice.dismiss_grouped_notification(favourites.group_key)
    assert "favourite" not in [n.type for n in alice.notifications()[:3]]


def test_search_lists_and_safety(clients):
    alice, bob = clients["alice"], clients["bob"]
    bob.status_post("searchable needle here #needle")
    bob_id = alice.account_lookup("bob").id
    found = alice.search_v2("bob", resolve=False)
    assert "bob" in [a.acct for a in found.accounts]
    assert "needle" in [t.name for t in alice.search_v2("#needle", resolve=False).hashtags]

    friends = alice.list_create("friends")
    alice.list_accounts_add(friends.id, [bob_id])
    assert [a.acct for a in alice.list_accounts(friends.id)] == ["bob"]
    assert friends.id in [li.id for li in alice.lists()]
    listed = bob.status_post("for my list readers")
    eventually(lambda: listed.id in [s.id for s in alice.timeline_list(friends.id)], message="list timeline")
    alice.list_delete(friends.id)

    alice.account_mute(bob_id)
    assert [a.acct for a in alice.mutes()] == ["bob"]
    alice.account_unmute(bob_id)
    assert alice.mutes() == []
    carol_id = alice.account_lookup("carol").id
    alice.account_block(carol_id)
    assert [a.acct for a in alice.blocks()] == ["carol"]
    alice.account_unblock(carol_id)
    alice.domain_block("spam.example")
    assert alice.domain_blocks() == ["spam.example"]
    alice.domain_unblock("spam.example")
    assert alice.domain_blocks() == []


def test_follow_requests(clients):
    alice, carol = clients["alice"], clients["carol"]
    carol_id = alice.account_lookup("carol").id
    alice.account_follow(carol_id)
    assert alice.account_relationships(carol_id)[0].requested
    requests = eventually(carol.follow_requests, message="the follow request")
    assert [a.acct for a in requests] == ["alice"]
    carol.follow_request_authorize(requests[0].id)
    assert eventually(lambda: alice.account_relationships(carol_id)[0].following, message="accepted")


def test_media_and_polls(clients):
    alice, bob = clients["alice"], clients["bob"]
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(png, "PNG")
    media = alice.media_post(io.BytesIO(png.getvalue()), mime_type="image/png", description="a red square")
    assert media.type == "image" and media.description == "a red square"
    post = alice.status_post("with a picture", media_ids=[media.id])
    assert [m.id for m in post.media_attachments] == [media.id]
    assert post.media_attachments[0].meta.original.width == 40

    asked = alice.status_post("tea or coffee?", poll=alice.make_poll(["tea", "coffee"], expires_in=3600))
    voted = bob.poll_vote(asked.poll.id, [1])
    assert voted.voted and voted.own_votes == [1]
    assert [o.votes_count for o in alice.poll(asked.poll.id).options] == [0, 1]


def test_instance_trends_and_the_rest(nodes, clients):
    acme, globex = nodes
    alice = clients["alice"]
    guru = mastodon_py(globex, globex.token("guru"))
    target = eventually(lambda: guru.search_v2("alice@acme.test", resolve=True).accounts,
                        message="alice resolved from globex")[0]
    guru.account_follow(target.id)
    assert eventually(lambda: acme_peers(alice) == ["globex.test"], message="globex is a peer")

    v1 = alice.instance_v1()
    assert v1.uri == "acme.test" and v1.stats.user_count == 3 and v1.registrations is False
    v2 = alice.instance_v2()
    assert v2.domain == "acme.test" and v2.registrations.enabled is False
    weeks = alice.instance_activity()
    assert len(weeks) == 12 and int(weeks[0].statuses) >= 10 and int(weeks[0].registrations) == 3
    acme.cli("domain", "block", "spam.example", "--severity", "silence", "--public-comment", "noise")
    blocks = alice.instance_domain_blocks()
    assert [(b.domain, b.severity, b.comment) for b in blocks] == [("spam.example", "silence", "noise")]
    assert alice.instance_rules() == []
    assert "A Backchannel node" in alice.instance_extended_description().content

    tags = alice.trending_tags()
    assert "tour" in [t.name for t in tags]
    assert all(len(t.history) == 7 for t in tags)
    trending = alice.trending_statuses()
    assert trending and all(s.favourites_count + s.reblogs_count > 0 for s in trending)
    assert alice.trending_links() == []
    assert alice.custom_emojis() == [] and alice.announcements() == []
    assert alice.preferences()["posting:default:visibility"] == "public"
    assert alice.filters_v2() == []
    assert alice.scheduled_statuses() == []


def acme_peers(client) -> list[str]:  # noqa: ANN001
    return list(client.instance_peers())


def test_the_paths_mastodon_py_sends_with_a_trailing_slash(acme, clients):
    # Mastodon.py asks for these with a final slash (/api/v1/conversations/, /api/v1/reports/,
    # /api/v1/admin/domain_blocks/, /api/v1/instance/): each must reach its endpoint, not a 404
    alice, bob = clients["alice"], clients["bob"]
    bob_account = alice.account_lookup("bob")
    sent = alice.status_post("@bob a word in private", visibility="direct")
    conversation = eventually(lambda: bob.conversations(), message="bob's conversation")[0]
    assert conversation.last_status.id == sent.id and [a.acct for a in conversation.accounts] == ["alice"]
    report = alice.report(bob_account.id, comment="tour report")
    assert report.target_account.acct == "bob" and report.comment == "tour report"

    acme.create_user("tour_admin", "--admin")
    admin = mastodon_py(acme, acme.token("tour_admin", "read write follow admin:read admin:write"))
    block = admin.admin_create_domain_block("tour-spam.example", severity="silence")
    assert block.domain == "tour-spam.example"
    assert "tour-spam.example" in [b.domain for b in admin.admin_domain_blocks()]

    # and the smaller endpoints an app calls
    assert alice.instance_health() is True
    assert "en" in [language.code for language in alice.instance_languages()]
    assert [a.acct for a in alice.accounts([bob_account.id])] == ["bob"]
    made = alice.filter_create("tour spoiler", ["home"])
    assert [f.phrase for f in alice.filters()] == ["tour spoiler"]
    alice.filter_delete(made.id)
