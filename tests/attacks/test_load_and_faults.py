"""Load limits and database faults on a running node."""
import json
import sqlite3

import pytest

from tests.rig.fake_remote import raw_request
from tests.rig.http import api
from tests.rig.nodes import Node, free_port


def test_rate_limits_answer_429_with_retry_after(tmp_path):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                extra_env={"BACKCHANNEL_RATE_LIMIT_PER_IP": "30", "BACKCHANNEL_RATE_LIMIT_PER_ACCOUNT": "10"}).start()
    try:
        node.create_user("alice")
        token = node.token("alice")
        codes = [api(node.base, token, "GET", "/api/v1/accounts/verify_credentials")[0] for _ in range(12)]
        assert codes[:10] == [200] * 10 and codes[-1] == 429
        status, text = raw_request(node.base + "/api/v1/accounts/verify_credentials", "GET",
                                   {"Authorization": f"Bearer {token}"})
        assert status == 429 and json.loads(text)["error"] == "Too many requests"
        statuses = [raw_request(node.base + "/api/v1/instance", "GET", {})[0] for _ in range(40)]
        assert 429 in statuses  # anonymous requests from one address are limited too
    finally:
        node.stop()


def test_a_locked_database_answers_503_and_leaves_nothing_half_written(tmp_path):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                extra_env={"BACKCHANNEL_SQLITE_BUSY_TIMEOUT_MS": "300"}).start()
    try:
        node.create_user("alice")
        token = node.token("alice")
        before = api(node.base, token, "GET", "/api/v1/accounts/verify_credentials")[1]["statuses_count"]
        locker = sqlite3.connect(node.data / "backchannel.sqlite3", timeout=5, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            status, body = api(node.base, token, "POST", "/api/v1/statuses", {"status": "while locked"})
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert status == 503 and "database" in body["error"].lower()
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM statuses WHERE source_text = 'while locked'").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM fanouts").fetchone()[0] == 0
        after = api(node.base, token, "GET", "/api/v1/accounts/verify_credentials")[1]["statuses_count"]
        assert after == before
        assert api(node.base, token, "POST", "/api/v1/statuses", {"status": "after the lock"})[0] == 200
    finally:
        node.stop()
