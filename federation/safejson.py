"""JSON from strangers: parsed only when it is not nested absurdly deep.

A recursive parser would raise RecursionError (a 500) or worse on a body of 100,000 '['; real
ActivityPub documents and API bodies are a handful of levels deep.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

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


def _openers(data: str | bytes) -> int:
    """How many [ and { the text has, strings included: at least its nesting depth, counted in C."""
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """parse, refusing documents nested deeper than `max_depth` (ValueError either way). A document
    with fewer brackets than that (every activity an inbox gets) is not scanned at all."""
    if _openers(data) > max_depth and nesting_depth(data) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    return parse(data)


def parse(data: str | bytes) -> Any:
    """JSON already known not to be nested absurdly (stored by an inbox, say), parsed as json.loads
    parses it: by orjson, which is several times faster, unless the text has a run of 20 digits (orjson
    reads an integer beyond 64 bits as a float) or orjson refuses it (NaN, Infinity, 1e400, a lone
    surrogate), which json.loads then reads."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _TWENTY_DIGITS in raw.translate(_DIGITS_AS_ZERO):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_TWENTY_DIGITS = b"0" * 20
