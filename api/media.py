"""/api/v1/media and /api/v2/media: uploading images, describing them, reading them back."""
from __future__ import annotations

from aiohttp import BodyPartReader, web

from api import auth
from api.params import BadRequest, Params, path_id
from api.entities.media import media_entity
from backchannel.keys import RUNTIME
from social import media as media_uc
from social.errors import Unprocessable

FIELD_LIMIT = 8 * 1024  # description and focus are short
CHUNK = 64 * 1024


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise media_uc.TooLarge("File is too large")
    return bytes(data)


async def read_upload(request: web.Request, limit: int, *,
                      fields: tuple[str, ...] = ("description", "focus")) -> tuple[bytes | None, dict[str, str]]:
    """The file and the text fields of a multipart upload, read as a stream with a size cap (the
    application's body limit does not apply to a multipart reader). `fields`: the text fields kept."""
    if request.content_type != "multipart/form-data":
        raise Unprocessable("Validation failed: send the file as multipart/form-data")
    if request.content_length is not None and request.content_length > limit + 2 * FIELD_LIMIT + 4096:
        raise media_uc.TooLarge("File is too large")
    try:
        reader = await request.multipart()
        raw: bytes | None = None
        values: dict[str, str] = {}
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file" and raw is None:
                raw = await _read_part(part, limit)
            elif part.name in fields:
                values[part.name] = (await _read_part(part, FIELD_LIMIT)).decode("utf-8", "replace")
            else:
                await part.release()  # e.g. a client's `thumbnail`: not used
    except (ValueError, AssertionError) as err:
        raise BadRequest(f"Invalid multipart body: {err}") from None
    return raw, values


async def upload(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:media")
    rt = request.app[RUNTIME]
    raw, fields = await read_upload(request, max(rt.config.max_media_bytes, rt.config.max_video_bytes))
    if raw is None:
        raise Unprocessable("Validation failed: File can't be blank")
    media = await media_uc.upload(rt, viewer.account, raw, description=fields.get("description"),
                                  focus=fields.get("focus"))
    return web.json_response(media_entity(rt, media))


async def show(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:media")
    rt = request.app[RUNTIME]
    media = await media_uc.own_media(rt, viewer.account, path_id(request))
    return web.json_response(media_entity(rt, media))


async def update(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:media")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    media = await media_uc.describe(rt, viewer.account, path_id(request), description=params.str("description"),
                                    focus=params.str("focus"))
    return web.json_response(media_entity(rt, media))


ROUTES = [
    web.post("/api/v1/media", upload),
    web.post("/api/v2/media", upload),
    web.get(r"/api/v1/media/{id:\d+}", show),
    web.put(r"/api/v1/media/{id:\d+}", update),
]
