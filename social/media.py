"""Uploading and describing media: images are decoded, checked, re-encoded without their metadata,
thumbnailed and given a blurhash; video and audio are transcoded (social.media_av); the files get
names this node makes up."""
from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import dataclass

from federation.runtime import Runtime
from federation import blurhash
from models import media as media_store
from models.accounts import Account
from models.media import Media
from social.errors import NotFound, ServiceError, Unprocessable
from social.media_av import process_av

THUMBNAIL_SIZE = 640
DESCRIPTION_LIMIT = 1500
# Pillow format → (stored extension, Content-Type). GIFs that do not move become PNGs.
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "GIF": ("gif", "image/gif"),
           "WEBP": ("webp", "image/webp")}
CONTENT_TYPES = {ext: ctype for ext, ctype in FORMATS.values()} | {"mp4": "video/mp4", "mp3": "audio/mpeg"}
MAX_FRAMES = 500


class TooLarge(ServiceError):
    status = 413


@dataclass(frozen=True)
class Processed:
    data: bytes
    ext: str
    content_type: str
    width: int
    height: int
    thumb: bytes
    thumb_ext: str
    thumb_width: int
    thumb_height: int
    blurhash: str


def process_image(raw: bytes, *, max_pixels: int) -> Processed:
    """Decode, check and re-encode an image (CPU-bound: run it in a thread). Raises Unprocessable
    for anything that is not a JPEG, PNG, GIF or WebP image, or that is too large once decoded."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Unprocessable("Validation failed: File content type is invalid") from None
    fmt = image.format or ""
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    # The header's size, checked before anything is decoded.
    if width < 1 or height < 1 or width * height > max_pixels or frames > MAX_FRAMES or \
            width * height * frames > max_pixels * 4:
        raise Unprocessable("Validation failed: File dimensions are too large")
    try:
        animated = fmt == "GIF" and frames > 1
        if animated:
            out = io.BytesIO()
            image.save(out, format="GIF", save_all=True, loop=image.info.get("loop", 0),
                       duration=image.info.get("duration", 100))
            ext, ctype = "gif", "image/gif"
            first = image.convert("RGBA")
        else:
            image.load()
            if fmt == "JPEG":
                image = ImageOps.exif_transpose(image)
            keep_alpha = image.mode in ("RGBA", "LA", "P") and fmt != "JPEG"
            image = image.convert("RGBA" if keep_alpha else "RGB")
            out = io.BytesIO()
            if fmt == "JPEG":
                image.save(out, format="JPEG", quality=90, optimize=True)  # no EXIF, no ICC, no comments
                ext, ctype = "jpg", "image/jpeg"
            elif fmt == "WEBP":
                image.save(out, format="WEBP", quality=90)
                ext, ctype = "webp", "image/webp"
            else:
                image.save(out, format="PNG", optimize=True)
                ext, ctype = "png", "image/png"
            first = image
        width, height = first.size
        thumb_image = first.copy()
        thumb_image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        if thumb_image.mode == "RGBA":
            background = Image.new("RGB", thumb_image.size, (255, 255, 255))
            background.paste(thumb_image, mask=thumb_image.getchannel("A"))
            thumb_image = background
        thumb_image = thumb_image.convert("RGB")
        thumb = io.BytesIO()
        thumb_image.save(thumb, format="JPEG", quality=85)
        tiny = thumb_image.copy()
        tiny.thumbnail((32, 32))
        data = tiny.tobytes()  # RGB, row by row
        pixels = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
        hash_ = blurhash.encode(pixels, tiny.width, tiny.height)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Unprocessable("Validation failed: File could not be processed") from None
    return Processed(out.getvalue(), ext, ctype, width, height, thumb.getvalue(), "jpg",
                     thumb_image.width, thumb_image.height, hash_)


def new_file_name(ext: str) -> str:
    """A name nobody chose: random, never from the client or a remote server."""
    return f"{secrets.token_urlsafe(24)}.{ext}"


async def save_file(rt: Runtime, name: str, data: bytes) -> None:
    """Keep a file this node serves under /media/ (uploads, thumbnails, preview-card images), in the
    node's media storage (the data folder or object storage: models.media_storage)."""
    await rt.media.put(name, data, CONTENT_TYPES[name.rsplit(".", 1)[1]])


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """"x,y" with both in [-1, 1] (Mastodon's focal point)."""
    if value is None or value.strip() == "":
        return None
    try:
        x, y = (float(v) for v in value.split(","))
    except ValueError:
        raise Unprocessable("Validation failed: focus must be two numbers, x,y") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise Unprocessable("Validation failed: focus must be between -1 and 1")
    return x, y


