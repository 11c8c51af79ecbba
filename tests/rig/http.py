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
