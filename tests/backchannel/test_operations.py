"""Operating a node, as an operator would: /metrics read by Prometheus's own parser and moving when
work is done, who may read it, /livez and /readyz through a database outage, the access log."""
import json
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.rig.databases import create_database, drop_database, postgres_admin_url, postgres_available, _run
from tests.rig.fake_remote import FakeRemote, follow, post_signed, raw_request
from tests.rig.http import api
from tests.rig.nodes import Node, eventually, free_port


def scrape(node: Node, headers: dict | None = None) -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}, through prometheus_client's parser."""
    request = urllib.request.Request(node.base + "/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_parse_and_move_when_work_is_done(tmp_path):
    # Given a node with a follower on a remote server
    peer = FakeRemote("globex.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"globex.test": peer.port}).start()
    try:
        node.create_user("alice")
        token = node.token("alice")
        reader = peer.add_actor("reader")
        before = scrape(node)
        assert value(before, "backchannel_database_up") == 1
        assert value(before, "backchannel_queue_depth", queue="delivery") == 0

        # When the remote follows alice (an inbound activity), alice posts (a request, then a delivery)
        assert post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"),
                           reader)[0] == 202
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")
        assert api(node.base, token, "POST", "/api/v1/statuses", {"status": "counted"})[0] == 200
        eventually(lambda: any(r.body.get("type") == "Create" for r in peer.received), message="Create delivered")
        # and a forged request reaches the inbox
        forged = post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"),
                             reader, tamper=lambda h, b: (h, b.replace(b"Follow", b"Like")))
        assert forged[0] == 401

        # Then the figures moved, each under its bounded labels
        after = eventually(lambda: (s := scrape(node)) and value(
            s, "backchannel_deliveries_total", outcome="delivered", domain="globex.test") >= 2 and s,
            message="deliveries counted")
        assert value(after, "backchannel_http_requests_total", method="POST", route="/api/v1/statuses",
                     status="200") == 1
        assert value(after, "backchannel_http_request_duration_seconds_count", method="POST",
                     route="/api/v1/statuses") == 1
        assert value(after, "backchannel_inbox_activities_total", type="Follow", outcome="applied") == 1
        assert value(after, "backchannel_signature_failures_total", where="inbox") == 1
        # A raw URL never becomes a label: the actor's page counts under its declared route
        raw_request(node.base + "/users/alice", "GET", {"Accept": "application/activity+json"})
        raw_request(node.base + "/no/such/path/" + "x" * 50, "GET", {})
        labels = {dict(k[1]).get("route") for k in scrape(node) if k[0] == "backchannel_http_requests_total"}
        assert "/users/{username}" in labels and "unmatched" in labels
        assert not any(label and "alice" in label or label and "xxxx" in label for label in labels)
        for queue in ("inbox", "fanout", "delivery", "push"):
            assert ("backchannel_queue_oldest_age_seconds", (("queue", queue),)) in after
        assert any(k[0] == "backchannel_db_pool_connections" for k in after)
    finally:
        node.stop()
        peer.stop()


def test_metrics_are_refused_through_a_proxy_and_need_the_token_when_one_is_set(tmp_path):
    # Given a node without a metrics token
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme").start()
    try:
        # When /metrics is asked for through a reverse proxy on this machine, Then it is refused
        for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
            assert raw_request(node.base + "/metrics", "GET", header)[0] == 403
        # while a direct local request is answered
        assert raw_request(node.base + "/metrics", "GET", {})[0] == 200
    finally:
        node.stop()
    # Given a metrics token
    node.extra_env = {"BACKCHANNEL_METRICS_TOKEN": "s3cret-scrape-token"}
    node.start()
    try:
        # Then even a local request needs it, and the right one
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-scrape-token"}):
            assert raw_request(node.base + "/metrics", "GET", headers)[0] == 403
        samples = scrape(node, {"Authorization": "Bearer s3cret-scrape-token",
                                "X-Forwarded-For": "203.0.113.9"})
        assert value(samples, "backchannel_database_up") == 1
    finally:
        node.stop()


