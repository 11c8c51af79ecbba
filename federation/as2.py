"""ActivityStreams 2 documents: what this node serves and sends, and what it reads from others.

Outgoing documents are built from domain objects; incoming ones are read into plain value dicts
for the models layer. Remote text is sanitised here, on the way in.
"""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from federation.addressing import PUBLIC, PUBLIC_ALIASES, as_list, audience
from federation.content import find_hashtags, is_username
from federation.hosts import origin_of
from federation.context import ACTOR_CONTEXT, AS_CONTEXT
from federation.sanitize import clean_name, sanitize_html, sanitize_text
from federation.urls import Urls
from models.accounts import Account
from models.quotes import effective_policy
from models.statuses import Status

AS = "https://www.w3.org/ns/activitystreams"
MAX_MENTIONS = 50  # accounts one remote post may mention here, Mention tags and to/cc together
MAX_HASHTAGS = 30


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        return None


EARLIEST_POST = 946684800.0  # 2000-01-01: no post federated earlier
LATEST_AHEAD = 24 * 3600.0  # clocks drift; a post from further in the future is dated now + a day


def post_time(value: Any) -> float | None:
    """A remote post's `published` or `updated`, held in [2000-01-01, now + 1 day]."""
    ts = parse_time(value)
    return None if ts is None else min(max(ts, EARLIEST_POST), time.time() + LATEST_AHEAD)


def host_of(uri: str | None) -> str:
    """The canonical origin of an http(s) URI (federation.hosts): `https://EVIL.example:443/x` and
    `https://evil.example./y` are both `evil.example`; "" when it has none (other schemes too)."""
    return origin_of(uri)


MAX_URL = 2048


def safe_url(value: Any) -> str | None:
    """A URL from a remote document that may be shown to people: absolute http(s) with a host, or
    None. Browsers ignore tabs, newlines and leading spaces in a URL (`java\\tscript:`), so any
    whitespace, control character or backslash rejects it (federation.hosts finds no host there);
    so do `data:`, `javascript:` (any case) and protocol-relative `//host` URLs, which take whatever
    scheme the page has."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL or value != value.strip():
        return None
    if not value[:8].lower().startswith(("https://", "http://")):
        return None
    return value if host_of(value) else None


def object_id(value: Any) -> str | None:
    """An object reference may be a string or an embedded object with an id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def types_of(doc: dict) -> list[str]:
    kind = doc.get("type")
    return [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]


def with_context(doc: dict) -> dict:
    return {"@context": AS_CONTEXT, **doc}


