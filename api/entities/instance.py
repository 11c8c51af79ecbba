"""Instance (v1 and v2, Mastodon 4.3 shapes): which server this is and which limits apply; and the
smaller entities of /api/v1/instance/*: weekly Activity, ExtendedDescription, public DomainBlock."""
from __future__ import annotations

import hashlib
import html
from datetime import datetime

from yarl import URL

import backchannel
from api.entities.formats import iso
from federation.runtime import Runtime
from social.media_av import AV_MIME_TYPES, MAX_FPS

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
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", *AV_MIME_TYPES],
            "image_size_limit": rt.config.max_media_bytes,
            "image_matrix_limit": rt.config.max_media_pixels,
            "video_size_limit": rt.config.max_video_bytes,
            "video_frame_rate_limit": MAX_FPS,
            "video_matrix_limit": rt.config.max_media_pixels,
        },
        "polls": {"max_options": 4, "max_characters_per_option": 50,
                  "min_expiration": 300, "max_expiration": 2629746},
    }


def _thumbnail(rt: Runtime) -> str:
    return rt.urls.static("thumbnail.png")


def instance_v1_entity(rt: Runtime, stats: dict[str, int]) -> dict:
    return {
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
    }


def instance_v2_entity(rt: Runtime, stats: dict[str, int]) -> dict:
    configuration = _configuration(rt) | {
        "urls": {"streaming": _streaming_url(rt)},
        "vapid": {"public_key": rt.vapid.public_key},
        "translation": {"enabled": False},
    }
    return {
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
    }


def activity_entity(week: datetime, statuses: int, logins: int, registrations: int) -> dict:
    """Every figure a string, as on Mastodon."""
    return {"week": str(int(week.timestamp())), "statuses": str(statuses), "logins": str(logins),
            "registrations": str(registrations)}


def extended_description_entity(description: str, updated_at: float) -> dict:
    """The node's description (plain text, paragraphs split by blank lines) as escaped HTML."""
    paragraphs = [p.strip() for p in description.split("\n\n") if p.strip()]
    return {"updated_at": iso(updated_at), "content": "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)}


def domain_block_entity(domain: str, severity: str, public_comment: str | None) -> dict:
    body = {"domain": domain, "digest": hashlib.sha256(domain.encode()).hexdigest(), "severity": severity}
    if public_comment:
        body["comment"] = public_comment  # optional on Mastodon: absent without a comment
    return body
