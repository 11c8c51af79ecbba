"""The circuit breaker rule for a peer: when to stop knocking, and for how long.

After `threshold` failures in a row a peer's breaker opens: deliveries to it wait instead of trying,
for a cool-off that doubles with each further failure up to `max_open`. When it runs out, deliveries
try again (half-open); a success closes the breaker, a failure opens it again for longer.
The state itself (failures in a row, open until) is stored per domain by federation.peers.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Breaker:
    threshold: int = 5
    base_open: float = 30.0
    max_open: float = 1800.0

    def open_until(self, failures: int, now: float) -> float | None:
        """When the breaker closes again after `failures` in a row (None: it stays closed)."""
        if failures < self.threshold:
            return None
        extra = failures - self.threshold
        return now + min(self.max_open, self.base_open * (2 ** min(extra, 16)))
