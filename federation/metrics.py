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

from prometheus_client import CollectorRegistry, Counter, Histogram

OTHER = "other"
# The activity types a Fediverse server commonly sends; anything else is counted as "other".
ACTIVITY_TYPES = frozenset({
    "Accept", "Add", "Announce", "Block", "Create", "Delete", "EmojiReact", "Flag", "Follow", "Like",
    "Move", "Question", "Reject", "Remove", "Undo", "Update"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self, *, domain_labels: int = 50):
        self.registry = CollectorRegistry(auto_describe=True)
        self.domain_labels = domain_labels
        self._domains: set[str] = set()
        # (method, route, status) → the two children: labels() validates and locks on every call,
        # and the series are bounded (declared routes), so each is looked up once.
        self._request_children: dict[tuple[str, str, int], tuple] = {}
        self._delivery_children: dict[tuple[str, str], object] = {}  # bounded by domain_labels
        r = self.registry
        self.requests = Counter("backchannel_http_requests", "HTTP requests answered, by declared route",
                                ["method", "route", "status"], registry=r)
        self.request_seconds = Histogram(
            "backchannel_http_request_duration_seconds", "Time to answer an HTTP request, by declared route",
            ["method", "route"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.deliveries = Counter("backchannel_deliveries", "Outgoing activity deliveries, by outcome and domain "
                                  "(delivered, retry, dropped, deferred: breaker open)",
                                  ["outcome", "domain"], registry=r)
        self.inbox_activities = Counter("backchannel_inbox_activities", "Inbound activities processed, by type "
                                        "and outcome (applied, retry, dropped)", ["type", "outcome"], registry=r)
        self.signature_failures = Counter("backchannel_signature_failures", "HTTP signatures refused, by where "
                                          "(inbox: a POST, fetch: a signed GET)", ["where"], registry=r)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else OTHER  # keyed after this: a made-up method is one more key
        children = self._request_children.get((method, route, status))
        if children is None:
            children = self._request_children[(method, route, status)] = (
                self.requests.labels(method, route, str(status)), self.request_seconds.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

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
