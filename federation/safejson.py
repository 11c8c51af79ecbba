"""JSON from strangers: parsed only when it is not nested absurdly deep.

Python's parser recurses, so a body of 100,000 '[' would raise RecursionError (a 500) or worse;
real ActivityPub documents and API bodies are a handful of levels deep.
"""
from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONTooDeep(ValueError):
    pass


def nesting_depth(text: str | bytes) -> int:
    """The deepest nesting of [ and { outside strings, found without recursion."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, refusing documents nested deeper than `max_depth` (ValueError either way)."""
    if nesting_depth(data) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(data)
