"""Instance information and CORS."""
from __future__ import annotations

import backchannel


async def test_instance_v1_and_v2(node):
    for path in ("/api/v1/instance", "/api/v1/instance/"):
        v1 = await (await node.client.get(path)).json()
        assert v1["uri"] == "acme.test"
        assert v1["version"] == f"4.3.0 (compatible; Backchannel {backchannel.__version__})"
        assert v1["configuration"]["statuses"]["max_characters"] == 500
        assert set(v1["stats"]) == {"user_count", "status_count", "domain_count"}
    v2 = await (await node.client.get("/api/v2/instance")).json()
    assert v2["domain"] == "acme.test"
    assert v2["api_versions"] == {"mastodon": 2}
    assert v2["configuration"]["statuses"]["characters_reserved_per_url"] == 23
    assert v2["registrations"]["enabled"] is False
    assert await (await node.client.get("/api/v1/instance/peers")).json() == []
    weeks = await (await node.client.get("/api/v1/instance/activity")).json()  # tests/api/test_instance_extra.py
    assert len(weeks) == 12 and all(w["statuses"] == "0" for w in weeks)


async def test_cors(node):
    preflight = await node.client.options("/api/v1/statuses", headers={
        "Origin": "https://elk.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]

    error = await node.client.get("/api/v1/timelines/home", headers={"Origin": "https://elk.example"})
    assert error.status == 401
    assert error.headers["Access-Control-Allow-Origin"] == "*"