def dumps(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


# --- Outgoing -----------------------------------------------------------------------------------

def actor_document(account: Account, urls: Urls, *, assertion_key: dict | None = None) -> dict:
    """The actor; `assertion_key`: its object-integrity key (federation.integrity), served on GET."""
    doc = {
        "id": account.uri,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.note,
        "url": account.url,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "followers": account.followers_url,
        "following": account.following_url,
        "featured": account.featured_url,
        "endpoints": {"sharedInbox": account.shared_inbox_url},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "published": iso(account.created_at),
        "publicKey": {"id": account.public_key_id, "owner": account.uri,
                      "publicKeyPem": account.public_key_pem},
        "attachment": [{"type": "PropertyValue", "name": f.get("name", ""), "value": f.get("value", "")}
                       for f in account.field_list()],
        "tag": [],
    }
    if account.actor_type == "Group" and account.local:
        doc["attributedTo"] = urls.moderators(account.username)  # FEP-1b12: who moderates it
    if account.aliases():
        doc["alsoKnownAs"] = account.aliases()
    if account.moved_to_uri:
        doc["movedTo"] = account.moved_to_uri
    if account.avatar_url:
        doc["icon"] = {"type": "Image", "url": account.avatar_url}
    if account.header_url:
        doc["image"] = {"type": "Image", "url": account.header_url}
    if assertion_key is not None:
        return {"@context": ACTOR_CONTEXT, **doc, "assertionMethod": [assertion_key]}
    return with_context(doc)


def replies_collection(replies_id: str, total: int, first_items: list[str], next_page: str | None) -> dict:
    """A Note's `replies`: a Collection with its first page embedded (no id of its own, as on
    Mastodon); `next_page` continues it."""
    first = {"type": "CollectionPage", "partOf": replies_id, "items": first_items}
    if next_page:
        first["next"] = next_page
    return {"id": replies_id, "type": "Collection", "totalItems": total, "first": first}


OBJECT_LINK_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def object_links(content: str, urls: Urls) -> list[dict]:
    """FEP-e232 object links to the ActivityPub objects of this node a post links to: a hashtag
    chat's page is its Event (federation.chat_events), so a chat's announcement carries its Event.
    Mastodon ignores tags of this type; software that knows them fetches the Event."""
    found = re.findall(re.escape(urls.base) + r"/chats/\d{1,19}(?![\w/.])", content)
    return [{"type": "Link", "mediaType": OBJECT_LINK_TYPE, "href": href} for href in dict.fromkeys(found)]


def note_object(status: Status, author: Account, urls: Urls, *, mentioned: Iterable[Account],
                tags: Iterable[str], in_reply_to_uri: str | None) -> dict:
    mentioned = list(mentioned)
    to, cc = audience(status.visibility, followers_url=author.followers_url or "",
                      mentioned=[a.uri for a in mentioned])
    tag = [{"type": "Mention", "href": a.uri, "name": "@" + a.full_acct(host_of(urls.base))}
           for a in mentioned]
    tag += [{"type": "Hashtag", "href": urls.tag(name), "name": "#" + name} for name in tags]
    tag += object_links(status.content, urls)
    return {
        "id": status.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "inReplyTo": in_reply_to_uri,
        "content": status.content,
        "summary": status.spoiler_text or None,
        "sensitive": status.sensitive,
        "published": iso(status.created_at),
        "updated": iso(status.edited_at),
        "url": status.url,
        "to": to,
        "cc": cc,
        "tag": tag,
        "attachment": [],
        # The first page embedded, as Mastodon does: GoToSocial walks a thread only from an embedded
        # page (and then its `next` links), older Mastodon reads only that page's items.
        # federation.notes fills in the first replies; outbox/routes.py serves the pages.
        "replies": replies_collection(urls.status_replies(author.username, status.id), status.replies_count, [],
                                      urls.status_replies_page(author.username, status.id)),
        **({"contentMap": {status.language: status.content}} if status.language else {}),
        **quote_properties(status, author),
    }


def quote_properties(status: Status, author: Account) -> dict:
    """What a local Note says about quotes (FEP-044f): the post it quotes (also as the properties
    Fedibird and Misskey read) with the authorization its author gave, and who may quote it."""
    policy = effective_policy(status)
    approved = {"public": [PUBLIC], "followers": [author.followers_url or author.uri]}.get(policy or "", [author.uri])
    doc: dict[str, Any] = {"interactionPolicy": {"canQuote": {"automaticApproval": approved, "manualApproval": []}}}
    if status.quote_uri:
        doc |= {"quote": status.quote_uri, "quoteUri": status.quote_uri, "_misskey_quote": status.quote_uri}
        if status.quote_authorization_uri:
            doc["quoteAuthorization"] = status.quote_authorization_uri
    return doc


def quote_authorization(authorization_id: str, author_uri: str, quoting_uri: str, quoted_uri: str) -> dict:
    """A QuoteAuthorization (FEP-044f): it names the quote post and the quoted one, embedding neither."""
    return with_context({"id": authorization_id, "type": "QuoteAuthorization", "attributedTo": author_uri,
                         "interactingObject": quoting_uri, "interactionTarget": quoted_uri})


def activity(kind: str, activity_id: str, actor: str, obj: Any, *, to: list[str] | None = None,
             cc: list[str] | None = None, published: float | None = None) -> dict:
    doc: dict[str, Any] = {"id": activity_id, "type": kind, "actor": actor, "object": obj}
    if to is not None:
        doc["to"] = to
    if cc is not None:
        doc["cc"] = cc
    if published is not None:
        doc["published"] = iso(published)
    return with_context(doc)


def wrap_note(kind: str, note: dict, activity_id: str) -> dict:
    """Create or Update around a Note, addressed like the Note itself."""
    return activity(kind, activity_id, note["attributedTo"], note, to=note["to"], cc=note["cc"],
                    published=parse_time(note.get("updated") or note.get("published")))


def announce(boost: Status, booster: Account, original_uri: str | None,
             original_author_uri: str | None) -> dict:
    """A boost as its Announce, addressed by the boost's visibility as Mastodon addresses it:
    public to everyone, unlisted to the followers with the public in cc, private to the followers
    only; the boosted post's author in cc. The same document is sent, served, and embedded in the
    Undo that withdraws it (a server that no longer has the boost needs its addressing to accept it)."""
    followers = booster.followers_url or ""
    author = [original_author_uri] if original_author_uri else []
    if boost.visibility == "public":
        to, cc = [PUBLIC], [followers, *author]
    elif boost.visibility == "unlisted":
        to, cc = [followers], [PUBLIC, *author]
    else:
        to, cc = [followers], author
    doc = activity("Announce", boost.uri, booster.uri, original_uri, to=to, cc=cc, published=boost.created_at)
    if booster.actor_type == "Group":
        doc["audience"] = booster.uri  # a group relaying a member's post (FEP-1b12)
    return doc


def group_announce(addressed: dict, announce_id: str, activity: dict) -> dict:
    """A group's Announce of an activity in it (FEP-1b12): the activity as received, its @context
    and integrity proof kept so receivers can check who wrote it, addressed like `addressed` (the
    group's boost of the post)."""
    return {**addressed, "id": announce_id, "object": activity}


def strip_context(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "@context"}


# --- Incoming -----------------------------------------------------------------------------------

ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}


