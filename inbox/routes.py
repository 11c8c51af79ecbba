"""POST to a personal or the shared inbox: cap size → parse → verify → store → 202."""
from __future__ import annotations

import asyncio
import hashlib
import logging

from aiohttp import web

from backchannel.keys import INTAKE, RUNTIME
from federation import deref, httpsig, safejson
from federation.as2 import host_of, object_id
from federation.authenticate import signer_of
from federation.urls import ROUTES
from inbox.handlers import forwarded
from models import accounts

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class BodyRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


async def _read_body(request: web.Request, limit: int, seconds: float) -> bytes:
    """The body, at most `limit` bytes, received within `seconds` all told: a sender that trickles
    it (one byte at a time, each just before the socket would time out) is cut off with 408."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRefused(413, f"the body is larger than {limit} bytes")
    if request.content.is_eof():
        # All of it came with the headers (an activity usually does): taken as it is, no timer.
        body = request.content.read_nowait()
        if len(body) > limit:
            raise BodyRefused(413, f"the body is larger than {limit} bytes")
        return body
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.content.iter_chunked(65536):
                body += chunk
                if len(body) > limit:
                    raise BodyRefused(413, f"the body is larger than {limit} bytes")
    except TimeoutError:
        raise BodyRefused(408, f"the body did not arrive within {seconds:g} seconds") from None
    return bytes(body)


@routes.post(ROUTES.shared_inbox.path)
async def shared_inbox(request: web.Request) -> web.Response:
    return await _receive(request, recipient_id=None)


@routes.post(ROUTES.inbox.path)
async def personal_inbox(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        account = await accounts.by_acct(conn, request.match_info["username"], None)
    if account is None:
        return _refuse(404, "no such inbox")
    return await _receive(request, recipient_id=account.id)


@routes.post(ROUTES.instance_inbox.path)
async def instance_inbox(request: web.Request) -> web.Response:
    return await _receive(request, recipient_id=None)


async def _receive(request: web.Request, recipient_id: int | None) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        body = await _read_body(request, rt.config.max_body_bytes, rt.config.body_read_timeout)
    except BodyRefused as err:
        return _refuse(err.status, err.reason)
    try:
        activity = safejson.loads(body)
    except safejson.JSONTooDeep as err:
        return _refuse(400, str(err))
    except ValueError:
        return _refuse(400, "the body is not JSON")
    actor_uri = object_id(activity.get("actor")) if isinstance(activity, dict) else None
    if not actor_uri or not isinstance(activity.get("type"), (str, list)):
        return _refuse(400, "an activity needs a type and an actor")
    if deref.is_local(rt, actor_uri):
        return _refuse(401, "activities of local actors are not accepted from outside")
    verdict = await rt.policy.check(host_of(actor_uri))
    if not verdict.allowed:
        # Refused before any signature check, so a blocked server cannot make this node fetch anything.
        return _refuse(403, f"this node does not federate with {host_of(actor_uri)}")
    activity_uri = object_id(activity)
    if activity_uri is not None and host_of(activity_uri) != host_of(actor_uri):
        # Refused before it is stored: its id would otherwise be taken for deduplication, and the
        # real activity of that id, from its own origin, dropped later as a duplicate.
        return _refuse(400, "the activity's id is not on its actor's host")
    if await _unknown_actor_deleting_itself(rt, activity, actor_uri):
        # Its key is gone with it; fetching would only fail. Nothing of it is stored here anyway.
        return web.Response(status=202)
    try:
        signer = await signer_of(rt, request.method, request.path_qs, request.headers, body, cached_key=True)
    except httpsig.SignatureError as err:
        return _refuse(401, f"signature refused: {err}")
    # The dedup key: an id on the actor's own origin (checked above), or a hash of what it signed.
    activity_uri = activity_uri or "sha256:" + hashlib.sha256(body).hexdigest()
    if signer.uri != actor_uri:
        # Someone else's activity, forwarded: only a reply to a post on the sender's own host, and
        # believed only once its author's proof or its origin confirms it (inbox.handlers.forwarded).
        if not await forwarded.may_forward(rt, activity, signer.uri):
            return _refuse(401, "the key that signed this request does not belong to the activity's actor")
        if not (await rt.policy.check(host_of(signer.uri))).allowed:
            return _refuse(403, f"this node does not federate with {host_of(signer.uri)}")
        # Kept apart from the activity's own id: a forgery must not make the real one a duplicate.
        activity_uri = f"{activity_uri} forwarded by {signer.uri}"
    sender_host = host_of(signer.uri)
    # It speaks: if it was failing, deliveries to it resume (and a breaker waiting on it closes).
    await rt.peers.record_success(sender_host)
    # Stored with whatever else arrived meanwhile; answered once committed (inbox.intake). The
    # sender is the signer: a forwarded activity is known by its actor differing (inbox.handlers.forwarder).
    await request.app[INTAKE].store(activity_uri=activity_uri, actor_uri=signer.uri, origin=sender_host,
                                    body=body.decode("utf-8", "replace"), recipient_account_id=recipient_id)
    rt.wake("inbox")
    return web.Response(status=202)


async def _unknown_actor_deleting_itself(rt, activity: dict, actor_uri: str) -> bool:  # noqa: ANN001
    if activity.get("type") != "Delete" or object_id(activity.get("object")) != actor_uri:
        return False
    async with rt.db.read() as conn:
        return await accounts.by_uri(conn, actor_uri) is None
