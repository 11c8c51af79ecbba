"""Tag (with `following` for a signed-in viewer, and a `history` for trends) and FeaturedTag."""
from __future__ import annotations

from urllib.parse import quote

from api.entities.formats import iso_date
from federation.runtime import Runtime
from models.accounts import Account


def tag_entity(rt: Runtime, viewer: Account | None, name: str, following: bool = False,
               history: list[dict] | None = None) -> dict:
    body = {"name": name, "url": rt.urls.tag(name), "history": history or []}
    if viewer is not None:
        body["following"] = following
    return body


def featured_tag_entity(rt: Runtime, account: Account, row: dict) -> dict:
    name = row["name"]
    url = (rt.urls.profile_tagged(account.username, name) if account.local
           else f"{account.url or account.uri}/tagged/{quote(name)}")  # Mastodon's page on its own server
    return {"id": str(row["id"]), "name": name, "url": url,
            "statuses_count": row["statuses_count"], "last_status_at": iso_date(row["last_status_at"])}
