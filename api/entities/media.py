"""MediaAttachment: a local file (url, preview_url) or a remote one (remote_url)."""
from __future__ import annotations

from federation.runtime import Runtime
from models.media import Media


def _dims(width: int | None, height: int | None) -> dict:
    if not width or not height:
        return {}
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": round(width / height, 6)}


def media_entity(rt: Runtime, m: Media) -> dict:
    if m.file_name:
        url = rt.urls.media(m.file_name)
        preview = rt.urls.media(m.thumb_name) if m.thumb_name else url
        remote = None
    else:
        url = preview = remote = m.remote_url
    meta: dict = {"focus": {"x": m.focus_x, "y": m.focus_y}}
    if _dims(m.width, m.height):
        meta["original"] = _dims(m.width, m.height)
    if _dims(m.thumb_width, m.thumb_height):
        meta["small"] = _dims(m.thumb_width, m.thumb_height)
    return {"id": str(m.id), "type": m.type, "url": url, "preview_url": preview, "remote_url": remote,
            "preview_remote_url": None, "text_url": None, "meta": meta, "description": m.description,
            "blurhash": m.blurhash}
