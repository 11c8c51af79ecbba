"""One slow or hostile origin delays only itself.

A hostile server sends activities whose objects sit behind slow redirect chains; another server's
activity must not wait for them. Each fetch has one deadline for all its hops; a document is asked
for once per activity; a failing fetch is tried a bounded number of times, then given up.
"""
import json
import sqlite3

import pytest

from tests.rig.databases import _run, create_database, drop_database, postgres_available
from tests.rig.fake_remote import AS_CONTEXT, FakeRemote, create, note, post_signed
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
TIMEOUT = 3  # the node's deadline for one remote fetch, redirects included
AS_JSON = {"Content-Type": "application/activity+json"}


# One server per test, so one test's slow backlog (which holds only its own origin) is not the next's.
SERVERS = ["slow.test", "good.test", "drag.test", "moved.test", "flaky.test", "order.test"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def peers(request, tmp_path_factory):
    """A node (on SQLite, then on PostgreSQL, where claims race for real) and the remote servers."""
    database = None
    if request.param == "postgresql":
        if reason := postgres_available():
            pytest.skip(reason)
        database = create_database()
    servers = {name: FakeRemote(name).start() for name in SERVERS}
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"), database=database,
                resolve={name: server.port for name, server in servers.items()},
                extra_env={"BACKCHANNEL_REQUEST_TIMEOUT": str(TIMEOUT)}).start()
    yield node, servers
    node.stop()
    for server in servers.values():
        server.stop()
    if database:
        drop_database(database)


def one_row(node, query, *args):
    """One row of the node's database, SQLite or PostgreSQL (queries use ? placeholders)."""
    if not node.database:
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            return db.execute(query, args).fetchone()
    import asyncpg

    for n in range(len(args)):
        query = query.replace("?", f"${n + 1}", 1)

    async def fetch():
        conn = await asyncpg.connect(node.database)
        try:
            row = await conn.fetchrow(query, *args)
            return tuple(row) if row else None
        finally:
            await conn.close()

    return _run(fetch())


def inbox_row(node, activity_id):
    return one_row(node, "SELECT state, attempts, last_error FROM inbox_items WHERE activity_uri = ?", activity_id)


def stored(node, uri) -> bool:
    return one_row(node, "SELECT count(*) FROM statuses WHERE uri = ? AND deleted_at IS NULL", uri)[0] > 0


def deliver(node, actor, activity):
    status, text = post_signed(node.base, NODE, "/inbox", activity, actor)
    assert status == 202, text


def slow_chain(server, name, *, hops, delay, final_doc):
    """/name/0 redirects to /name/1 … to /name/<hops>, which serves `final_doc`; every answer waits."""
    for hop in range(hops):
        server.raw[f"/{name}/{hop}"] = (302, {"Location": f"{server.base}/{name}/{hop + 1}"}, b"")
        server.delays[f"/{name}/{hop}"] = delay
    server.raw[f"/{name}/{hops}"] = (200, AS_JSON, json.dumps(final_doc).encode())
    server.delays[f"/{name}/{hops}"] = delay
    return f"{server.base}/{name}/0"


def create_of(actor, object_url, n):
    return {"@context": AS_CONTEXT, "id": f"{actor.uri}/creates/{n}", "type": "Create", "actor": actor.uri,
            "object": object_url, "to": ["https://www.w3.org/ns/activitystreams#Public"]}


def test_a_slow_origin_does_not_hold_up_another_origins_activity(peers):
    node, servers = peers
    slow, good = servers["slow.test"], servers["good.test"]
    # Given a hostile server whose posts each sit behind a chain of slow redirects
    mallory = slow.add_actor("mallory")
    slow_ids = []
    for n in range(4):
        url = slow_chain(slow, f"hol{n}", hops=3, delay=TIMEOUT * 0.8,
                         final_doc=note(mallory, "slow", suffix=f"hol{n}"))
        activity = create_of(mallory, url, f"hol{n}")
        # When it sends several activities that point at them
        deliver(node, mallory, activity)
        slow_ids.append(activity["id"])
    # And a well-behaved server then sends one post
    bob = good.add_actor("bob")
    post = create(bob, note(bob, "on time", suffix="ontime"))
    deliver(node, bob, post)
    # Then the good post is applied while the hostile server's activities still wait their turn
    eventually(lambda: inbox_row(node, post["id"])[0] == "done", message="the good activity applied")
    assert stored(node, post["object"]["id"])
    untouched = [i for i in slow_ids if inbox_row(node, i)[1] == 0]
    assert len(untouched) >= 2, [inbox_row(node, i) for i in slow_ids]


