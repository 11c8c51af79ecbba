"""Mastodon-style time-sortable 64-bit ids: milliseconds since the epoch in the high bits."""
import itertools
import os
import random
import threading
import time

EARLIEST = 946684800.0  # 2000-01-01: backdated ids go no earlier
_lock = threading.Lock()
_last = 0
# Low bits of backdated ids: a counter from a random start, so ids made for the same instant differ.
_sequence = itertools.count(int.from_bytes(os.urandom(2), "big"))


def new_id(at: float | None = None) -> int:
    """A unique id that sorts by creation time; `at` (epoch seconds) backdates it (remote posts).

    A time in the future is taken as now, so a remote post cannot pin itself to the top of timelines;
    one before 2000 as 2000.
    """
    global _last
    now = time.time()
    if at is not None:
        at = max(at, EARLIEST)  # an id is never negative, whatever date it is given
    if at is not None and at < now:
        with _lock:
            return (int(at * 1000) << 16) | (next(_sequence) & 0xFFFF)
    # Random low bits, so two processes' ids of one millisecond differ (no system call: many ids a post).
    candidate = (int(now * 1000) << 16) | random.getrandbits(16)
    with _lock:
        # Strictly increasing within the process, so ids from one burst keep their order.
        if candidate <= _last:
            candidate = _last + 1
        _last = candidate
    return candidate


def id_floor(at: float) -> int:
    """The smallest id created at `at`, for time-based pagination."""
    return int(at * 1000) << 16