def test_access_log_lines_in_json_name_the_route_and_the_forwarded_client(tmp_path):
    # Given a node logging JSON, behind a proxy on this machine (trusted by default)
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                extra_env={"BACKCHANNEL_LOG_FORMAT": "json"}).start()
    try:
        # When a client reaches a profile through the proxy, and another spoofs a forwarded address
        raw_request(node.base + "/users/alice", "GET", {"X-Forwarded-For": "198.51.100.7"})
    finally:
        node.stop()
    lines = [json.loads(line) for line in node.log_path.read_text().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("logger") == "backchannel.access"]
    # Then one JSON line says method, declared route, status, duration and the client's address
    hit = [entry for entry in access if entry["route"] == "/users/{username}"]
    assert len(hit) == 1
    assert hit[0]["method"] == "GET" and hit[0]["status"] == 404 and hit[0]["remote"] == "198.51.100.7"
    assert isinstance(hit[0]["duration_ms"], float)
    assert "alice" not in json.dumps(hit)  # the raw path is not logged: it may carry secrets


def _allow_connections(url: str, allowed: bool) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def change() -> None:
        conn = await asyncpg.connect(postgres_admin_url())
        try:
            await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        finally:
            await conn.close()

    _run(change())


def test_readyz_fails_while_the_database_is_gone_and_recovers(tmp_path):
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    url = create_database()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", database=url).start()
    try:
        assert raw_request(node.base + "/readyz", "GET", {})[0] == 200
        # When the database refuses connections and every open one is cut
        _allow_connections(url, False)
        # Then /readyz answers 503 while /livez still says the process answers
        status, body = raw_request(node.base + "/readyz", "GET", {})
        assert status == 503 and json.loads(body)["status"] == "unavailable"
        assert raw_request(node.base + "/livez", "GET", {})[0] == 200
        assert value(scrape(node), "backchannel_database_up") == 0
        # When the database comes back, Then the node is ready again without a restart
        _allow_connections(url, True)
        eventually(lambda: raw_request(node.base + "/readyz", "GET", {})[0] == 200, timeout=30,
                   message="ready again")
    finally:
        node.stop()
        _allow_connections(url, True)
        drop_database(url)


def test_a_worker_process_exposes_its_own_counters_and_the_shared_queue_figures(tmp_path, postgres_url):
    from tests.backchannel.processes import spawn, stop, wait_for_line

    # Given a node scaled out on PostgreSQL: `serve --no-workers`, and a `worker --listen` beside it
    peer = FakeRemote("globex.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", database=postgres_url,
                resolve={"globex.test": peer.port})
    node.data.mkdir(parents=True)
    worker_log = node.data / "worker.log"
    node.proc = spawn(node, "web", log=node.log_path)
    worker = None
    try:
        node.wait_ready()
        worker_port = free_port()
        worker = spawn(node, "worker", log=worker_log, extra=("--listen", f"127.0.0.1:{worker_port}"))
        wait_for_line(worker, worker_log, "metrics and health on")
        at_worker = Node(domain=node.domain, port=worker_port, data=node.data)  # only its address is used
        assert raw_request(at_worker.base + "/readyz", "GET", {})[0] == 200
        node.create_user("alice")
        token = node.token("alice")
        reader = peer.add_actor("reader")
        # When a follower arrives and alice posts through the web process
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")
        assert api(node.base, token, "POST", "/api/v1/statuses", {"status": "from the web"})[0] == 200
        eventually(lambda: any(r.body.get("type") == "Create" for r in peer.received), message="Create")
        # Then the worker counted the deliveries and the inbound Follow, the web process the request
        worker_samples = eventually(lambda: (s := scrape(at_worker)) and value(
            s, "backchannel_deliveries_total", outcome="delivered", domain="globex.test") >= 2 and s,
            message="the worker's counters")
        assert value(worker_samples, "backchannel_inbox_activities_total", type="Follow", outcome="applied") == 1
        web_samples = scrape(node)
        assert value(web_samples, "backchannel_http_requests_total", method="POST", route="/api/v1/statuses",
                     status="200") == 1
        assert value(web_samples, "backchannel_deliveries_total", outcome="delivered", domain="globex.test") == 0
        # and both read the same queue figures from the database
        for samples in (worker_samples, web_samples):
            assert value(samples, "backchannel_queue_dead_letters", queue="delivery") == 0
            assert ("backchannel_queue_depth", (("queue", "inbox"),)) in samples
    finally:
        if worker is not None:
            stop(worker)
        node.stop()
        peer.stop()
