"""What every use case needs: settings, the database, URL templates, the outgoing HTTP client, the
federation policy and per-peer state (both stored in the database), media storage, and a way to wake the queue workers. Built once by backchannel.app; passed explicitly, never global."""
from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field

from backchannel.config import Config
from federation.http import FederationClient, Signer
from federation.keycache import KeyCache
from federation.metrics import Metrics
from federation.peers import Peers
from federation.policy import FederationPolicy
from federation.urls import Urls
from federation.webpush import VapidKey
from models.db import Database
from models.media_storage import MediaStorage

QUEUES = ("inbox", "fanout", "delivery", "threads", "cards")


@dataclass
class Runtime:
    config: Config
    db: Database
    http: FederationClient
    urls: Urls
    policy: FederationPolicy
    peers: Peers
    # Uploaded media: the data folder or S3-compatible storage, the same for every process.
    media: MediaStorage
    # Set when work is queued in this process, so its worker starts at once instead of at the next poll.
    wakeups: dict[str, asyncio.Event] = field(default_factory=lambda: {q: asyncio.Event() for q in QUEUES})
    # The node's own actor signs fetches made on nobody's behalf (filled in at start-up).
    instance_signer: Signer | None = None
    instance_account_id: int | None = None
    # Signing keys of local accounts by account id, with when they were read (outbox.delivery).
    signers: dict[int, tuple[float, Signer]] = field(default_factory=dict)
    # Secrets shared by every process, read from the database at start-up (backchannel.secrets):
    # the key that signs Web Push requests, and the one that signs admin-page sessions.
    vapid: VapidKey | None = None
    session_secret: bytes = b""
    # Remote keys recently read, so the inbox does not read each again (federation.deref.KeyLookup).
    remote_keys: KeyCache = field(default_factory=KeyCache)
    # This process's counters (requests, deliveries, inbound activities), exposed at /metrics.
    metrics: Metrics = field(default_factory=Metrics)
    # Remote media being fetched right now, by URL: one fetch per URL in this process (social.media_cache).
    media_fetches: dict[str, asyncio.Lock] = field(default_factory=dict)
    # Entities (accounts, the parts of statuses that are the same for every reader) as JSON, each with
    # the rows it was built from: reused while those rows are unchanged (api.entities.cache; capped).
    entity_json: collections.OrderedDict = field(default_factory=collections.OrderedDict)

    def wake(self, queue: str) -> None:
        self.wakeups[queue].set()

    @property
    def domain(self) -> str:
        return self.config.domain
