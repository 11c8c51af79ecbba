"""Reading a remote ActivityPub collection: its item ids, page after page, within fixed bounds.

A collection may come embedded or by URL, hold its items itself or in a `first` page (embedded, as
Mastodon and Backchannel serve a `replies` collection, or by URL), and link further pages by `next`.
Every page is fetched through the guarded client and must be on the collection's own origin: the
items are only ids, each to be fetched from its own origin by whoever uses them.
"""
from __future__ import annotations

from typing import Any

from federation.as2 import host_of, object_id
from federation.http import FetchError
from federation.runtime import Runtime

COLLECTION_TYPES = {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}


def _items_of(doc: dict) -> list[Any]:
    for key in ("orderedItems", "items"):
        value = doc.get(key)
        if isinstance(value, list):
            return value
        if value is not None:
            return [value]
    return []


def is_collection(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    kind = doc.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(k in COLLECTION_TYPES for k in kinds)


async def _fetch(rt: Runtime, url: str, origin: str) -> dict:
    if host_of(url) != origin:
        raise FetchError(f"collection page {url!r} is not on the collection's origin {origin!r}")
    _final, doc = await rt.http.get_json(url, signer=rt.instance_signer)
    if host_of(_final) != origin:
        raise FetchError(f"collection page {url!r} moved off the collection's origin")
    return doc


async def item_ids(rt: Runtime, collection: Any, *, origin: str, max_items: int, max_pages: int) -> list[str]:
    """The ids of up to `max_items` items of `collection` (a URL or an embedded document) on
    `origin`, reading at most `max_pages` documents. Raises FetchError when the first cannot be had."""
    doc = await _fetch(rt, collection, origin) if isinstance(collection, str) else collection
    if not is_collection(doc):
        return []
    found: list[str] = []
    seen_pages: set[str] = set()
    reads = 1 if isinstance(collection, str) else 0
    page: Any = doc
    if not _items_of(doc) and doc.get("first") is not None:
        page = doc["first"]
    while page is not None and len(found) < max_items:
        if isinstance(page, str):
            if page in seen_pages or reads >= max_pages:
                break
            seen_pages.add(page)
            try:
                page = await _fetch(rt, page, origin)
            except FetchError:
                break  # what was read so far stands
            reads += 1
        if not is_collection(page):
            break
        if isinstance(page.get("id"), str):
            seen_pages.add(page["id"])
        for item in _items_of(page):
            item_id = object_id(item)
            if item_id and item_id not in found:
                found.append(item_id)
        page = page.get("next")
        page = object_id(page) if isinstance(page, dict) and not _items_of(page) else page
    return found[:max_items]
