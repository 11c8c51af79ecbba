"""A page of statuses costs a fixed number of SQL statements, whatever its length.

The real app (backchannel.app.create_app) with `count_statements` on: every response carries
X-Statement-Count, the statements that request sent (models.db counts them per task). On SQLite and
on PostgreSQL.
"""
from __future__ import annotations

import pytest

from backchannel.app import create_app
from backchannel.config import Config
from backchannel.keys import RUNTIME
from tests.api.conftest import key_pair, settle
from tests.rig.reads_data import seed

# The most statements any read may cost (BEGIN included): the token, the page and one per kind of fact.
MOST = 13


@pytest.fixture
async def scene(aiohttp_client, tmp_path, database_factory):  # noqa: ANN001, ANN201
    app = create_app(Config(domain="acme.test", data=str(tmp_path), insecure_http=True, workers=True,
                            database=database_factory() or "", count_statements=True))
    client = await aiohttp_client(app)
    rt = app[RUNTIME]
    found = await seed(rt, key_pair())
    await settle(rt)  # home timelines are filled by the fan-out worker
    yield client, found
    await settle(rt)


async def _cost(client, path: str, token: str | None) -> tuple[int, list]:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get(path, headers=headers)
    assert response.status == 200, await response.text()
    return int(response.headers["X-Statement-Count"]), await response.json()


FULL = (5, 20, 40)
PAGES = [
    ("/api/v1/timelines/home", True, FULL),
    ("/api/v1/timelines/public", True, FULL),
    ("/api/v1/timelines/public", False, FULL),
    ("/api/v1/timelines/public?local=true", True, FULL),
    ("/api/v1/timelines/tag/reads", True, FULL),
    ("/api/v1/timelines/list/{list}", True, FULL),
    ("/api/v1/accounts/{alice}/statuses", True, FULL),
    ("/api/v1/accounts/{alice}/statuses", False, FULL),
    ("/api/v1/notifications", True, FULL),
    ("/api/v2/notifications", True, FULL),
    ("/api/v1/favourites", True, (5, 10)),  # the reader favourited one post a round, and bookmarked one
    ("/api/v1/bookmarks", True, (5, 10)),
    ("/api/v1/conversations", True, (5, 10)),  # one a round
]


@pytest.mark.parametrize("path,signed_in,limits", PAGES)
async def test_a_page_costs_the_same_statements_for_5_20_and_40_statuses(scene, path, signed_in, limits):  # noqa: ANN001
    # Given a node with boosts, replies, polls, media, mentions and remote authors
    client, found = scene
    path = path.format(alice=found.alice_id, list=found.list_id)
    path += "&" if "?" in path else "?"
    token = found.token if signed_in else None
    await _cost(client, path + "limit=5", token)  # warm the node's caches (instance, settings)
    # When the reader asks for pages of 5, 20 and 40
    costs = {}
    for limit in limits:
        costs[limit], body = await _cost(client, f"{path}limit={limit}", token)
        # Then each page is full (the data really has that many) ...
        length = len(body["notification_groups"]) if isinstance(body, dict) else len(body)
        assert length == limit, (limit, length)
    # ... and costs the same, small number of statements
    assert len(set(costs.values())) == 1, costs
    assert max(costs.values()) <= MOST, costs


async def test_a_page_has_every_kind_of_fact(scene):  # noqa: ANN001
    # Given the same node, when the reader reads a page of home
    client, found = scene
    _, body = await _cost(client, "/api/v1/timelines/home?limit=40", found.token)
    # Then the page really holds what the counts above paid for
    assert any(s["reblog"] for s in body)
    assert any(s["poll"] for s in body)
    assert any(s["media_attachments"] for s in body if s["reblog"] is None)
    assert any(s["mentions"] for s in body)
    assert any(s["in_reply_to_id"] for s in body)
    assert any(s["account"]["acct"].endswith("@remote.test") for s in body)
    assert any(s["reblog"] and s["reblog"]["bookmarked"] for s in body)
    assert any(s["favourited"] for s in body)
    assert any(s["visibility"] == "private" for s in body)
    assert any(s["quote"] and s["quote"]["quoted_status"] for s in body)


@pytest.mark.parametrize("path,signed_in", [
    ("/api/v1/statuses/{status}", True), ("/api/v1/statuses/{status}", False),
    ("/api/v2/instance", False), ("/api/v1/instance", False),
])
async def test_single_reads_cost_a_few_statements(scene, path, signed_in):  # noqa: ANN001
    # Given the node, and a client whose token the rate limiter knows already
    client, found = scene
    path = path.format(status=found.sample_status_id)
    token = found.token if signed_in else None
    await _cost(client, "/api/v1/timelines/public?limit=1", token)
    # When it reads one status or the instance twice
    first, _ = await _cost(client, path, token)
    again, _ = await _cost(client, path, token)
    # Then it costs a few statements, and the instance, the same for everyone, none the second time
    assert first <= MOST and again <= MOST, (first, again)
    if "instance" in path:
        assert again == 0, again



