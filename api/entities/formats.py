"""How values look in entities: ids as strings, times as ISO 8601 with milliseconds in UTC."""
from __future__ import annotations

import functools
from datetime import datetime, timezone


def iso(ts: float | None) -> str | None:
    return None if ts is None else _iso(ts)


@functools.lru_cache(maxsize=8192)  # a page repeats the times of posts and accounts read moments ago
def _iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_date(ts: float | None) -> str | None:
    return None if ts is None else _iso_date(ts)


@functools.lru_cache(maxsize=4096)
def _iso_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def sid(value: int | None) -> str | None:
    return None if value is None else str(value)
