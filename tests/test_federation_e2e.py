"""Three organisations' nodes, real processes on loopback, driven by a real Mastodon client.

alice@acme.test follows guru@globex.test, reads, replies, likes, boosts; carol@initech.test
follows alice and sees the boost; guru edits and deletes; alice unfollows.
"""
import pytest
from mastodon import MastodonNotFoundError

from tests.rig.nodes import eventually, start_cluster

DOMAINS = ["acme.test", "globex.test", "initech.test"]


@pytest.fixture
def cluster(tmp_path, database_factory):
    nodes = start_cluster(DOMAINS, tmp_path, databases={d: database_factory() for d in DOMAINS})
    yield nodes
    for node in nodes.values():
        node.stop()


def home_contents(client) -> list[str]:
    return [s.content if not s.reblog else "BOOST:" + s.reblog.content for s in client.timeline_home()]


def test_three_organisations_federate(cluster):
    acme, globex, initech = (cluster[d] for d in DOMAINS)
    acme.create_user("alice")
    acme.create_user("bob")
    globex.create_user("guru", "--display-name", "The Guru")
    initech.create_user("carol")
    alice = acme.mastodon(acme.token("alice"))
    bob = acme.mastodon(acme.token("bob"))
    guru = globex.mastodon(globex.token("guru"))
    carol = initech.mastodon(initech.token("carol"))

    # alice finds guru through WebFinger and follows; globex accepts automatically.
    found = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts
    assert [a.acct for a in found] == ["guru@globex.test"]
    guru_at_acme = found[0]
    assert guru_at_acme.display_name == "The Guru"
    alice.account_follow(guru_at_acme.id)
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following, message="alice follows guru")
    bob.account_follow(bob.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0].id)
    eventually(lambda: guru.account_verify_credentials().followers_count == 2, message="guru has 2 followers")

    # carol on initech follows alice.
    alice_at_initech = carol.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
    carol.account_follow(alice_at_initech.id)
    eventually(lambda: carol.account_relationships(alice_at_initech.id)[0].following,
               message="carol follows alice")

    # guru posts; it reaches alice's home timeline.
    post = guru.status_post("What I learned this week about #observability")
    remote_post = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == post.uri), None),
                             message="guru's post in alice's home")
    assert "observability" in remote_post.content
    assert remote_post.account.acct == "guru@globex.test"
    assert [t.name for t in remote_post.tags] == ["observability"]

    # alice replies with a mention: guru is notified and sees the reply in the thread.
    reply = alice.status_post("@guru@globex.test thanks, this helps!", in_reply_to_id=remote_post.id)
    assert reply.in_reply_to_id == remote_post.id
    note = eventually(lambda: next((n for n in guru.notifications() if n.type == "mention"), None),
                      message="guru's mention notification")
    assert note.account.acct == "alice@acme.test"
    assert note.status.uri == reply.uri
    thread = eventually(lambda: guru.status_context(post.id).descendants, message="reply in guru's thread")
    assert [s.uri for s in thread] == [reply.uri]

    # alice likes and boosts; guru sees both, and carol sees the boost.
    alice.status_favourite(remote_post.id)
    alice.status_reblog(remote_post.id)
    kinds = eventually(lambda: {n.type for n in guru.notifications()} >= {"favourite", "reblog"} and
                       {n.type for n in guru.notifications()}, message="guru notified of like and boost")
    assert {"favourite", "reblog", "mention"} <= kinds
    counts = eventually(lambda: (lambda s: s if s.favourites_count == 1 and s.reblogs_count == 1 else None)(
        guru.status(post.id)), message="counts on guru's post")
    assert counts.favourites_count == 1
    boost = eventually(lambda: next((s for s in carol.timeline_home() if s.reblog and s.reblog.uri == post.uri),
                                    None), message="alice's boost in carol's home")
    assert boost.account.acct == "alice@acme.test"

    # guru edits; alice sees the edit.
    guru.status_update(post.id, "What I learned this week about #observability (edited: and tracing)")
    edited = eventually(lambda: (lambda s: s if "tracing" in s.content else None)(alice.status(remote_post.id)),
                        message="the edit at acme")
    assert edited.edited_at is not None

    # guru deletes; the post is gone at acme.
    guru.status_delete(post.id)

    def gone() -> bool:
        try:
            alice.status(remote_post.id)
        except MastodonNotFoundError:
            return True
        return False

    eventually(gone, message="the deleted post is gone at acme")
    assert all(s.uri != post.uri for s in alice.timeline_home())

    # alice unfollows; guru's next post reaches bob but not alice.
    alice.account_unfollow(guru_at_acme.id)
    eventually(lambda: guru.account_verify_credentials().followers_count == 1, message="guru lost a follower")
    later = guru.status_post("A post after alice left")
    eventually(lambda: any(s.uri == later.uri for s in bob.timeline_home()), message="bob gets the later post")
    assert all(s.uri != later.uri for s in alice.timeline_home())
