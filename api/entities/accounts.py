"""Account, CredentialAccount, Relationship and the mention inside a Status."""
from __future__ import annotations

import functools

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.cache import cached_json
from api.entities.formats import iso, iso_date
from federation.content import html_to_text
from federation.runtime import Runtime
from federation.urls import Urls
from models import account_queries
from models import accounts as accounts_store
from models import profile as profile_store
from models.accounts import Account, User
from social.media_cache import proxy_url

BOT_ACTOR_TYPES = ("Service", "Application")


def account_entity(rt: Runtime, account: Account) -> dict:
    """An Account entity. The same for every reader, so it is built once per version of the
    account's row (the row itself is part of the key: any change of any column makes a new one) and
    copied, since callers add to it (moved, source, role)."""
    return dict(_account_entity_uncopied(rt, account))


def account_json(rt: Runtime, account: Account) -> bytes:
    """account_entity as JSON, kept while the account's row is unchanged (api.entities.cache)."""
    return cached_json(rt, ("account", account.id), (account,), lambda: _account_entity_uncopied(rt, account))


def _account_entity_uncopied(rt: Runtime, account: Account) -> dict:
    avatar, header = account.avatar_url, account.header_url
    if not account.local:  # served from this node's cached copies (social.media_cache)
        avatar, header = proxy_url(rt, avatar), proxy_url(rt, header)
    return _account_entity(rt.urls, account, avatar, header)


@functools.lru_cache(maxsize=2048)  # a few MB at most; a page's authors are read again and again
def _account_entity(urls: Urls, account: Account, avatar: str | None, header: str | None) -> dict:
    avatar = avatar or urls.static("avatar.png")
    header = header or urls.static("header.png")
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": account.acct(),
        "display_name": account.display_name or "",
        "locked": bool(account.locked),
        "bot": bool(account.bot) or account.actor_type in BOT_ACTOR_TYPES,
        "discoverable": bool(account.discoverable),
        "indexable": bool(account.indexable),
        "group": account.actor_type == "Group",
        "noindex": False,
        "hide_collections": False,
        "created_at": iso(account.created_at),
        "note": account.note or "",
        "url": account.url or account.uri,
        "uri": account.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "statuses_count": account.statuses_count,
        "last_status_at": iso_date(account.last_status_at),
        "emojis": [],
        "fields": [{"name": str(f.get("name", "")), "value": str(f.get("value", "")), "verified_at": None}
                   for f in account.field_list() if isinstance(f, dict)],
        "roles": [],
    }


async def profile_account_entity(conn: AsyncConnection, rt: Runtime, account: Account) -> dict:
    """An account as its profile shows it, with `moved`: the account it moved to, when known here."""
    body = account_entity(rt, account)
    if account.moved_to_uri:
        moved = await accounts_store.by_uri(conn, account.moved_to_uri)
        if moved is not None and moved.suspended_at is None and moved.id != account.id:
            body["moved"] = account_entity(rt, moved)
    return body


def account_entities(rt: Runtime, accounts) -> list[dict]:  # noqa: ANN001
    return [account_entity(rt, a) for a in accounts]


# Mastodon's Moderator: view_audit_log, view_dashboard, manage_reports, manage_taxonomies,
# manage_appeals and manage_users (bits 3, 4, 5, 9, 10 and 11 of its permission flags).
MODERATOR_PERMISSIONS = str((1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 10) | (1 << 11))


def role_entity(admin: bool, moderator: bool = False) -> dict:
    if admin:
        return {"id": "3", "name": "Owner", "permissions": "1048575", "color": "", "highlighted": True}
    if moderator:
        return {"id": "1", "name": "Moderator", "permissions": MODERATOR_PERMISSIONS, "color": "",
                "highlighted": True}
    return {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}


async def credential_account_entity(conn: AsyncConnection, rt: Runtime, account: Account, user: User) -> dict:
    """The signed-in user's own account, with what only they see (`source`, `role`; the aliases in
    `source.also_known_as_uris` as GoToSocial shows them)."""
    body = await profile_account_entity(conn, rt, account)
    prefs = await profile_store.settings(conn, account.id)
    body["source"] = {
        "privacy": prefs.privacy,
        "sensitive": prefs.sensitive,
        "language": prefs.language or "",
        "quote_policy": prefs.quote_policy,
        "note": html_to_text(account.note or ""),
        "fields": [{"name": str(f.get("name", "")), "value": html_to_text(str(f.get("value", ""))),
                    "verified_at": None}
                   for f in account.field_list() if isinstance(f, dict)],
        "follow_requests_count": await account_queries.follow_requests_count(conn, account.id),
        "also_known_as_uris": account.aliases(),
    }
    body["role"] = role_entity(user.admin, user.moderator)
    return body


def mention_entity(account: Account) -> dict:
    return {"id": str(account.id), "username": account.username,
            "url": account.url or account.uri, "acct": account.acct()}


def relationship_entity(account_id: int, rel: dict) -> dict:
    """`rel` is models.social.relationship() (and its extras); what Backchannel does not have is false."""
    return {
        "id": str(account_id),
        "following": rel["following"],
        "showing_reblogs": rel["showing_reblogs"],
        "notifying": rel["notifying"],
        "followed_by": rel["followed_by"],
        "blocking": rel["blocking"],
        "blocked_by": rel["blocked_by"],
        "muting": rel.get("muting", False),
        "muting_notifications": rel.get("muting_notifications", False),
        "requested": rel["requested"],
        "requested_by": rel["requested_by"],
        "domain_blocking": False,
        "endorsed": rel.get("endorsed", False),
        "note": rel.get("note", ""),
        "languages": None,
    }


def preferences_entity(prefs) -> dict:  # noqa: ANN001
    """Preferences: the posting defaults kept with the profile (models.profile.settings)."""
    return {
        "posting:default:visibility": prefs.privacy,
        "posting:default:sensitive": prefs.sensitive,
        "posting:default:language": prefs.language,
        "posting:default:quote_policy": prefs.quote_policy,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