@pytest.mark.parametrize("spelling", ["slow hops", "a trickled body", "slow hops, then a trickled body"])
def test_one_deadline_covers_every_redirect_and_the_body(peers, spelling):
    node, servers = peers
    slow = servers["drag.test"]
    # Given a post behind answers that each come within the deadline, but not all together
    name = "deadline" + str(len(spelling))
    mallory = slow.add_actor(f"mallory2{len(spelling)}")
    hops = 0 if spelling == "a trickled body" else 3
    final = note(mallory, "eventually " + "x" * 400, suffix=name)
    url = slow_chain(slow, name, hops=hops, delay=TIMEOUT * 0.5 if hops else 0, final_doc=final)
    final["id"] = f"{slow.base}/{name}/{hops}"
    slow.raw[f"/{name}/{hops}"] = (200, AS_JSON, json.dumps(final).encode())
    if "trickled" in spelling:
        slow.trickle[f"/{name}/{hops}"] = TIMEOUT / 20  # ~30 pieces: about 1.5 deadlines in all
    activity = create_of(mallory, url, name)
    # When the hostile server sends a Create pointing at it
    deliver(node, mallory, activity)
    # Then the fetch is cut at the deadline, the activity is given up, and nothing is stored
    state, attempts, error = eventually(lambda: (row := inbox_row(node, activity["id"])) and row[0] == "failed" and row,
                                        timeout=60, message="the activity given up")
    assert "timed out" in error
    assert not stored(node, final["id"])


def test_a_document_is_fetched_once_per_activity_and_a_hopeless_one_is_not_retried(peers):
    node, servers = peers
    slow = servers["moved.test"]
    # Given an object that redirects to a copy claiming the first URL as its id
    mallory = slow.add_actor("mallory3")
    first = f"{slow.base}/moved/here"
    slow.raw["/moved/here"] = (301, {"Location": f"{slow.base}/moved/there"}, b"")
    slow.raw["/moved/there"] = (200, AS_JSON, json.dumps(note(mallory, "x") | {"id": first}).encode())
    activity = create_of(mallory, first, "moved")
    # When it is sent
    slow.fetched.clear()
    deliver(node, mallory, activity)
    # Then the origin mismatch ends the activity at once, and each URL was asked for once
    state, attempts, _ = eventually(lambda: (row := inbox_row(node, activity["id"])) and row[0] == "failed" and row,
                                    message="the activity given up")
    assert attempts == 1
    assert sorted(p for p in slow.fetched if p.startswith("/moved/")) == ["/moved/here", "/moved/there"]


def test_a_failing_fetch_is_retried_a_few_times_then_given_up(peers):
    node, servers = peers
    slow = servers["flaky.test"]
    # Given an object whose server keeps failing
    mallory = slow.add_actor("mallory4")
    slow.raw["/flaky/1"] = (503, {}, b"busy")
    activity = create_of(mallory, f"{slow.base}/flaky/1", "flaky")
    # When an activity points at it
    deliver(node, mallory, activity)
    # Then it is asked for three times (with backoff), and the activity is given up with the reason
    state, attempts, error = eventually(lambda: (row := inbox_row(node, activity["id"])) and row[0] == "failed" and row,
                                        message="the activity given up")
    assert attempts == 3 and "503" in error
    assert slow.fetched.count("/flaky/1") == 3


def test_one_origins_activities_keep_their_order(peers):
    node, servers = peers
    slow = servers["order.test"]
    # Given a post whose Create must fetch it (slowly, but within the deadline)
    carol = slow.add_actor("carol")
    post = slow.serve(note(carol, "soon deleted", suffix="ordered"))
    slow.delays["/users/carol/statuses/ordered"] = TIMEOUT * 0.5
    make = create_of(carol, post["id"], "ordered")
    delete = {"@context": AS_CONTEXT, "id": post["id"] + "#delete", "type": "Delete", "actor": carol.uri,
              "object": post["id"], "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    # When the Create and, right after it, the Delete arrive
    deliver(node, carol, make)
    deliver(node, carol, delete)
    # Then the Delete is applied after the Create: the post is gone, not resurrected
    eventually(lambda: inbox_row(node, delete["id"])[0] == "done" and inbox_row(node, make["id"])[0] == "done",
               message="both applied")
    assert one_row(node, "SELECT deleted_at IS NOT NULL FROM statuses WHERE uri = ?", post["id"]) in ((1,), (True,))
