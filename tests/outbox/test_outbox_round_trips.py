"""An outbox page costs the same statements whatever it holds: 2 items or 20, posts with mentions,
hashtags, polls and replies, and boosts of other people's posts (X-Statement-Count, counted by the
node itself with count_statements on)."""
import json
import urllib.request

import pytest

from tests.rig.http import AP
from tests.rig.nodes import Node, free_port


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme"),
                extra_env={"BACKCHANNEL_COUNT_STATEMENTS": "1"}).start()
    for name in ("alice", "few", "many"):
        node.create_user(name)
    yield node
    node.stop()


def outbox_page(node: Node, username: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{node.base}/users/{username}/outbox?page=1", headers={"Accept": AP})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return int(resp.headers["X-Statement-Count"]), json.loads(resp.read())


def test_an_outbox_page_of_20_costs_what_a_page_of_2_costs(node):
    alice = node.mastodon(node.token("alice"))
    few, many = node.mastodon(node.token("few")), node.mastodon(node.token("many"))
    originals = [alice.status_post(f"original {n} #source") for n in range(5)]
    # Given one outbox with a post and a boost
    few.status_post("just one, @alice")
    few.status_reblog(originals[0].id)
    # And one with 20 items of every kind: mentions, hashtags, polls, replies and boosts
    for n in range(15):
        if n % 5 == 0:
            many.status_post(f"poll {n}", poll=many.make_poll(["yes", "no"], expires_in=3600))
        else:
            many.status_post(f"@alice #topic{n} post {n}", in_reply_to_id=originals[n % 5].id if n % 3 else None)
    for original in originals:
        many.status_reblog(original.id)
    # When each first page is fetched
    few_cost, few_page = outbox_page(node, "few")
    many_cost, many_page = outbox_page(node, "many")
    # Then both pages are whole, and cost the same statements
    assert len(few_page["orderedItems"]) == 2 and len(many_page["orderedItems"]) == 20
    kinds = [item["type"] for item in many_page["orderedItems"]]
    assert kinds.count("Announce") == 5 and kinds.count("Create") == 15
    assert any(item["object"]["type"] == "Question" for item in many_page["orderedItems"] if item["type"] == "Create")
    assert any(t["type"] == "Mention" for item in many_page["orderedItems"] if item["type"] == "Create"
               for t in item["object"]["tag"])
    assert many_cost == few_cost
