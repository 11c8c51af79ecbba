"""List."""
from __future__ import annotations

from models.collections import List


def list_entity(found: List) -> dict:
    return {"id": str(found.id), "title": found.title, "replies_policy": found.replies_policy,
            "exclusive": found.exclusive}
