"""Mastodon-style time-sortable 64-bit ids: milliseconds since the epoch in the high bits."""
import os
import threading
import time

_lock = threading.Lock()
_last = 0


def new_id(at: float | None = None) -> int:
    """A unique id that sorts by creation time; `at` (epoch seconds) backdates it (remote posts)."""
    global _last
    millis = int((time.time() if at is None else at) * 1000)
    candidate = (millis << 16) | int.from_bytes(os.urandom(2), "big")
    if at is not None:
        return candidate
    with _lock:
        # Strictly increasing within the process, so ids from one burst keep their order.
        if candidate <= _last:
            candidate = _last + 1
        _last = candidate
    return candidate


def id_floor(at: float) -> int:
    """The smallest id created at `at`, for time-based pagination."""
    return int(at * 1000) << 16
