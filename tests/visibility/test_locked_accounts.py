"""A locked account on globex: requests from acme wait for approval; followers-only posts arrive only
after it; a rejected request gets nothing."""
from tests.rig.nodes import eventually
from tests.rig.people import wait_idle


def test_follow_requests_across_nodes(pair):
    acme, globex = pair
    acme.create_user("alice")
    acme.create_user("mallory")
    globex.create_user("guru", "--locked")
    alice = acme.mastodon(acme.token("alice"))
    mallory = acme.mastodon(acme.token("mallory"))
    guru = globex.mastodon(globex.token("guru"))

    guru_at_acme = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0]
    assert guru_at_acme.locked is True
    alice.account_follow(guru_at_acme.id)
    mallory.account_follow(guru_at_acme.id)
    requests = eventually(lambda: len(guru.follow_requests()) == 2 and guru.follow_requests(),
                          message="two follow requests at globex")
    assert alice.account_relationships(guru_at_acme.id)[0].requested is True

    # A followers-only post while the requests wait reaches nobody at acme.
    early = guru.status_post("for followers, before approval", visibility="private")
    # Its audience is who follows when the fan-out job runs (as on Mastodon): let it run before
    # anyone is accepted, so the post has no follower to reach.
    wait_idle(globex)
    by_acct = {a.acct: a for a in requests}
    guru.follow_request_authorize(by_acct["alice@acme.test"].id)
    guru.follow_request_reject(by_acct["mallory@acme.test"].id)
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following, message="alice accepted")
    eventually(lambda: not mallory.account_relationships(guru_at_acme.id)[0].requested, message="mallory rejected")

    later = guru.status_post("for followers, after approval", visibility="private")
    eventually(lambda: any(s.uri == later.uri for s in alice.timeline_home()), message="alice gets it")
    assert all(s.uri != early.uri for s in alice.timeline_home())
    assert all(s.uri not in (early.uri, later.uri) for s in mallory.timeline_home())
    assert not mallory.account_relationships(guru_at_acme.id)[0].following
    assert guru.account_verify_credentials().followers_count == 1