class InvalidDocument(ValueError):
    """A remote document that cannot be used; the activity carrying it is dropped."""


def actor_values(doc: dict) -> dict:
    """Account column values from a remote actor document (already checked to come from its id)."""
    actor_id = object_id(doc)
    if not actor_id or not set(types_of(doc)) & ACTOR_TYPES:
        raise InvalidDocument("not an actor")
    username = doc.get("preferredUsername")
    if not isinstance(username, str) or not username.strip():
        raise InvalidDocument("actor without preferredUsername")
    if not is_username(username):
        # "bob," or "ceo@victim.example," would make "@name@host" (a reply, the chat host's direct
        # reminder) mention someone else
        raise InvalidDocument(f"preferredUsername {username[:64]!r} is not a username")
    key = doc.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict) and k.get("owner") == actor_id), key[0] if key else None)
    key = key if isinstance(key, dict) else {}
    if key.get("owner") not in (None, actor_id):
        key = {}  # a key claimed by someone else is not this actor's key
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    shared_inbox = endpoints.get("sharedInbox")
    fields = []
    for item in doc.get("attachment") or []:
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            fields.append({"name": clean_name(sanitize_text(str(item.get("name", "")), 255)),
                           "value": sanitize_html(str(item.get("value", "")))})
    published = post_time(doc.get("published"))
    values = {
        "uri": actor_id,
        "username": username,
        "domain": host_of(actor_id),
        "url": first_url(doc.get("url")) or safe_url(actor_id),
        "actor_type": next((t for t in types_of(doc) if t in ACTOR_TYPES), "Person"),
        "display_name": clean_name(sanitize_text(doc.get("name") if isinstance(doc.get("name"), str) else "", 255)),
        "note": sanitize_html(doc.get("summary") if isinstance(doc.get("summary"), str) else ""),
        "fields": json.dumps(fields[:16]),
        "avatar_url": _image_url(doc.get("icon")),
        "header_url": _image_url(doc.get("image")),
        "inbox_url": safe_url(doc.get("inbox")),
        "shared_inbox_url": safe_url(shared_inbox),
        "outbox_url": safe_url(doc.get("outbox")),
        "followers_url": safe_url(doc.get("followers")),
        "following_url": safe_url(doc.get("following")),
        "featured_url": safe_url(doc.get("featured")),
        "public_key_id": _str(key.get("id")),
        "public_key_pem": _str(key.get("publicKeyPem")),
        "locked": bool(doc.get("manuallyApprovesFollowers", False)),
        "bot": "Service" in types_of(doc) or "Application" in types_of(doc),
        "discoverable": doc.get("discoverable") is True,  # a JSON true; "false" or 1 is no opt-in
        "indexable": doc.get("indexable") is True,  # Mastodon's opt-in to full-text search
        "also_known_as": json.dumps(_actor_ids(doc.get("alsoKnownAs"))),
        "moved_to_uri": safe_url(object_id(doc.get("movedTo"))),
    }
    if published is not None:
        values["created_at"] = published  # as Mastodon: the account's age is the actor's, not ours
    return values


MAX_ALIASES = 16


def _actor_ids(value: Any) -> list[str]:
    """Safe actor ids from a property that may be one id, an embedded object or a list of either."""
    items = value if isinstance(value, list) else [value]
    found = [safe_url(object_id(item)) for item in items[:64]]
    return list(dict.fromkeys(uri for uri in found if uri))[:MAX_ALIASES]


