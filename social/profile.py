"""Changing one's own profile: names, bio, fields, images, flags and posting defaults. A change is
written in one transaction that also queues an `Update` of the actor to the followers' inboxes."""
from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass, replace

from federation.runtime import Runtime
from federation import as2
from federation.content import MentionRef, render_plain
from federation.sanitize import clean_name
from models.quotes import POLICIES as QUOTE_POLICIES  # source[quote_policy], as Mastodon 4.5
from models import accounts as accounts_store
from models import profile as profile_store
from models import search_index, social
from models.accounts import Account
from models.ids import new_id
from models.statuses import VISIBILITIES
from social import outgoing
from social.errors import Forbidden, NotFound, Unprocessable
from social.media import CONTENT_TYPES, FORMATS, TooLarge, new_file_name

DISPLAY_NAME_LIMIT = 30
NOTE_LIMIT = 500
MAX_FIELDS = 4
FIELD_NAME_LIMIT = 255
FIELD_VALUE_LIMIT = 255
AVATAR_SIZE = (400, 400)
HEADER_SIZE = (1500, 500)
PRIVACIES = ("public", "unlisted", "private")  # what Mastodon accepts as source[privacy]


@dataclass
class ProfileChange:
    """What the client sent; None leaves a value as it was."""
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    fields: list[tuple[str, str]] | None = None
    avatar: bytes | None = None
    header: bytes | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    quote_policy: str | None = None


def process_profile_image(raw: bytes, size: tuple[int, int], *, max_pixels: int) -> tuple[bytes, str]:
    """Decode, check, crop to the size's aspect ratio, scale down and re-encode (without metadata)
    an avatar or a header; run it in a thread. Returns (data, extension)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Unprocessable("Validation failed: File content type is invalid") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Unprocessable("Validation failed: File dimensions are too large")
    fmt = image.format
    try:
        image.seek(0)  # an animated image keeps its first frame
        image.load()
        if fmt == "JPEG":
            image = ImageOps.exif_transpose(image)
        alpha = fmt != "JPEG" and (image.mode in ("RGBA", "LA") or "transparency" in image.info)
        image = image.convert("RGBA" if alpha else "RGB")
        # Crop the middle to the target's aspect ratio, then scale down (never up) to the target.
        target_w, target_h = size
        crop_w = min(image.width, image.height * target_w / target_h)
        out_w = max(1, round(min(target_w, crop_w)))
        out_h = max(1, round(out_w * target_h / target_w))
        image = ImageOps.fit(image, (out_w, out_h), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if alpha:
            image.save(out, format="PNG", optimize=True)
            return out.getvalue(), "png"
        image.save(out, format="JPEG", quality=90, optimize=True)
        return out.getvalue(), "jpg"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Unprocessable("Validation failed: File could not be processed") from None


async def _store_image(rt: Runtime, raw: bytes, size: tuple[int, int]) -> str:
    if len(raw) > rt.config.max_media_bytes:
        raise TooLarge("File is too large")
    if not raw:
        raise Unprocessable("Validation failed: File can't be blank")
    data, ext = await asyncio.to_thread(process_profile_image, raw, size, max_pixels=rt.config.max_media_pixels)
    name = new_file_name(ext)
    await rt.media.put(name, data, CONTENT_TYPES[ext])
    return rt.urls.media(name)


async def _render_note(rt: Runtime, text: str) -> str:
    """Plain text → HTML as for local posts; only local mentions are linked (no network here)."""
    found: dict[tuple[str, str | None], Account] = {}
    async with rt.db.read() as conn:
        from federation.content import find_mentions

        for ref in find_mentions(text):
            domain = ref.domain if ref.domain and ref.domain != rt.config.domain.lower() else None
            account = await accounts_store.by_acct(conn, ref.username, domain)
            if account is not None and account.suspended_at is None:
                found[(ref.username.lower(), ref.domain)] = account

    def mention_url(ref: MentionRef) -> str | None:
        account = found.get((ref.username.lower(), ref.domain))
        return (account.url or account.uri) if account else None

    return render_plain(text, mention_url=mention_url, tag_url=rt.urls.tag).html


def _check(change: ProfileChange) -> None:
    if change.display_name is not None and len(change.display_name) > DISPLAY_NAME_LIMIT:
        raise Unprocessable(f"Validation failed: Display name is too long (maximum is {DISPLAY_NAME_LIMIT} characters)")
    if change.note is not None and len(change.note) > NOTE_LIMIT:
        raise Unprocessable(f"Validation failed: Note is too long (maximum is {NOTE_LIMIT} characters)")
    if change.fields is not None:
        if len(change.fields) > MAX_FIELDS:
            raise Unprocessable(f"Validation failed: Fields is too long (maximum is {MAX_FIELDS})")
        for name, value in change.fields:
            if len(name) > FIELD_NAME_LIMIT or len(value) > FIELD_VALUE_LIMIT:
                raise Unprocessable("Validation failed: Fields are too long")
    if change.privacy is not None and change.privacy not in PRIVACIES:
        raise Unprocessable(f"Validation failed: Privacy {change.privacy!r} is not one of {', '.join(PRIVACIES)}")
    if change.quote_policy is not None and change.quote_policy not in QUOTE_POLICIES:
        raise Unprocessable(f"Validation failed: Quote policy {change.quote_policy!r} is not one of "
                            f"{', '.join(QUOTE_POLICIES)}")
    if change.language is not None and len(change.language) > 16:
        raise Unprocessable("Validation failed: Language is not valid")


def _field_value_html(rt: Runtime, value: str) -> str:
    """A field's value as HTML: plain text, its links made links (as Mastodon renders them)."""
    html = render_plain(value, mention_url=lambda ref: None, tag_url=rt.urls.tag).html
    return html[3:-4] if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1 else html


