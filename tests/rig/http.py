"""Plain HTTP helpers for tests that look at what a node serves."""
from __future__ import annotations

import json

from tests.rig.fake_remote import raw_request

AP = "application/activity+json"


def get_json(url: str, accept: str = "application/json", headers: dict | None = None) -> tuple[int, dict]:
    status, text = raw_request(url, "GET", {"Accept": accept, **(headers or {})})
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"_text": text}


def api(node_base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A raw client API call, for parameters a client library does not know (e.g. local_only)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    status, text = raw_request(node_base + path, method, headers, data)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"_text": text}
