"""Per-host circuit breakers for deliveries, kept in memory with state that expires.

After `threshold` failures in a row a host's breaker opens: deliveries to it wait instead of
trying, for a cool-off that doubles with each further failure up to `max_open`. When it runs out,
one delivery tries (half-open); a success closes the breaker, a failure opens it again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class _State:
    failures: int = 0
    open_until: float = 0.0


@dataclass
class CircuitBreakers:
    threshold: int = 5
    base_open: float = 30.0
    max_open: float = 1800.0
    _hosts: dict[str, _State] = field(default_factory=dict)

    def wait_for(self, host: str, now: float | None = None) -> float:
        """0 when a delivery to `host` may be tried now, else the seconds until it may."""
        state = self._hosts.get(host)
        now = time.monotonic() if now is None else now
        if state is None or state.open_until <= now:
            return 0.0
        return state.open_until - now

    def failure(self, host: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        state = self._hosts.setdefault(host, _State())
        state.failures += 1
        if state.failures >= self.threshold:
            extra = state.failures - self.threshold
            state.open_until = now + min(self.max_open, self.base_open * (2 ** min(extra, 16)))

    def success(self, host: str) -> bool:
        """Close the breaker; True when the host had been failing (worth recording)."""
        return self._hosts.pop(host, None) is not None

