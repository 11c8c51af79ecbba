"""WebPushSubscription."""
from __future__ import annotations

from federation.runtime import Runtime
from models import push


def push_subscription_entity(rt: Runtime, sub: push.Subscription) -> dict:
    return {"id": str(sub.id), "endpoint": sub.endpoint, "alerts": dict(sub.alerts), "policy": sub.policy,
            "server_key": rt.vapid.public_key}
