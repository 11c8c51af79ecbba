"""List, with Backchannel's `public` (shared by its owner) and, when shared, its page's `url`."""
from __future__ import annotations

from federation.urls import Urls
from models.collections import List


def list_entity(found: List, urls: Urls) -> dict:
    entity = {"id": str(found.id), "title": found.title, "replies_policy": found.replies_policy,
              "exclusive": found.exclusive, "public": found.public}
    if found.public:
        entity["url"] = urls.shared_list(found.id)
    return entity