def note_values(doc: dict) -> dict:
    """Fields of a remote Note (or Article/Page/Question) for the statuses table."""
    content = doc.get("content")
    if not isinstance(content, str):
        content_map = doc.get("contentMap")
        content = next(iter(content_map.values()), "") if isinstance(content_map, dict) and content_map else ""
    summary = doc.get("summary") if isinstance(doc.get("summary"), str) else ""
    language = None
    if isinstance(doc.get("contentMap"), dict) and doc["contentMap"]:
        language = str(next(iter(doc["contentMap"])))[:16]
    mentions, hashtags = [], []
    for tag in doc.get("tag") or []:
        if not isinstance(tag, dict):
            continue
        if tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
            mentions.append(tag["href"])
        elif tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#").strip().lower()
            # Only what could be a hashtag in a post here: every stored tag has a tag page URL.
            if len(name) <= 100 and find_hashtags("#" + name) == [name]:
                hashtags.append(name)
    published = post_time(doc.get("published"))
    return {
        "uri": object_id(doc),
        "url": first_url(doc.get("url")) or safe_url(object_id(doc)),
        "content": sanitize_html(content),
        "spoiler_text": sanitize_text(summary, 1000),
        "sensitive": bool(doc.get("sensitive", False)) or bool(summary),
        "in_reply_to_uri": object_id(doc.get("inReplyTo")),
        "created_at": published,
        "edited_at": post_time(doc.get("updated")),
        "language": language,
        "conversation_uri": _str(doc.get("conversation") or doc.get("context")),
        "mention_uris": list(dict.fromkeys(mentions))[:MAX_MENTIONS],
        # Named in to/cc without a Mention tag (silent mentions): capped like the tags, so one
        # post cannot reach more people here than a post with Mention tags can.
        "addressee_uris": [uri for uri in dict.fromkeys(_addressees(doc))
                           if uri not in PUBLIC_ALIASES][:MAX_MENTIONS],
        "hashtags": list(dict.fromkeys(hashtags))[:MAX_HASHTAGS],
        "audience_uris": as_list(doc.get("audience"))[:MAX_MENTIONS],  # a group it is posted in (FEP-1b12)
        "attributed_to": _attributed_to(doc.get("attributedTo")),
        "quote_uri": _quoted(doc),
        "quote_authorization_uri": safe_url(_first_found(as_list(doc.get("quoteAuthorization")), object_id)),
    }


QUOTE_PROPERTIES = ("quote", "quoteUrl", "quoteUri", "_misskey_quote")


def _quoted(doc: dict) -> str | None:
    """The post a Note quotes: FEP-044f's `quote`, or what Fedibird, Misskey and older servers call it."""
    for key in QUOTE_PROPERTIES:
        value = doc.get(key)
        found = _first_found(value, object_id) if isinstance(value, list) else object_id(value)
        if found and safe_url(found):
            return found
    return None


def quote_policy(doc: dict, followers_url: str | None) -> str | None:
    """Who the Note's author lets quote it, as far as Mastodon's three policies say it (its
    interactionPolicy.canQuote): public, followers or nobody; None when it advertises nothing."""
    policy = doc.get("interactionPolicy")
    can_quote = policy.get("canQuote") if isinstance(policy, dict) else None
    if not isinstance(can_quote, dict):
        return None
    automatic = set(as_list(can_quote.get("automaticApproval")))
    if automatic & PUBLIC_ALIASES:
        return "public"
    if followers_url and followers_url in automatic:
        return "followers"
    return "nobody"


def _addressees(doc: dict) -> list[str]:
    return as_list(doc.get("to")) + as_list(doc.get("cc"))


def _first_found(items: list, pick: Callable[[Any], str | None]) -> str | None:
    """What `pick` finds in the first item it finds anything in."""
    return next((found for found in map(pick, items) if found), None)


def _attributed_to(value: Any) -> str | None:
    return _first_found(value, object_id) if isinstance(value, list) else object_id(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def first_url(value: Any) -> str | None:
    """The first safe URL of a `url` property: a string, a Link (`href`) or a list of either."""
    if isinstance(value, str):
        return safe_url(value)
    if isinstance(value, dict):
        return safe_url(value.get("href"))
    if isinstance(value, list):
        return _first_found(value, first_url)
    return None


def _image_url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return first_url(value.get("url"))
    return safe_url(value)
