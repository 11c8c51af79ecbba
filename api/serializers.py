"""Domain objects → Mastodon client API JSON (https://docs.joinmastodon.org/entities/).

Ids are strings, times ISO 8601 with milliseconds in UTC. Lists are serialised in batches: a page of
statuses costs one query per kind of related data (reblogged originals, accounts, mentions, tags,
the viewer's favourites and boosts), never one per status.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncConnection

from models.notification_groups import group_key
from federation.runtime import Runtime
from federation.content import html_to_text
from models import accounts as accounts_store
from models import account_queries, collections, conversation_mutes, social, status_queries
from models import media as media_store
from models import polls as polls_store
from models import profile as profile_store
from models import statuses as statuses_store
from models.accounts import Account, User
from models.media import Media
from models.polls import Poll
from models.statuses import Status

BOT_ACTOR_TYPES = ("Service", "Application")


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_date(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def sid(value: int | None) -> str | None:
    return None if value is None else str(value)


class Presenter:
    """Serialises for one viewer (None: anonymous), whose favourites and boosts flag the statuses."""

    def __init__(self, rt: Runtime, viewer: Account | None):
        self.rt = rt
        self.viewer = viewer

    # --- Accounts ----------------------------------------------------------------------------

    def _static(self, name: str) -> str:
        return self.rt.urls.static(name)

    def account(self, account: Account) -> dict:
        avatar = account.avatar_url or self._static("avatar.png")
        header = account.header_url or self._static("header.png")
        return {
            "id": str(account.id),
            "username": account.username,
            "acct": account.acct(),
            "display_name": account.display_name or "",
            "locked": bool(account.locked),
            "bot": bool(account.bot) or account.actor_type in BOT_ACTOR_TYPES,
            "discoverable": bool(account.discoverable),
            "indexable": False,
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

    async def credential_account(self, conn: AsyncConnection, account: Account, user: User) -> dict:
        """The signed-in user's own account, with what only they see (`source`, `role`)."""
        body = self.account(account)
        prefs = await profile_store.settings(conn, account.id)
        body["source"] = {
            "privacy": prefs.privacy,
            "sensitive": prefs.sensitive,
            "language": prefs.language or "",
            "note": html_to_text(account.note or ""),
            "fields": [{"name": str(f.get("name", "")), "value": html_to_text(str(f.get("value", ""))),
                        "verified_at": None}
                       for f in account.field_list() if isinstance(f, dict)],
            "follow_requests_count": await account_queries.follow_requests_count(conn, account.id),
        }
        body["role"] = ({"id": "3", "name": "Owner", "permissions": "1048575", "color": "",
                         "highlighted": True} if user.admin else
                        {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False})
        return body

    # --- Statuses ----------------------------------------------------------------------------

    async def statuses(self, conn: AsyncConnection, items: list[Status], *,
                       hide_blocked: bool = True, hide_muted: bool = True) -> list[dict]:
        """Serialise a list, leaving out boosts whose original is gone and, unless told otherwise,
        posts (and boosts of posts) by accounts blocked either way with the viewer."""
        originals = await statuses_store.get_many(conn, [s.reblog_of_id for s in items if s.reblog_of_id])
        everything = {s.id: s for s in items} | originals
        ids = list(everything)
        mentions = await statuses_store.mentions_of(conn, ids)
        tag_names = await statuses_store.tags_of(conn, ids)
        account_ids = {s.account_id for s in everything.values()}
        account_ids.update(a for found in mentions.values() for a in found)
        people = await accounts_store.get_many(conn, account_ids)
        hidden: set[int] = set()
        if self.viewer is not None:
            favourited = await social.favourited_ids(conn, self.viewer.id, ids)
            reblogged = await status_queries.reblogged_ids(conn, self.viewer.id, ids)
            if hide_blocked:
                hidden = await status_queries.blocked_either_way(
                    conn, self.viewer.id, {s.account_id for s in everything.values()})
                if hide_muted:
                    hidden |= await collections.muted(conn, self.viewer.id,
                                                      {s.account_id for s in everything.values()})
            bookmarked = await collections.bookmarked_ids(conn, self.viewer.id, ids)
            muted_threads = await conversation_mutes.muted_among(conn, self.viewer.id, ids)
        else:
            favourited, reblogged, bookmarked, muted_threads = set(), set(), set(), set()
        context = _Context(people, mentions, tag_names, favourited, reblogged)
        context.bookmarked = bookmarked
        context.muted = muted_threads
        context.pinned = await collections.pinned_ids(conn, [i for i, s in everything.items() if s.local])
        context.media = await media_store.of_statuses(conn, ids)
        context.polls = await polls_store.of_statuses(conn, ids)
        context.votes = (await polls_store.choices_of(conn, self.viewer.id, [p.id for p in context.polls.values()])
                         if self.viewer is not None else {})
        context.filtered, filtered_out = {}, set()
        if self.viewer is not None:  # the viewer's filters in the request's context (api.filters)
            from api import filters as filters_api

            context.filtered, filtered_out = await filters_api.results_for(conn, self.viewer.id, everything)

        out = []
        for status in items:
            if status.account_id not in people or status.account_id in hidden or status.id in filtered_out:
                continue
            reblog = None
            if status.reblog_of_id:
                original = originals.get(status.reblog_of_id)
                if original is None or original.account_id not in people or original.account_id in hidden:
                    continue
                reblog = self._status(original, context, None)
            out.append(self._status(status, context, reblog))
        return out

    async def status(self, conn: AsyncConnection, status: Status, *, with_text: bool = False) -> dict:
        found = await self.statuses(conn, [status], hide_blocked=False)
        if not found:
            # Only a boost of a vanished post gets here; show it unboosted rather than fail.
            found = await self.statuses(conn, [_unboosted(status)], hide_blocked=False)
        body = found[0]
        if with_text:
            body["text"] = status.source_text if status.source_text is not None else html_to_text(status.content)
        return body

    def _status(self, s: Status, ctx: "_Context", reblog: dict | None) -> dict:
        viewer = self.viewer is not None
        return {
            "id": str(s.id),
            "uri": s.uri,
            "url": s.url or (None if s.reblog_of_id else s.uri),
            "account": self.account(ctx.people[s.account_id]),
            "in_reply_to_id": sid(s.in_reply_to_id),
            "in_reply_to_account_id": sid(s.in_reply_to_account_id),
            "reblog": reblog,
            "content": s.content or "",
            "created_at": iso(s.created_at),
            "edited_at": iso(s.edited_at),
            "spoiler_text": s.spoiler_text or "",
            "sensitive": bool(s.sensitive),
            # Local-only posts show as public to clients, flagged as GoToSocial and Pleroma do.
            "visibility": "public" if s.visibility == "local" else s.visibility,
            "local_only": s.visibility == "local",
            "language": s.language,
            "replies_count": s.replies_count,
            "reblogs_count": s.reblogs_count,
            "favourites_count": s.favourites_count,
            "favourited": viewer and s.id in ctx.favourited,
            "reblogged": viewer and s.id in ctx.reblogged,
            "muted": viewer and s.id in ctx.muted,
            "bookmarked": viewer and s.id in ctx.bookmarked,
            "pinned": bool(viewer and s.account_id == self.viewer.id and s.id in ctx.pinned),
            "mentions": [self._mention(ctx.people[a]) for a in ctx.mentions.get(s.id, []) if a in ctx.people],
            "tags": [{"name": name, "url": self.rt.urls.tag(name)} for name in ctx.tags.get(s.id, [])],
            "emojis": [],
            "media_attachments": [self.media(m) for m in ctx.media.get(s.id, [])],
            "card": None,
            "poll": self.poll(ctx.polls[s.id], ctx.votes.get(ctx.polls[s.id].id)) if s.id in ctx.polls else None,
            "application": None,
            "filtered": ctx.filtered.get(s.id, []),
        }

    def media(self, m: Media) -> dict:
        """A MediaAttachment: a local file (url, preview_url) or a remote one (remote_url)."""
        def dims(width: int | None, height: int | None) -> dict:
            if not width or not height:
                return {}
            return {"width": width, "height": height, "size": f"{width}x{height}",
                    "aspect": round(width / height, 6)}

        if m.file_name:
            url = self.rt.urls.media(m.file_name)
            preview = self.rt.urls.media(m.thumb_name) if m.thumb_name else url
            remote = None
        else:
            url = preview = remote = m.remote_url
        meta: dict = {"focus": {"x": m.focus_x, "y": m.focus_y}}
        if dims(m.width, m.height):
            meta["original"] = dims(m.width, m.height)
        if dims(m.thumb_width, m.thumb_height):
            meta["small"] = dims(m.thumb_width, m.thumb_height)
        return {"id": str(m.id), "type": m.type, "url": url, "preview_url": preview, "remote_url": remote,
                "preview_remote_url": None, "text_url": None, "meta": meta, "description": m.description,
                "blurhash": m.blurhash}

    def poll(self, poll: Poll, own_votes: list[int] | None) -> dict:
        expired = poll.expired()
        show_totals = not poll.hide_totals or expired or (self.viewer is not None and
                                                          self.viewer.id == poll.account_id)
        body = {
            "id": str(poll.id),
            "expires_at": iso(poll.expires_at),
            "expired": expired,
            "multiple": poll.multiple,
            "votes_count": poll.votes_count,
            "voters_count": poll.voters_count,
            "options": [{"title": o["title"], "votes_count": o["votes_count"] if show_totals else None}
                        for o in poll.options],
            "emojis": [],
        }
        if self.viewer is not None:
            body["voted"] = bool(own_votes) or self.viewer.id == poll.account_id
            body["own_votes"] = own_votes or []
        return body

    def _mention(self, account: Account) -> dict:
        return {"id": str(account.id), "username": account.username,
                "url": account.url or account.uri, "acct": account.acct()}

    # --- Notifications, relationships, tags --------------------------------------------------

    async def notifications(self, conn: AsyncConnection, rows) -> list[dict]:  # noqa: ANN001
        """Rows of the notifications table; ones whose status or sender has gone are left out."""
        people = await accounts_store.get_many(conn, [r.from_account_id for r in rows])
        wanted = await statuses_store.get_many(conn, [r.status_id for r in rows if r.status_id])
        shown = {s["id"]: s for s in await self.statuses(conn, list(wanted.values()), hide_muted=False)}
        silenced = (await collections.muted(conn, self.viewer.id, people, notifications_only=True)
                    if self.viewer is not None else set())
        out = []
        for row in rows:
            sender = people.get(row.from_account_id)
            if sender is None or sender.id in silenced:
                continue
            body = {
                "id": str(row.id),
                "type": row.type,
                "group_key": group_key(row),
                "created_at": iso(row.created_at),
                "account": self.account(sender),
            }
            if row.status_id is not None:
                status = shown.get(str(row.status_id))
                if status is None:
                    continue
                body["status"] = status
            out.append(body)
        return out

    @staticmethod
    def relationship(account_id: int, rel: dict) -> dict:
        """`rel` is models.social.relationship(); what Backchannel does not have is always false."""
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

    def tag(self, name: str, following: bool = False) -> dict:
        body = {"name": name, "url": self.rt.urls.tag(name), "history": []}
        if self.viewer is not None:
            body["following"] = following
        return body


class _Context:
    __slots__ = ("people", "mentions", "tags", "favourited", "reblogged", "bookmarked", "pinned", "media",
                 "polls", "votes", "filtered", "muted")

    def __init__(self, people: dict[int, Account], mentions: dict[int, list[int]],
                 tags: dict[int, list[str]], favourited: set[int], reblogged: set[int]):
        self.people = people
        self.mentions = mentions
        self.tags = tags
        self.favourited = favourited
        self.reblogged = reblogged


def _unboosted(status: Status) -> Status:
    return replace(status, reblog_of_id=None)