def _check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise Unprocessable(f"Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT})")
    return description


# The first bytes of the image formats Pillow is asked to read; anything else is tried as video or audio.
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def _is_image(raw: bytes) -> bool:
    return raw.startswith(IMAGE_MAGIC) or (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP")


async def upload(rt: Runtime, account: Account, raw: bytes, *, description: str | None = None,
                 focus: str | None = None) -> Media:
    if not raw:
        raise Unprocessable("Validation failed: File can't be blank")
    description = _check_description(description)
    point = parse_focus(focus) or (0.0, 0.0)
    if not _is_image(raw):
        return await _upload_av(rt, account, raw, description, point)
    if len(raw) > rt.config.max_media_bytes:
        raise TooLarge("File is too large")
    processed = await asyncio.to_thread(process_image, raw, max_pixels=rt.config.max_media_pixels)
    name, thumb_name = new_file_name(processed.ext), new_file_name(processed.thumb_ext)
    await save_file(rt, name, processed.data)
    await save_file(rt, thumb_name, processed.thumb)
    async with rt.db.write() as conn:
        return await media_store.insert_media(
            conn, account_id=account.id, type="image", content_type=processed.content_type,
            file_name=name, thumb_name=thumb_name, description=description or None,
            blurhash=processed.blurhash, width=processed.width, height=processed.height,
            size=len(processed.data), thumb_width=processed.thumb_width, thumb_height=processed.thumb_height,
            focus_x=point[0], focus_y=point[1])


async def _upload_av(rt: Runtime, account: Account, raw: bytes, description: str | None,
                     point: tuple[float, float]) -> Media:
    """A video (MP4 with H.264 and AAC, its first frame the thumbnail) or an audio file (MP3)."""
    if len(raw) > rt.config.max_video_bytes:
        raise TooLarge("File is too large")
    processed = await asyncio.to_thread(process_av, raw, max_seconds=rt.config.max_media_seconds,
                                        max_pixels=rt.config.max_media_pixels)
    name = new_file_name(processed.ext)
    await save_file(rt, name, processed.data)
    thumb = None
    if processed.first_frame is not None:
        thumb = await asyncio.to_thread(process_image, processed.first_frame, max_pixels=rt.config.max_media_pixels)
        thumb_name = new_file_name(thumb.thumb_ext)
        await save_file(rt, thumb_name, thumb.thumb)
    async with rt.db.write() as conn:
        return await media_store.insert_media(
            conn, account_id=account.id, type=processed.kind, content_type=processed.content_type,
            file_name=name, thumb_name=thumb_name if thumb else None, description=description or None,
            blurhash=thumb.blurhash if thumb else None, width=processed.width, height=processed.height,
            size=len(processed.data), thumb_width=thumb.thumb_width if thumb else None,
            thumb_height=thumb.thumb_height if thumb else None, focus_x=point[0], focus_y=point[1],
            duration=processed.duration, frame_rate=processed.frame_rate)


async def own_media(rt: Runtime, account: Account, media_id: int) -> Media:
    async with rt.db.read() as conn:
        found = await media_store.get(conn, media_id)
    if found is None or found.account_id != account.id:
        raise NotFound("Record not found")
    return found


async def describe(rt: Runtime, account: Account, media_id: int, *, description: str | None,
                   focus: str | None) -> Media:
    """PUT /api/v1/media/:id: change the description or the focal point of one's own upload."""
    await own_media(rt, account, media_id)
    values: dict = {}
    if description is not None:
        values["description"] = _check_description(description) or None
    point = parse_focus(focus)
    if point is not None:
        values["focus_x"], values["focus_y"] = point
    async with rt.db.write() as conn:
        if values:
            await media_store.update_media(conn, media_id, **values)
        return await media_store.get(conn, media_id)  # type: ignore[return-value]
