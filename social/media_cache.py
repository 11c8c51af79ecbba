"""Remote media served from this node: the images, videos and sounds of remote posts and the
avatars and headers of remote accounts are fetched once, through the guarded client, kept in the
node's media storage and served from there, so no employee's browser or app contacts another
organisation's server (and reveals its address) to show them.

Entities carry `proxy_url(rt, remote)`: a path on this node naming the remote URL, signed with a
key derived from the node's shared session secret, so the route is no open proxy for arbitrary
URLs. The first request fetches (the federation policy, the address rules, one deadline and a size
cap apply); later ones are served from storage. What is kept is chosen by its first bytes, never by
the remote server's Content-Type: raster images, MP4/WebM video and common audio. Entries unused for
`remote_media_cache_days`, and the oldest beyond `remote_media_cache_bytes`, are pruned; the next
reader fetches again. `remote_media = hotlink` turns all of this off.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import logging
import time

from federation.http import BlockedAddress, BlockedDomain, FetchError
from federation.runtime import Runtime
from federation.urls import Urls
from models import media_cache as store
from social.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

# First bytes → (extension, Content-Type served). Nothing else is kept: no SVG, HTML or script.
KINDS = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"GIF87a", "gif", "image/gif"), (b"GIF89a", "gif", "image/gif"),
    (b"\x1a\x45\xdf\xa3", "webm", "video/webm"), (b"OggS", "ogg", "audio/ogg"), (b"ID3", "mp3", "audio/mpeg"),
    (b"fLaC", "flac", "audio/flac"),
)


class Unavailable(ServiceError):
    status = 502


@functools.lru_cache(maxsize=8)
def _key(secret: bytes) -> bytes:
    return hmac.new(secret, b"remote media proxy", hashlib.sha256).digest()


def _signature(secret: bytes, url: str) -> str:
    digest = hmac.new(_key(secret), url.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def proxy_url(rt: Runtime, url: str | None) -> str | None:
    """What a reader is given for a remote file: this node's cached copy, or the remote URL itself
    when the admin chose hot-linking."""
    if not url or rt.config.remote_media == "hotlink":
        return url
    return _proxied(rt.urls, rt.session_secret, url)


@functools.lru_cache(maxsize=4096)  # pages and entities show the same avatars and images again and again
def _proxied(urls: Urls, secret: bytes, url: str) -> str:
    return urls.media_proxy(_signature(secret, url), url)


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, ext, content_type in KINDS:
        if data.startswith(magic):
            return ext, content_type
    if data[4:8] == b"ftyp":
        return "mp4", "video/mp4"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav", "audio/wav"
    return None


async def cached(rt: Runtime, signature: str, url: str) -> tuple[str, str]:
    """(storage name, Content-Type) of the cached copy of a signed remote URL, fetched now when it
    is not kept yet. 404 for a signature this node did not make."""
    if not hmac.compare_digest(signature, _signature(rt.session_secret, url)):
        raise NotFound("Record not found")
    async with rt.db.read() as conn:
        found = await store.get(conn, url)
    if found is not None:
        if found.used_at < time.time() - 3600:  # "recently used" to the hour is enough for pruning
            async with rt.db.write() as conn:
                await store.touch(conn, found.id)
        return found.name, found.content_type
    lock = rt.media_fetches.setdefault(url, asyncio.Lock())
    async with lock:  # one fetch per URL in this process, however many readers ask at once
        try:
            return await _fetch(rt, url)
        finally:
            rt.media_fetches.pop(url, None)


async def _fetch(rt: Runtime, url: str) -> tuple[str, str]:
    async with rt.db.read() as conn:
        found = await store.get(conn, url)
    if found is not None:
        return found.name, found.content_type
    limit = max(rt.config.max_media_bytes, rt.config.max_video_bytes)
    try:
        resp, data, _ = await rt.http.request("GET", url, headers={"Accept": "image/*, video/*, audio/*"})
    except (BlockedAddress, BlockedDomain) as err:
        raise NotFound("Record not found") from err
    except FetchError as err:
        raise Unavailable(f"the remote file cannot be had: {err}") from None
    if resp.status >= 400:
        raise NotFound("Record not found") if resp.status in (404, 410) else Unavailable(
            f"the remote server answered {resp.status}")
    kind = sniff(data)
    if kind is None or len(data) > limit:
        raise NotFound("Record not found")
    ext, content_type = kind
    name = f"cache-{hashlib.sha256(url.encode()).hexdigest()[:40]}.{ext}"
    await rt.media.put(name, data, content_type)
    async with rt.db.write() as conn:
        await store.insert(conn, url=url, name=name, content_type=content_type, size=len(data))
    return name, content_type


async def prune(rt: Runtime) -> int:
    """Forget cached copies unused for the configured days, then the least recently used beyond the
    size budget; their files go too. How many were pruned."""
    async with rt.db.write() as conn:
        gone = await store.expire(conn, time.time() - rt.config.remote_media_cache_days * 86400,
                                  rt.config.remote_media_cache_bytes)
    for name in gone:
        await rt.media.delete(name)
    return len(gone)
