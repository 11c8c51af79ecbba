"""What a client asks first: which server is this, which limits apply (Mastodon 4.3 shapes)."""
from __future__ import annotations

from aiohttp import web
from yarl import URL

import backchannel
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation import webpush
from models import instance_stats

SOURCE_URL = ""  # the project has no public repository address yet
MAX_MEDIA_ATTACHMENTS = 4  # models.media.MAX_ATTACHMENTS


def version() -> str:
    # Clients parse the leading Mastodon version to decide which API features to use.
    return f"4.3.0 (compatible; Backchannel {backchannel.__version__})"


def _streaming_url(rt: Runtime) -> str:
    base = URL(rt.urls.base)
    return str(base.with_scheme("ws" if base.scheme == "http" else "wss"))


def _configuration(rt: Runtime) -> dict:
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {"max_characters": rt.config.max_status_chars,
                     "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                     "characters_reserved_per_url": 23},
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
            "image_size_limit": rt.config.max_media_bytes,
            "image_matrix_limit": rt.config.max_media_pixels,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {"max_options": 4, "max_characters_per_option": 50,
                  "min_expiration": 300, "max_expiration": 2629746},
    }


def _thumbnail(rt: Runtime) -> str:
    return rt.urls.static("thumbnail.png")


async def instance_v1(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        stats = await instance_stats.instance_stats(conn)
    return web.json_response({
        "uri": rt.config.domain,
        "title": rt.config.title,
        "short_description": rt.config.description,
        "description": rt.config.description,
        "email": rt.config.contact_email,
        "version": version(),
        "urls": {"streaming_api": _streaming_url(rt)},
        "stats": stats,
        "thumbnail": _thumbnail(rt),
        "languages": ["en"],
        "registrations": rt.config.registrations != "closed",  # the `registrations` setting
        "approval_required": rt.config.registrations == "approval",
        "invites_enabled": False,
        "configuration": _configuration(rt),
        "contact_account": None,
        "rules": [],
    })


async def instance_v2(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        stats = await instance_stats.instance_stats(conn)
    configuration = _configuration(rt) | {
        "urls": {"streaming": _streaming_url(rt)},
        "vapid": {"public_key": webpush.vapid_key(rt.config.data).public_key},
        "translation": {"enabled": False},
    }
    return web.json_response({
        "domain": rt.config.domain,
        "title": rt.config.title,
        "version": version(),
        "source_url": SOURCE_URL,
        "description": rt.config.description,
        # No activity tracking; the number of users is the closest honest figure.
        "usage": {"users": {"active_month": stats["user_count"]}},
        "thumbnail": {"url": _thumbnail(rt)},
        "icon": [],
        "languages": ["en"],
        "configuration": configuration,
        "registrations": {"enabled": rt.config.registrations != "closed",
                          "approval_required": rt.config.registrations == "approval",
                          "message": None, "url": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": rt.config.contact_email, "account": None},
        "rules": [],
    })


async def empty_list(request: web.Request) -> web.Response:
    """/api/v1/instance/rules and similar: nothing configured."""
    return web.json_response([])


ROUTES = [
    web.get("/api/v1/instance", instance_v1),
    web.get("/api/v1/instance/", instance_v1),
    web.get("/api/v2/instance", instance_v2),
    web.get("/api/v2/instance/", instance_v2),
    # peers, activity, rules and the rest: api/instance_extra.py
    web.get("/api/v1/custom_emojis", empty_list),
]
