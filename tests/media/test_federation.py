"""Attachments and polls between two real nodes, driven by Mastodon.py: guru@globex.test posts an
image and a poll; alice@acme.test sees the image through acme's own copy and votes; guru's node counts the
vote and alice's copy gets the new counts."""
import io
import urllib.request

import pytest
from PIL import Image

from tests.rig.nodes import eventually, start_cluster

DOMAINS = ["acme.test", "globex.test"]


@pytest.fixture
def cluster(tmp_path):
    nodes = start_cluster(DOMAINS, tmp_path)
    yield nodes
    for node in nodes.values():
        node.stop()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_attachments_and_polls_federate(cluster):
    acme, globex = (cluster[d] for d in DOMAINS)
    acme.create_user("alice")
    globex.create_user("guru")
    alice = acme.mastodon(acme.token("alice"))
    guru = globex.mastodon(globex.token("guru"))
    guru_at_acme = alice.search("guru@globex.test", resolve=True, result_type="accounts").accounts[0]
    alice.account_follow(guru_at_acme.id)
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following, message="alice follows guru")

    # An image with a description and a focal point.
    media = guru.media_post(jpeg(), mime_type="image/jpeg", description="A blue chart", focus=(0.5, 0.5))
    assert media.url.startswith("http://globex.test/media/") and media.meta.original.width == 300
    post = guru.status_post("This week's numbers", media_ids=[media.id])
    assert [m.id for m in post.media_attachments] == [media.id]
    seen = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == post.uri), None),
                      message="guru's post at acme")
    [attachment] = seen.media_attachments
    # acme serves globex's image from its own copy: alice's app never contacts globex
    assert attachment.remote_url == media.url and attachment.url.startswith("http://acme.test/media/proxy/")
    with urllib.request.urlopen(acme.base + "/" + attachment.url.split("/", 3)[3]) as copy:
        original = urllib.request.urlopen(globex.base + "/" + media.url.split("/", 3)[3]).read()
        assert copy.headers["Content-Type"] == "image/jpeg" and copy.read() == original
    assert attachment.description == "A blue chart" and attachment.blurhash == media.blurhash
    assert attachment.meta.focus == {"x": 0.5, "y": 0.5} and attachment.meta.original.width == 300

    # A poll: alice votes from acme; globex counts it; acme's copy follows globex's counts.
    asked = guru.status_post("Which topic next?", poll=guru.make_poll(["Tracing", "Metrics"], expires_in=3600))
    remote_poll = eventually(lambda: next((s for s in alice.timeline_home() if s.uri == asked.uri), None),
                             message="guru's poll at acme").poll
    assert [o.title for o in remote_poll.options] == ["Tracing", "Metrics"] and remote_poll.expired is False
    voted = alice.poll_vote(remote_poll.id, [1])
    assert voted.own_votes == [1]
    eventually(lambda: guru.poll(asked.poll.id).options[1].votes_count == 1, message="guru's node counts the vote")
    assert guru.poll(asked.poll.id).voters_count == 1
    with pytest.raises(Exception):
        alice.poll_vote(remote_poll.id, [0])  # once only
    eventually(lambda: alice.poll(remote_poll.id).voters_count == 1, message="acme's copy has the counts")
    assert [o.votes_count for o in alice.poll(remote_poll.id).options] == [0, 1]
    # The vote is not a post anywhere.
    assert [s.uri for s in guru.timeline_home()] == [asked.uri, post.uri]