async def update_profile(rt: Runtime, account: Account, change: ProfileChange) -> Account:
    _check(change)
    values: dict = {}
    if change.display_name is not None:
        values["display_name"] = clean_name(change.display_name)
    if change.note is not None:
        values["note"] = await _render_note(rt, change.note) if change.note.strip() else ""
    if change.locked is not None:
        values["locked"] = change.locked
    if change.bot is not None:
        values["bot"] = change.bot
    if change.discoverable is not None:
        values["discoverable"] = change.discoverable
    if change.indexable is not None:
        values["indexable"] = change.indexable
    if change.fields is not None:
        values["fields"] = json.dumps([{"name": clean_name(n), "value": _field_value_html(rt, v)}
                                       for n, v in change.fields if clean_name(n) or v.strip()])
    if change.avatar is not None:
        values["avatar_url"] = await _store_image(rt, change.avatar, AVATAR_SIZE)
    if change.header is not None:
        values["header_url"] = await _store_image(rt, change.header, HEADER_SIZE)
    return await _save(rt, account, values, change)


async def remove_image(rt: Runtime, account: Account, which: str) -> Account:
    """DELETE /api/v1/profile/avatar or /header."""
    column = {"avatar": "avatar_url", "header": "header_url"}[which]
    return await _save(rt, account, {column: None}, ProfileChange())


async def _save(rt: Runtime, account: Account, values: dict, change: ProfileChange) -> Account:
    async with rt.db.write() as conn:
        before = await accounts_store.get(conn, account.id) or account
        if values:
            await profile_store.update_account(conn, account.id, **values)
        if (change.privacy, change.sensitive, change.language, change.quote_policy) != (None, None, None, None):
            current = await profile_store.settings(conn, account.id)
            await profile_store.save_settings(conn, account.id, replace(
                current,
                privacy=change.privacy if change.privacy is not None else current.privacy,
                sensitive=change.sensitive if change.sensitive is not None else current.sensitive,
                language=(change.language or None) if change.language is not None else current.language,
                quote_policy=change.quote_policy or current.quote_policy))
        fresh = await accounts_store.get(conn, account.id) or account
        if values:
            await search_index.index_account(conn, fresh)
            await outgoing.queue(conn, rt, activity=update_activity(rt, fresh), signer=fresh,
                               followers_of=fresh.id)
    for column in ("avatar_url", "header_url"):
        if column in values and getattr(before, column) != values[column]:
            await _remove_own_file(rt, getattr(before, column))
    return fresh


async def receive_update(rt: Runtime, actor: Account, values: dict) -> Account:
    """A remote account changed its profile: `values` from its actor document (federation.as2).
    Its server tells its own followers; here only the stored profile changes."""
    from federation.deref import store_actor

    if values.get("uri") != actor.uri:
        raise Forbidden("an actor may only update itself")
    return await store_actor(rt, values)


async def _remove_own_file(rt: Runtime, url: str | None) -> None:
    """Delete a replaced avatar or header, if it is a file this node wrote (never another path)."""
    name = rt.urls.stored_name(url)
    if name:
        await rt.media.delete(name)


def update_activity(rt: Runtime, account: Account) -> dict:
    actor = as2.strip_context(as2.actor_document(account, rt.urls))
    activity_id = rt.urls.actor_update(account.username, new_id())
    return as2.activity("Update", activity_id, account.uri, actor, to=[as2.AS + "#Public"],
                        cc=[account.followers_url] if account.followers_url else None)


# --- Relationships kept by the profile: removed followers, private notes, endorsements ------------

NOTE_COMMENT_LIMIT = 2000


async def remove_from_followers(rt: Runtime, account: Account, follower_id: int) -> None:
    """End someone's follow of `account`; a remote follower's server is told with Reject{Follow}."""
    from social.follows import reject_follow_request

    await reject_follow_request(rt, account, follower_id, pending_only=False)


async def set_note(rt: Runtime, account: Account, target_id: int, comment: str) -> None:
    from social.follows import _target

    if len(comment) > NOTE_COMMENT_LIMIT:
        raise Unprocessable(f"Validation failed: Comment is too long (maximum is {NOTE_COMMENT_LIMIT} characters)")
    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        await profile_store.set_note(conn, account.id, target.id, comment.strip())


async def endorse(rt: Runtime, account: Account, target_id: int) -> None:
    """Feature an account on one's profile; only accounts one follows (Mastodon's rule)."""
    from social.follows import _target

    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        follow = await social.get_follow(conn, account.id, target.id)
        if follow is None or follow.state != "accepted":
            raise Unprocessable("Validation failed: You must be following this account to endorse it")
        await profile_store.endorse(conn, account.id, target.id)


async def unendorse(rt: Runtime, account: Account, target_id: int) -> None:
    from social.follows import _target

    async with rt.db.write() as conn:
        target = await _target(conn, account, target_id)
        await profile_store.unendorse(conn, account.id, target.id)


async def dismiss_suggestion(rt: Runtime, account: Account, target_id: int) -> None:
    async with rt.db.write() as conn:
        if await accounts_store.get(conn, target_id) is None:
            raise NotFound("Record not found")
        await profile_store.dismiss_suggestion(conn, account.id, target_id)


async def posting_defaults(rt: Runtime, account_id: int) -> profile_store.Settings:
    """source[privacy|sensitive|language]: what a new status gets when the client sends none."""
    async with rt.db.read() as conn:
        return settled_defaults(await profile_store.settings(conn, account_id))


def settled_defaults(prefs: profile_store.Settings) -> profile_store.Settings:
    """Settings as posting defaults: a visibility this node no longer has is public."""
    return prefs if prefs.privacy in VISIBILITIES else replace(prefs, privacy="public")
