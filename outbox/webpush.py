"""The push worker: encrypt each queued notification for its subscription and POST it to the push
service (RFC 8030), signed with the node's VAPID key. Retries 429 and 5xx with backoff; a 404 or
410 means the browser unsubscribed, so the subscription goes."""
from __future__ import annotations

import html
import json
import logging
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from federation.runtime import Runtime
from federation import webpush
from federation.http import FetchError, _retry_after
from models import push, queues
from models.schema import accounts, notifications, push_deliveries, statuses

log = logging.getLogger(__name__)

BATCH = 20
LOCK_SECONDS = 120.0
MAX_ATTEMPTS = 10  # about a day of backoff
TTL_SECONDS = 48 * 3600  # how long the push service may hold a message for an offline browser
BODY_CHARS = 140
GONE = {404, 410}
TITLES = {
    "mention": "{name} mentioned you", "status": "{name} just posted", "reblog": "{name} boosted your post",
    "follow": "{name} is now following you", "follow_request": "{name} has requested to follow you",
    "favourite": "{name} favourited your post", "poll": "A poll you voted in or created has ended",
    "update": "{name} edited a post", "admin.sign_up": "{name} signed up",
    "admin.report": "New report by {name}",
}
_TAG = re.compile(r"<[^>]+>")


def _plain(content: str) -> str:
    text = html.unescape(_TAG.sub(" ", content.replace("</p>", "\n")))
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text if len(text) <= BODY_CHARS else text[:BODY_CHARS - 1] + "…"


async def _payload(rt: Runtime, notification_id: int) -> dict | None:
    """What Mastodon sends: enough for the browser to show something and open the notification."""
    async with rt.db.read() as conn:
        row = (await conn.execute(
            select(notifications.c.id, notifications.c.type, notifications.c.status_id,
                   accounts.c.username, accounts.c.display_name, accounts.c.avatar_url)
            .join(accounts, accounts.c.id == notifications.c.from_account_id)
            .where(notifications.c.id == notification_id))).first()
        if row is None:
            return None
        content = ""
        if row.status_id is not None:
            found = (await conn.execute(select(statuses.c.content, statuses.c.spoiler_text)
                                        .where(statuses.c.id == row.status_id))).first()
            if found:
                content = found.spoiler_text or _plain(found.content)
    name = row.display_name or row.username
    return {
        "notification_id": str(row.id),
        "notification_type": row.type,
        "preferred_locale": "en",
        "icon": row.avatar_url or rt.urls.static("avatar.png"),
        "title": TITLES.get(row.type, "{name}").format(name=name),
        "body": content,
    }


def _urgency(kind: str) -> str:
    return "normal" if kind in ("mention", "follow_request", "admin.report") else "low"


async def send(rt: Runtime, sub: push.Subscription, payload: dict) -> None:
    """One push message; raises FetchError with the push service's status when it is refused."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    if len(body) > webpush.MAX_PLAINTEXT:
        payload = payload | {"body": ""}
        body = json.dumps(payload, ensure_ascii=False).encode()
    parts = urlsplit(sub.endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    subject = (f"mailto:{rt.config.contact_email}" if rt.config.contact_email else rt.urls.base)
    headers = {
        "Authorization": rt.vapid.authorization(audience, subject),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": _urgency(str(payload.get("notification_type"))),
    }
    encrypted = webpush.encrypt(body, sub.p256dh, sub.auth)
    resp, _data, _url = await rt.http.request("POST", sub.endpoint, body=encrypted, headers=headers,
                                              follow_redirects=False)
    if resp.status >= 300:
        raise FetchError(f"push service answered {resp.status}", resp.status,
                         _retry_after(resp.headers.get("Retry-After")))


async def process(rt: Runtime, row) -> None:  # noqa: ANN001
    async with rt.db.read() as conn:
        sub = await push.get(conn, row.subscription_id)
    payload = await _payload(rt, row.notification_id) if sub else None
    if sub is None or payload is None:  # unsubscribed or dismissed meanwhile: nothing to say
        async with rt.db.write() as conn:
            await queues.finish(conn, push_deliveries, row.id)
        return
    try:
        await send(rt, sub, payload)
    except FetchError as err:
        async with rt.db.write() as conn:
            if err.status in GONE:
                await push.remove(conn, sub.id)  # cascades to its queued messages
            elif (err.status is None or err.status == 429 or err.status >= 500) and row.attempts < MAX_ATTEMPTS:
                delay = queues.backoff(row.attempts, base=30, cap=6 * 3600, retry_after=err.retry_after)
                await queues.retry_later(conn, push_deliveries, row.id, str(err), delay)
            else:
                await queues.give_up(conn, push_deliveries, row.id, str(err))
        return
    async with rt.db.write() as conn:
        await queues.finish(conn, push_deliveries, row.id)


async def deliver_due(rt: Runtime) -> None:
    """The periodic job: send what is due (backchannel.workers runs it every second)."""
    for row in await rt.db.claim(push_deliveries, limit=BATCH, lock_seconds=LOCK_SECONDS):
        try:
            await process(rt, row)
        except Exception:  # noqa: BLE001 - the row stays locked and is retried when its lock expires
            log.exception("push delivery %s failed", row.id)
