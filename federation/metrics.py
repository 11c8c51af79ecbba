"""What this process counts, for Prometheus: requests, deliveries, inbound activities, signature
failures. One registry per runtime (no module-level state), exposed by backchannel/ops.py.

Counters are per process: with several `serve` and `worker` processes each exposes its own and
Prometheus sums them. Figures that must agree across processes (queue depth and age) are not
counted here but read from the database when /metrics is scraped.

Every label is bounded, so a hostile or merely busy federation cannot grow the series without
limit: routes are declared paths, activity types come from a fixed list, and deliveries name at
most `domain_labels` domains (the first ones this process delivers to; the rest are "other").
"""
from __future__ import annotations

import bisect
import time
from typing import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.samples import Sample

OTHER = "other"
# The activity types a Fediverse server commonly sends; anything else is counted as "other".
ACTIVITY_TYPES = frozenset({
    "Accept", "Add", "Announce", "Block", "Create", "Delete", "EmojiReact", "Flag", "Follow", "Like",
    "Move", "Question", "Reject", "Remove", "Undo", "Update"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self, *, domain_labels: int = 50):
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.domain_labels = domain_labels
        self._domains: set[str] = set()
        self._delivery_children: dict[tuple[str, str], object] = {}  # bounded by domain_labels
        self._answered = _Requests()
        r.register(self._answered)
        self.deliveries = Counter("backchannel_deliveries", "Outgoing activity deliveries, by outcome and domain "
                                  "(delivered, retry, dropped, deferred: breaker open)",
                                  ["outcome", "domain"], registry=r)
        self.inbox_activities = Counter("backchannel_inbox_activities", "Inbound activities processed, by type "
                                        "and outcome (applied, retry, dropped)", ["type", "outcome"], registry=r)
        self.signature_failures = Counter("backchannel_signature_failures", "HTTP signatures refused, by where "
                                          "(inbox: a POST, fetch: a signed GET)", ["where"], registry=r)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._answered.add(method, route, status, seconds)

    def delivery(self, outcome: str, domain: str) -> None:
        if domain not in self._domains:
            if len(self._domains) >= self.domain_labels:
                domain = OTHER
            else:
                self._domains.add(domain)
        child = self._delivery_children.get((outcome, domain))
        if child is None:  # every delivery counts itself: each series is looked up once
            child = self._delivery_children[(outcome, domain)] = self.deliveries.labels(outcome, domain)
        child.inc()

    def inbox_activity(self, activity_type: object, outcome: str) -> None:
        kind = activity_type if isinstance(activity_type, str) and activity_type in ACTIVITY_TYPES else OTHER
        self.inbox_activities.labels(kind, outcome).inc()

    def signature_failure(self, method: str) -> None:
        self.signature_failures.labels("inbox" if method == "POST" else "fetch").inc()


class _Requests:
    """backchannel_http_requests_total and backchannel_http_request_duration_seconds, counted in plain
    numbers and exposed as prometheus_client's Counter and Histogram would be: every request adds to
    them, and the library's labels() lookup, locks and bucket loop cost more than the rest of a
    request's bookkeeping (one process's event loop is the only one counting here)."""

    def __init__(self) -> None:
        # (method, route, status) → [requests, created, its (method, route)'s timing]; the series are
        # bounded (declared routes, known methods), so each key is added once.
        self._counts: dict[tuple[str, str, int], list] = {}
        # (method, route) → [requests per bucket (the last: above every bound), sum of seconds, created]
        self._timings: dict[tuple[str, str], list] = {}

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = OTHER  # a made-up method is not a series of its own
        entry = self._counts.get((method, route, status))
        if entry is None:
            timing = self._timings.get((method, route))
            if timing is None:
                timing = self._timings[(method, route)] = [[0] * (len(REQUEST_BUCKETS) + 1), 0.0, time.time()]
            entry = self._counts[(method, route, status)] = [0, time.time(), timing]
        entry[0] += 1
        timing = entry[2]
        timing[0][bisect.bisect_left(REQUEST_BUCKETS, seconds)] += 1
        timing[1] += seconds

    def collect(self) -> Iterator:
        requests = CounterMetricFamily("backchannel_http_requests", "HTTP requests answered, by declared route",
                                       labels=["method", "route", "status"])
        for (method, route, status), (n, created, _timing) in list(self._counts.items()):
            requests.add_metric([method, route, str(status)], n, created=created)
        yield requests
        durations = HistogramMetricFamily("backchannel_http_request_duration_seconds",
                                          "Time to answer an HTTP request, by declared route",
                                          labels=["method", "route"])
        for (method, route), (counts, total, created) in list(self._timings.items()):
            cumulative, buckets = 0, []
            for bound, n in zip((*REQUEST_BUCKETS, float("inf")), counts):
                cumulative += n
                buckets.append((_bound(bound), cumulative))
            durations.add_metric([method, route], buckets, total)
            durations.samples.append(Sample("backchannel_http_request_duration_seconds_created",
                                            {"method": method, "route": route}, created))
        yield durations


def _bound(bound: float) -> str:
    """A bucket's `le` label as prometheus_client writes it ("0.005", "1.0", "+Inf")."""
    return "+Inf" if bound == float("inf") else repr(float(bound))
