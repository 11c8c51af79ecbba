"""Idempotency-Key: a client that sends one post several times at once (a retry racing the first
try) gets one status, on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.rig.fake_remote import raw_request
from tests.rig.http import api
from tests.rig.nodes import Node, free_port
from tests.rig.people import make_people

NODE = "acme.test"
TRIES = 8


@pytest.fixture
def node(tmp_path, database_factory):
    node = Node(domain=NODE, port=free_port(), data=tmp_path / "acme", database=database_factory()).start()
    yield node
    node.stop()


def _post(node: Node, token: str, key: str, text: str) -> tuple[int, str]:
    return raw_request(node.base + "/api/v1/statuses", "POST", {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key},
        json.dumps({"status": text}).encode())


def test_concurrent_requests_with_one_key_post_once(node):
    # Given a person whose client sends the same post several times at the same moment, with one key
    token = make_people(node, ["ida"])["ida"]
    key = uuid.uuid4().hex
    start = threading.Barrier(TRIES)

    def send(_: int) -> tuple[int, str]:
        start.wait()
        return _post(node, token, key, "posted once")

    # When they all arrive together
    with ThreadPoolExecutor(TRIES) as pool:
        answers = list(pool.map(send, range(TRIES)))

    # Then every answer is the same status, and the person has posted once
    assert [status for status, _ in answers] == [200] * TRIES, answers
    assert len({json.loads(text)["id"] for _, text in answers}) == 1
    _, me = api(node.base, token, "GET", "/api/v1/accounts/verify_credentials")
    _, posted = api(node.base, token, "GET", f"/api/v1/accounts/{me['id']}/statuses")
    assert [s["content"] for s in posted] == ["<p>posted once</p>"]
    assert me["statuses_count"] == 1

    # And another key posts again
    status, text = _post(node, token, uuid.uuid4().hex, "posted once")
    assert status == 200 and json.loads(text)["id"] not in {json.loads(t)["id"] for _, t in answers}
