"""Entities built once and kept as JSON bytes while the rows they were built from stay the same.

The key of each entry is the data it was made from (a status row, its author's row, its mentions,
tags, media and card; an account row), read again by every request: a changed row makes a new
entry, so nothing needs telling when a status is edited, counted, deleted or its author renamed, and
several processes never disagree. Rows are read as the same object while unchanged
(models.rows.reusable), so comparing a key is mostly comparing identities. What depends on the
reader (favourited, filtered, a poll's own votes…) is never in an entry. Capped: the least recently
used entries go first.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import orjson

from federation.runtime import Runtime

CAPACITY = 4096  # a few KB each: some 10 MB at most

T = TypeVar("T")


def cached(rt: Runtime, slot: tuple, key: object, build: Callable[[], T]) -> T:
    """`build()`, called again only when `key` differs from the one it was called for."""
    entries = rt.entity_json
    hit = entries.get(slot)
    if hit is not None and hit[0] == key:
        entries.move_to_end(slot)
        return hit[1]
    value = build()
    entries[slot] = (key, value)
    if len(entries) > CAPACITY:
        entries.popitem(last=False)
    return value


def cached_json(rt: Runtime, slot: tuple, key: object, build: Callable[[], object]) -> bytes:
    """The JSON of `build()`, built again only when `key` differs from the one it was built for."""
    return cached(rt, slot, key, lambda: orjson.dumps(build()))


def forget(rt: Runtime, kind: str, ids) -> None:  # noqa: ANN001
    """Drop entries early (memory only: a stale entry is never served, its key no longer matches)."""
    for one in ids:
        rt.entity_json.pop((kind, one), None)