SEARCHES = [("from:alice", (5, 20, 40)), ("after:2000-01-01 -is:reply", (5, 20, 40)), ("round", (5, 10)),
            ("round yes -plain", (5, 10))]


async def test_a_search_page_costs_the_same_statements_whatever_its_length(scene):  # noqa: ANN001
    # Given the same node (seeded once for every search: seeding is what takes time)
    client, found = scene
    await _cost(client, "/api/v2/search?type=statuses&limit=5&q=plain", found.token)  # warm the caches
    for q, limits in SEARCHES:
        # When the reader searches posts with pages of different lengths
        costs = {}
        for limit in limits:
            costs[limit], body = await _cost(client, f"/api/v2/search?type=statuses&limit={limit}&q={q}", found.token)
            assert len(body["statuses"]) == limit, (q, limit, len(body["statuses"]))
        # Then every page costs the same, small number of statements
        assert len(set(costs.values())) == 1 and max(costs.values()) <= MOST, (q, costs)


# What each read costs now, at most (SQLite counts BEGIN; PostgreSQL's is not a statement there):
# the token (1, read alone), BEGIN, the page's ids, the statuses with their originals and who may see
# them, one statement of facts (attachments and polls, the reader's exclusive lists and whether they
# have filters among them), the people; on a page with quote posts (home, public and notifications
# here), the posts they quote and who may see them.
CEILINGS = [
    ("/api/v1/timelines/home", True, 7),
    ("/api/v1/timelines/public", True, 7),
    ("/api/v1/timelines/public", False, 6),
    # The account is read with the page's authors; a block hides its posts by the visibility rule.
    ("/api/v1/accounts/{alice}/statuses", True, 6),
    ("/api/v1/accounts/{alice}/statuses", False, 5),
    ("/api/v1/accounts/{alice}/statuses?pinned=true", True, 5),  # the pins the reader may see: one statement
    # Notifications: the senders are read with the statuses' authors, and whose notifications the
    # reader muted with the page's other facts.
    ("/api/v1/notifications", True, 7),
    ("/api/v1/notifications?exclude_types[]=follow&exclude_types[]=poll", True, 7),
    ("/api/v1/notifications?types[]=mention&types[]=favourite", True, 7),
    ("/api/v2/notifications", True, 8),  # and the senders of each whole group
    ("/api/v1/accounts/relationships?{people}", True, 4),  # the accounts, then every fact of each at once
    ("/api/v1/timelines/public?local=true", True, 7),
    ("/api/v1/timelines/tag/reads", True, 6),
    ("/api/v1/timelines/tag/reads?any[]=other&all[]=reads&none[]=nothing", True, 6),
    ("/api/v1/timelines/list/{list}", True, 7),  # the list, in the same transaction
    ("/api/v1/favourites", True, 6),
    ("/api/v1/bookmarks", True, 6),
    # The direct statuses, their mentions, their threads' first posts (one recursive statement), the
    # reader's marks, then the last statuses with the participants.
    ("/api/v1/conversations", True, 9),
    # The status, its ancestors and its replies (one recursive statement each), then one page.
    ("/api/v1/statuses/{thread}/context", True, 7),
    ("/api/v1/statuses/{status}/context", False, 6),
    ("/api/v1/statuses/{status}", True, 5),  # the status and whether the reader may see it: one statement
    ("/api/v1/statuses/{status}", False, 4),
    # Several by id: read as a page is (the visibility rule applied once, with the statuses).
    ("/api/v1/statuses?{statuses}", True, 5),
    ("/api/v1/statuses?{statuses}", False, 4),
]


async def test_each_read_costs_no_more_statements_than_its_ceiling(scene):  # noqa: ANN001
    # Given the node, and a client whose token the rate limiter knows already
    client, found = scene
    await _cost(client, "/api/v1/timelines/public?limit=1", found.token)
    costs = {}
    for path, signed_in, most in CEILINGS:
        # When it reads each page (or the status)
        people = "&".join(f"id[]={i}" for i in found.people_ids)
        cost, _ = await _cost(client, path.format(alice=found.alice_id, status=found.sample_status_id, people=people,
                                                  list=found.list_id, thread=found.thread_id,
                                                  statuses=f"id[]={found.sample_status_id}&id[]={found.thread_id}"),
                              found.token if signed_in else None)
        costs[(path, signed_in)] = (cost, most)
    # Then none costs more than it did when this test was written
    assert all(cost <= most for cost, most in costs.values()), costs
