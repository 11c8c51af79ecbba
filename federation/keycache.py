"""Remote actors' public keys as last read, kept a few minutes per process so the inbox verifies a
busy sender's requests without a database read each. A key that no longer verifies is refetched
anyway (federation.deref.KeyLookup), so a rotated key is picked up on the first request it signs."""
from __future__ import annotations

import time
from collections import OrderedDict

from models.accounts import Account

KEEP_SECONDS = 300.0
MAX_KEYS = 2048  # a few MiB at most: the senders this node heard from lately


class KeyCache:
    def __init__(self, *, seconds: float = KEEP_SECONDS, size: int = MAX_KEYS):
        self.seconds, self.size = seconds, size
        self._keys: OrderedDict[str, tuple[float, Account]] = OrderedDict()

    def get(self, key_id: str) -> Account | None:
        hit = self._keys.get(key_id)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            del self._keys[key_id]
            return None
        self._keys.move_to_end(key_id)
        return hit[1]

    def put(self, key_id: str, owner: Account) -> None:
        self._keys[key_id] = (time.monotonic() + self.seconds, owner)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
