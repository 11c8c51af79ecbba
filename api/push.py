"""/api/v1/push/subscription: the token's Web Push subscription (Mastodon's WebPushSubscription)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from api.auth import Viewer, bearer_token, require
from api.entities.push import push_subscription_entity
from api.params import TRUE, Params
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation import webpush
from models import push
from social import push as push_uc
from social.errors import NotFound, Unprocessable


def _nested(params: Params, outer: str, *path: str) -> Any:
    """`outer[a][b]` from a form, or {"outer": {"a": {"b": …}}} from JSON."""
    flat = f"{outer}" + "".join(f"[{p}]" for p in path)
    if flat in params:
        return params.raw(flat)
    value = params.raw(outer)
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _alerts(params: Params, current: dict[str, bool] | None) -> dict[str, bool]:
    alerts = dict(current) if current else {name: False for name in push.ALERTS}
    for name in push.ALERTS:
        value = _nested(params, "data", "alerts", name)
        if value is not None:
            alerts[name] = value if isinstance(value, bool) else str(value).strip().lower() in TRUE
    return alerts


def _policy(params: Params, current: str = "all") -> str:
    policy = _nested(params, "data", "policy")
    if policy is None:
        policy = params.raw("policy")  # some clients send it at the top level
    policy = current if policy in (None, "") else str(policy)
    if policy not in push.POLICIES:
        raise Unprocessable(f"Validation failed: Policy must be one of {', '.join(push.POLICIES)}")
    return policy


def _endpoint(rt: Runtime, params: Params) -> str:
    endpoint = _nested(params, "subscription", "endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise Unprocessable("Validation failed: Endpoint can't be blank")
    parts = urlsplit(endpoint.strip())
    allowed = ("https", "http") if rt.config.insecure_http else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise Unprocessable("Validation failed: Endpoint must be an https URL")
    return endpoint.strip()


async def _token_id(request: web.Request, viewer: Viewer) -> int:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await push.token_id(conn, bearer_token(request) or "")
    if found is None:  # require() accepted this token a moment ago; it was revoked since
        raise NotFound("Record not found")
    return found


async def create(request: web.Request) -> web.Response:
    viewer = await require(request, "push")
    rt = request.app[RUNTIME]
    params = await Params.read(request)
    endpoint = _endpoint(rt, params)
    p256dh = _nested(params, "subscription", "keys", "p256dh")
    auth = _nested(params, "subscription", "keys", "auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise Unprocessable("Validation failed: Keys can't be blank")
    try:
        webpush.subscription_keys(p256dh, auth)
    except webpush.InvalidSubscriptionKey as err:
        raise Unprocessable(f"Validation failed: {err}") from None
    token_id = await _token_id(request, viewer)
    sub = await push_uc.subscribe(rt, viewer.account, token_id, endpoint=endpoint, p256dh=p256dh.strip(),
                                  auth=auth.strip(), alerts=_alerts(params, None), policy=_policy(params))
    return web.json_response(push_subscription_entity(rt, sub))


async def _current(request: web.Request, viewer: Viewer) -> push.Subscription:
    token_id = await _token_id(request, viewer)
    async with request.app[RUNTIME].db.read() as conn:
        sub = await push.for_token(conn, token_id)
    if sub is None:
        raise NotFound("Record not found")
    return sub


async def show(request: web.Request) -> web.Response:
    viewer = await require(request, "push")
    return web.json_response(push_subscription_entity(request.app[RUNTIME], await _current(request, viewer)))


async def change(request: web.Request) -> web.Response:
    viewer = await require(request, "push")
    rt = request.app[RUNTIME]
    sub = await _current(request, viewer)
    params = await Params.read(request)
    sub = await push_uc.change(rt, sub.token_id, alerts=_alerts(params, sub.alerts),
                               policy=_policy(params, sub.policy))
    return web.json_response(push_subscription_entity(rt, sub))


async def remove(request: web.Request) -> web.Response:
    viewer = await require(request, "push")
    rt = request.app[RUNTIME]
    await push_uc.unsubscribe(rt, await _token_id(request, viewer))
    return web.json_response({})


ROUTES = [
    web.post("/api/v1/push/subscription", create),
    web.get("/api/v1/push/subscription", show),
    web.put("/api/v1/push/subscription", change),
    web.delete("/api/v1/push/subscription", remove),
]
