"""Attachments on the wire: this node's media as AS2 `Document`s, and remote attachments read from
incoming Notes (kept as URLs, never downloaded)."""
from __future__ import annotations

from typing import Any, Iterable

from federation.as2 import first_url
from federation.sanitize import sanitize_text
from federation.urls import Urls
from models.media import Media

MEDIA_TYPES = {"image": "Image", "gifv": "Video", "video": "Video", "audio": "Audio"}
REMOTE_TYPES = {"Image": "image", "Video": "video", "Audio": "audio", "Document": None}
MAX_REMOTE = 8


def attachment_document(media: Media, urls: Urls) -> dict:
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.content_type,
        "url": urls.media(media.file_name) if media.file_name else media.remote_url,
        # Mastodon reads the description from `summary`, then `name`, and sends it in `name`;
        # GoToSocial reads `summary` first (its `name` may be a file name): send it in both.
        "name": media.description,
        "summary": media.description,
        "blurhash": media.blurhash,
        "focalPoint": [media.focus_x, media.focus_y],
    }
    if media.width and media.height:
        doc["width"], doc["height"] = media.width, media.height
    return doc


def attachment_documents(items: Iterable[Media], urls: Urls) -> list[dict]:
    return [attachment_document(m, urls) for m in items]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000 else None


def _kind(doc: dict) -> str:
    media_type = doc.get("mediaType") if isinstance(doc.get("mediaType"), str) else ""
    kind = doc.get("type") if isinstance(doc.get("type"), str) else ""
    mapped = REMOTE_TYPES.get(kind)
    if mapped:
        return mapped
    family = media_type.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(family, "unknown")


def _description(doc: dict) -> str | None:
    """The alt text: `summary` first (GoToSocial, Mastodon), then `name` (older Mastodon, others)."""
    for key in ("summary", "name"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def remote_attachments(note: dict) -> list[dict]:
    """Column values (models.media) for the attachments of a remote Note; only http(s) URLs."""
    raw = note.get("attachment")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    out = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") == "PropertyValue":
            continue
        url = first_url(item.get("url")) or first_url(item.get("href"))
        if not url:
            continue
        focus = item.get("focalPoint")
        fx, fy = 0.0, 0.0
        if isinstance(focus, list) and len(focus) == 2 and all(isinstance(v, (int, float)) for v in focus):
            fx, fy = (max(-1.0, min(1.0, float(v))) for v in focus)
        name = _description(item)
        blur = item.get("blurhash") if isinstance(item.get("blurhash"), str) else None
        media_type = item.get("mediaType") if isinstance(item.get("mediaType"), str) else None
        out.append({
            "type": _kind(item),
            "content_type": media_type[:64] if media_type else None,
            "remote_url": url,
            "description": sanitize_text(name, 1500) if name else None,
            "blurhash": blur if blur and len(blur) <= 64 and blur.isascii() else None,
            "width": _int(item.get("width")),
            "height": _int(item.get("height")),
            "focus_x": fx,
            "focus_y": fy,
        })
        if len(out) >= MAX_REMOTE:
            break
    return out

