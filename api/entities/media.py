"""MediaAttachment: a local file (url, preview_url) or a remote one (remote_url)."""
from __future__ import annotations

from federation.runtime import Runtime
from models.media import Media
from social.media_cache import proxy_url


def _dims(width: int | None, height: int | None) -> dict:
    if not width or not height:
        return {}
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": round(width / height, 6)}


def _length(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds * 100) % 100:02d}"


def media_entity(rt: Runtime, m: Media) -> dict:
    if m.file_name:
        url = rt.urls.media(m.file_name)
        preview = rt.urls.media(m.thumb_name) if m.thumb_name else (url if m.type == "image" else None)
        remote = None
    else:
        # A remote file is served from this node's cached copy (social.media_cache), unless hot-linked.
        url = preview = proxy_url(rt, m.remote_url)
        remote = m.remote_url
    meta: dict = {"focus": {"x": m.focus_x, "y": m.focus_y}}
    if _dims(m.width, m.height):
        meta["original"] = _dims(m.width, m.height)
    if _dims(m.thumb_width, m.thumb_height):
        meta["small"] = _dims(m.thumb_width, m.thumb_height)
    if m.duration:
        # Mastodon's video and audio meta: length and bit rate, and a video's frame rate.
        timing = {"duration": m.duration, "bitrate": int((m.size or 0) * 8 / m.duration)}
        if m.frame_rate:
            timing["frame_rate"] = m.frame_rate
        meta["original"] = meta.get("original", {}) | timing
        meta["length"] = _length(m.duration)
    return {"id": str(m.id), "type": m.type, "url": url, "preview_url": preview, "remote_url": remote,
            "preview_remote_url": None, "text_url": None, "meta": meta, "description": m.description,
            "blurhash": m.blurhash}
