"""Entities built once and kept as JSON bytes while the rows they were built from stay the same.

The key of each entry is the data it was made from (a status row, its mentions, tags, media and
card; an account row), read again by every request: a changed row makes a new entry, so nothing
needs telling when a status is edited, counted, deleted or its author renamed, and several
processes never disagree. What depends on the reader (favourited, filtered, a poll's own votes…)
is never in an entry. Capped: the least recently used entries go first.
"""
from __future__ import annotations

from typing import Callable

import orjson

from federation.runtime import Runtime

CAPACITY = 4096  # a few KB each: some 10 MB at most


def cached_json(rt: Runtime, slot: tuple, key: object, build: Callable[[], object]) -> bytes:
    """The JSON of `build()`, built again only when `key` differs from the one it was built for."""
    entries = rt.entity_json
    hit = entries.get(slot)
    if hit is not None and hit[0] == key:
        entries.move_to_end(slot)
        return hit[1]
    body = orjson.dumps(build())
    entries[slot] = (key, body)
    if len(entries) > CAPACITY:
        entries.popitem(last=False)
    return body


def forget(rt: Runtime, kind: str, ids) -> None:  # noqa: ANN001
    """Drop entries early (memory only: a stale entry is never served, its key no longer matches)."""
    for one in ids:
        rt.entity_json.pop((kind, one), None)
