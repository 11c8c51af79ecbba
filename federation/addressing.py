"""Visibility ⇄ ActivityPub addressing (to/cc), as Mastodon reads and writes it."""
from __future__ import annotations

from typing import Iterable

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}


def audience(visibility: str, *, followers_url: str, mentioned: Iterable[str]) -> tuple[list[str], list[str]]:
    """(to, cc) for a post of `visibility` by an author with `followers_url`, mentioning actor URIs.

    Local-only posts are never addressed to anyone outside: the caller must not deliver them at all.
    """
    mentioned = list(dict.fromkeys(mentioned))
    if visibility == "public":
        return [PUBLIC], [followers_url, *mentioned]
    if visibility == "unlisted":
        return [followers_url], [PUBLIC, *mentioned]
    if visibility == "private":
        return [followers_url], mentioned
    if visibility == "direct":
        return mentioned, []
    if visibility == "local":
        return [], []
    raise ValueError(f"unknown visibility {visibility!r}")


def as_list(value) -> list[str]:  # noqa: ANN001
    """to/cc/bto may be a string, a list, or objects with an id."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            out.append(item["id"])
    return out


def visibility_of(obj: dict, *, followers_url: str | None) -> str:
    """Read the visibility of a remote object from its addressing."""
    to = set(as_list(obj.get("to")))
    cc = set(as_list(obj.get("cc")))
    if to & PUBLIC_ALIASES:
        return "public"
    if cc & PUBLIC_ALIASES:
        return "unlisted"
    if followers_url and followers_url in to | cc:
        return "private"
    # Some servers address followers by a collection we do not know the URL of; anything left that
    # names a collection-like URL is still followers-only, not a direct message.
    if any(u.endswith("/followers") for u in to | cc):
        return "private"
    return "direct"
