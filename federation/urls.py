"""Every path this node serves, declared once; the URLs that point at them are built from the same
declaration.

`ROUTES.actor.path` is what the route table registers (`routes.get(ROUTES.actor.path)`), and
`urls.actor("alice")` fills that very template, so a URL for a path nobody serves cannot be built
(tests/federation/test_urls.py walks the app's router to prove it). Ids of things that are not
documents of their own (keys, activities) are fragments of a document that is served.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote, unquote, urldefrag, urlsplit

# aiohttp's {name} or {name:regex}; a parameter without a regex matches one path segment.
_PARAM = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<regex>(?:[^{}]|\{[^{}]*\})+))?\}")
_SEGMENT = "[^{}/]+"


@functools.lru_cache(maxsize=256)  # the routes are declared once, below: a few dozen paths
def _params(path: str) -> dict[str, str]:
    return {m["name"]: m["regex"] or _SEGMENT for m in _PARAM.finditer(path)}


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


# Every kind of file this node keeps and serves at /media/NAME (uploads, thumbnails, cached remote
# files), by the extension it gives the name, with the type it is served as (never sniffed).
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
               "mp4": "video/mp4", "mp3": "audio/mpeg", "webm": "video/webm", "ogg": "audio/ogg",
               "flac": "audio/flac", "wav": "audio/wav"}


@dataclass(frozen=True)
class Route:
    """One path template, in aiohttp's syntax, and the methods it answers."""
    path: str
    methods: tuple[str, ...] = ("GET",)

    def params(self) -> dict[str, str]:
        return dict(_params(self.path))

    def fill(self, **values: object) -> str:
        """The path with each parameter filled in; a value the route would not match is refused."""
        patterns = _params(self.path)
        if values.keys() != patterns.keys():
            raise TypeError(f"{self.path} takes {sorted(patterns)}, got {sorted(values)}")

        def one(match: re.Match) -> str:
            value = str(values[match["name"]])
            if not _compiled(patterns[match["name"]]).fullmatch(value):
                raise ValueError(f"{value!r} does not match {match[0]} in {self.path}")
            return quote(value, safe="@")
        return _PARAM.sub(one, self.path)

    def match(self, path: str) -> dict[str, str] | None:
        """The parameters of a (percent-decoded) path this route would serve, else None."""
        found = re.fullmatch(self._regex(), path)
        return found.groupdict() if found else None

    def _regex(self) -> str:
        parts, end = [], 0
        for m in _PARAM.finditer(self.path):
            parts += [re.escape(self.path[end:m.start()]), f"(?P<{m['name']}>{m['regex'] or _SEGMENT})"]
            end = m.end()
        return "".join(parts) + re.escape(self.path[end:])


class ROUTES:
    """The public paths of the node, by name. Handlers register `ROUTES.<name>.path`."""
    # ActivityPub documents (outbox/routes.py) and inboxes (inbox/routes.py)
    actor = Route("/users/{username}")
    inbox = Route("/users/{username}/inbox", ("POST",))
    outbox = Route("/users/{username}/outbox")
    followers = Route("/users/{username}/followers")
    following = Route("/users/{username}/following")
    featured = Route("/users/{username}/collections/featured")
    moderators = Route("/users/{username}/collections/moderators")  # a group's (FEP-1b12)
    status = Route("/users/{username}/statuses/{status_id:\\d+}")
    status_activity = Route("/users/{username}/statuses/{status_id:\\d+}/activity")
    status_replies = Route("/users/{username}/statuses/{status_id:\\d+}/replies")
    quote_authorization = Route("/users/{username}/quote_authorizations/{id:\\d+}")  # FEP-044f
    instance_actor = Route("/actor")
    instance_inbox = Route("/actor/inbox", ("POST",))
    instance_outbox = Route("/actor/outbox")
    instance_followers = Route("/actor/followers")
    instance_following = Route("/actor/following")
    instance_featured = Route("/actor/collections/featured")
    shared_inbox = Route("/inbox", ("POST",))
    # Discovery (webfinger/routes.py)
    webfinger = Route("/.well-known/webfinger")
    host_meta = Route("/.well-known/host-meta")
    nodeinfo_index = Route("/.well-known/nodeinfo")
    nodeinfo = Route("/nodeinfo/{version:2\\.[01]}")
    # HTML pages and files (pages/)
    home = Route("/")
    profile = Route("/@{username}")
    profile_tagged = Route("/@{username}/tagged/{name}")  # a featured tag's page
    status_page = Route("/@{username}/{status_id:\\d+}")
    tag = Route("/tags/{name}")
    # Feeds (pages/feeds.py) and shared lists (pages/lists.py). Registered before the pages above,
    # whose {username} and {name} would take "alice.rss" for a name.
    profile_feed = Route("/@{username:[A-Za-z0-9_]+}.{format:(rss|atom)}")
    tag_feed = Route("/tags/{name:[^/.{}]+}.{format:(rss|atom)}")
    local_feed = Route("/public/local.{format:(rss|atom)}")
    shared_list = Route("/lists/{list_id:\\d+}")
    shared_list_feed = Route("/lists/{list_id:\\d+}.{format:(rss|atom)}")
    shared_list_csv = Route("/lists/{list_id:\\d+}.csv")
    # Uploaded media: names social.media made up; the pattern admits nothing else.
    media_proxy = Route("/media/proxy/{signature:[A-Za-z0-9_-]{24}}/{url:https?:.+}")
    media = Route("/media/{name:[A-Za-z0-9_-]{16,64}\\.(%s)}" % "|".join(MEDIA_TYPES))
    static = Route("/static/{name:[a-z0-9_-]+\\.(png|css|js)}")
    favicon = Route("/favicon.ico")  # asked by browsers on their own, whatever the page names
    # Hashtag chats (pages/chats.py): the live page, its calendar, its transcript, a series' feed
    chat = Route("/chats/{id:\\d+}")
    chat_calendar = Route("/chats/{id:\\d+}.ics")
    chat_series_calendar = Route("/chats/{id:\\d+}/series.ics")
    chat_transcript = Route("/chats/{id:\\d+}/transcript{ext:(|\\.md|\\.json)}")
    chat_series_feed = Route("/chats/{id:\\d+}/series.rss")
    invite = Route("/invite/{code}", ("GET", "POST"))
    oauth_authorize = Route("/oauth/authorize", ("GET", "POST"))
    admin = Route("/admin")
    admin_sign_in = Route("/admin/sign_in", ("GET", "POST"))
    admin_sign_out = Route("/admin/sign_out", ("POST",))
    # Single sign-on: where the web sign-in starts, and where the provider sends the browser back, for
    # the web (pages/sso.py) and for the OAuth authorisation form (api/authorize.py).
    sso_sign_in = Route("/auth/sso")
    sso_callback = Route("/auth/sso/callback")
    oauth_sso_callback = Route("/oauth/authorize/sso")
    # The signed-in web (pages/web.py, pages/settings.py) and the remote-follow steps
    web_sign_in = Route("/auth/sign_in", ("GET", "POST"))
    web_sign_out = Route("/auth/sign_out", ("POST",))
    web_home = Route("/home")
    web_local = Route("/local")
    web_compose = Route("/statuses", ("POST",))
    web_status = Route("/statuses/{status_id:\\d+}")
    web_card = Route("/statuses/{status_id:\\d+}/card")
    web_status_action = Route("/statuses/{status_id:\\d+}/{action:(favourite|unfavourite|reblog|unreblog|bookmark|unbookmark|delete)}",
                              ("POST",))
    web_vote = Route("/polls/{poll_id:\\d+}/votes", ("POST",))
    web_notifications = Route("/notifications")
    web_search = Route("/search")
    web_follow = Route("/follow", ("POST",))
    web_account_action = Route("/accounts/{id:\\d+}/{action:(follow|unfollow|authorize|reject)}", ("POST",))
    web_follow_requests = Route("/follow_requests")
    web_lists = Route("/lists", ("GET", "POST"))
    web_list = Route("/lists/{list_id:\\d+}/timeline", ("GET", "POST"))  # its owner's view; the shared page is shared_list
    remote_follow = Route("/@{username}/remote_follow", ("GET", "POST"))
    authorize_interaction = Route("/authorize_interaction")
    directory = Route("/directory")
    experts = Route("/experts")
    settings_profile = Route("/settings/profile", ("GET", "POST"))
    settings_two_factor = Route("/settings/two_factor", ("GET", "POST"))
    settings_password = Route("/settings/password", ("GET", "POST"))
    settings_applications = Route("/settings/applications", ("GET", "POST"))
    settings_export = Route("/settings/export/{kind:(following|blocks|mutes|lists)}.csv")
    settings_import = Route("/settings/import", ("GET", "POST"))
    settings_migration = Route("/settings/migration", ("GET", "POST"))
    admin_dashboard = Route("/admin/dashboard")
    admin_reports = Route("/admin/reports")
    admin_report = Route("/admin/reports/{id:\\d+}")
    admin_invites = Route("/admin/invites", ("GET", "POST"))
    admin_report_action = Route("/admin/reports/{id:\\d+}/{action:(resolve|reopen)}", ("POST",))
    admin_domains = Route("/admin/domains")
    admin_domain_action = Route("/admin/domains/{action:(block|unblock|allow|disallow|mode)}", ("POST",))
    admin_accounts = Route("/admin/accounts")
    admin_account_action = Route("/admin/accounts/{id:\\d+}/{action}", ("POST",))
    # Operations (backchannel/ops.py): for the operator's tools, not for people
    metrics = Route("/metrics")
    livez = Route("/livez")
    readyz = Route("/readyz")
    health = Route("/health")  # Mastodon's own check, which Mastodon.py's instance_health() asks

    @classmethod
    def all(cls) -> Iterator[tuple[str, Route]]:
        return ((name, value) for name, value in vars(cls).items() if isinstance(value, Route))


@dataclass(frozen=True)
class Urls:
    """Absolute URLs and ids on this node, each built from one of ROUTES."""
    base: str  # e.g. https://learn.acme.example
    # Where readers fetch stored media when not from this node (a CDN or the bucket's public URL,
    # setting media_public_url): the stored names are found right under it.
    media_base: str = ""

    def _url(self, route: Route, **values: object) -> str:
        return self.base + route.fill(**values)

    # --- Actors, their collections and keys ----------------------------------------------------

    def actor(self, username: str) -> str:
        return self._url(ROUTES.actor, username=username)

    def account_columns(self, username: str) -> dict[str, str]:
        """Every URL a local account stores, by column name (models.accounts.create_local)."""
        return {
            "uri": self.actor(username), "url": self.profile(username), "inbox_url": self.inbox(username),
            "shared_inbox_url": self.shared_inbox(), "outbox_url": self.outbox(username),
            "followers_url": self.followers(username), "following_url": self.following(username),
            "featured_url": self.featured(username), "public_key_id": self.key_id(username),
        }

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def inbox(self, username: str) -> str:
        return self._url(ROUTES.inbox, username=username)

    def shared_inbox(self) -> str:
        return self._url(ROUTES.shared_inbox)

    def outbox(self, username: str) -> str:
        return self._url(ROUTES.outbox, username=username)

    def followers(self, username: str) -> str:
        return self._url(ROUTES.followers, username=username)

    def following(self, username: str) -> str:
        return self._url(ROUTES.following, username=username)

    def featured(self, username: str) -> str:
        return self._url(ROUTES.featured, username=username)

    def moderators(self, username: str) -> str:
        return self._url(ROUTES.moderators, username=username)

    def actor_update(self, username: str, serial: int) -> str:
        """An Update of a person's actor document (profile change, unsuspension)."""
        return f"{self.actor(username)}#updates/{serial}"

    def actor_delete(self, username: str) -> str:
        return f"{self.actor(username)}#delete"

    def actor_instance(self) -> str:
        """The node's own actor, which signs fetches that are not on behalf of a person."""
        return self._url(ROUTES.instance_actor)

    def instance_inbox(self) -> str:
        return self._url(ROUTES.instance_inbox)

    def instance_collections(self) -> dict[str, str]:
        """The instance actor's collections, by account column (always empty or nearly so, but
        ActivityPub requires an outbox and GoToSocial reads the others)."""
        return {"outbox_url": self._url(ROUTES.instance_outbox),
                "followers_url": self._url(ROUTES.instance_followers),
                "following_url": self._url(ROUTES.instance_following),
                "featured_url": self._url(ROUTES.instance_featured)}

    def instance_key_id(self) -> str:
        return f"{self.actor_instance()}#main-key"

    # --- Statuses and the activities about them -------------------------------------------------

    def status(self, username: str, status_id: int) -> str:
        return self._url(ROUTES.status, username=username, status_id=status_id)

    def status_activity(self, username: str, status_id: int) -> str:
        """The Create of a status, and the id of a boost (its Announce)."""
        return self._url(ROUTES.status_activity, username=username, status_id=status_id)

    def status_replies(self, username: str, status_id: int) -> str:
        return self._url(ROUTES.status_replies, username=username, status_id=status_id)

    def status_replies_page(self, username: str, status_id: int, after_id: int | None = None) -> str:
        """A page of a status's replies: those after reply `after_id` (from the first, without it)."""
        return self.replies_page(self.status_replies(username, status_id), after_id)

    def replies_page(self, replies_id: str, after_id: int | None = None) -> str:
        """A page of the replies collection `replies_id` (one of status_replies) after reply `after_id`."""
        after = f"&min_id={int(after_id)}" if after_id is not None else ""
        return f"{replies_id}?page=true{after}"

    def status_delete(self, username: str, status_id: int) -> str:
        return f"{self.status(username, status_id)}#delete"

    def status_update(self, username: str, status_id: int, serial: int) -> str:
        """One id per Update (an edit, new poll counts): `serial` differs each time (a new id, or the
        edit time in ms), so a server that drops repeated ids does not drop the second one."""
        return f"{self.status(username, status_id)}#updates/{serial}"

    def quote_authorization(self, username: str, authorization_id: int) -> str:
        """A QuoteAuthorization a local author issued (FEP-044f), served as its own document."""
        return self._url(ROUTES.quote_authorization, username=username, id=authorization_id)

    def quote_request(self, status_uri: str) -> str:
        """The QuoteRequest a local quote post sends to the quoted author: a fragment of the post."""
        return f"{status_uri}#quote_request"

    def boost_undo(self, username: str, boost_id: int) -> str:
        return self.undo(self.status_activity(username, boost_id))

    # --- Activities that are not documents of their own: Follow, Like, Block, Accept, Flag, … ----

    def activity(self, actor_uri: str, activity_id: int) -> str:
        """The id of an activity by one of this node's actors (a person's or the instance actor's
        uri), a fragment of that actor's document."""
        if not actor_uri.startswith(self.base + "/") or "#" in actor_uri:
            raise ValueError(f"{actor_uri} is not an actor of {self.base}")
        return f"{actor_uri}#activities/{activity_id}"

    def undo(self, activity_uri: str) -> str:
        """The Undo of an activity this node sent, derived from its id so it is the same every time."""
        uri, fragment = urldefrag(activity_uri)
        return f"{uri}#{fragment}/undo" if fragment else f"{uri}#undo"

    # --- Pages and files ------------------------------------------------------------------------

    def match(self, route: Route, url: str) -> dict[str, str] | None:
        """The parameters of one of this node's URLs for `route`, None for any other URL."""
        url = urldefrag(url)[0]
        if not url.startswith(self.base + "/"):
            return None
        return route.match(unquote(urlsplit(url).path))

    def home(self) -> str:
        return self._url(ROUTES.home)

    def profile(self, username: str) -> str:
        return self._url(ROUTES.profile, username=username)

    def profile_tagged(self, username: str, name: str) -> str:
        return self._url(ROUTES.profile_tagged, username=username, name=name)

    def interaction_template(self) -> str:
        """The OStatus subscribe template: {uri} is the account or post to interact with."""
        return self._url(ROUTES.authorize_interaction) + "?uri={uri}"

    def status_page(self, username: str, status_id: int) -> str:
        return self._url(ROUTES.status_page, username=username, status_id=status_id)

    def tag(self, name: str) -> str:
        return self._url(ROUTES.tag, name=name)

    def profile_feed(self, username: str, format: str) -> str:  # noqa: A002 - the route's own word
        return self._url(ROUTES.profile_feed, username=username, format=format)

    def tag_feed(self, name: str, format: str) -> str:  # noqa: A002
        return self._url(ROUTES.tag_feed, name=name, format=format)

    def local_feed(self, format: str) -> str:  # noqa: A002
        return self._url(ROUTES.local_feed, format=format)

    def shared_list(self, list_id: int) -> str:
        """A public list's page, and (asked for as ActivityPub) its collection of members."""
        return self._url(ROUTES.shared_list, list_id=list_id)

    def shared_list_feed(self, list_id: int, format: str) -> str:  # noqa: A002
        return self._url(ROUTES.shared_list_feed, list_id=list_id, format=format)

    def shared_list_csv(self, list_id: int) -> str:
        return self._url(ROUTES.shared_list_csv, list_id=list_id)

    def chat(self, chat_id: int) -> str:
        return self._url(ROUTES.chat, id=chat_id)

    def chat_calendar(self, chat_id: int) -> str:
        return self._url(ROUTES.chat_calendar, id=chat_id)

    def chat_series_calendar(self, chat_id: int) -> str:
        return self._url(ROUTES.chat_series_calendar, id=chat_id)

    def chat_transcript(self, chat_id: int, ext: str = "") -> str:
        return self._url(ROUTES.chat_transcript, id=chat_id, ext=ext)

    def chat_series_feed(self, chat_id: int) -> str:
        return self._url(ROUTES.chat_series_feed, id=chat_id)

    def media_proxy(self, signature: str, remote_url: str) -> str:
        return self._url(ROUTES.media_proxy, signature=signature, url=remote_url)

    def media(self, name: str) -> str:
        path = ROUTES.media.fill(name=name)  # the name is checked even when it is served elsewhere
        return self.public_media(name) or self.base + path

    def stored_name(self, url: str | None) -> str | None:
        """The name of a file this node stored, from its URL here or under media_base; None for any
        other URL (the route's pattern admits no dots but the extension's, and no slashes)."""
        if not url:
            return None
        base = self.media_base.rstrip("/") + "/"
        if self.media_base and url.startswith(base):
            name = unquote(urldefrag(url)[0][len(base):])
            try:
                ROUTES.media.fill(name=name)
            except ValueError:
                return None
            return name
        found = self.match(ROUTES.media, url)
        return found["name"] if found else None

    def public_media(self, name: str) -> str | None:
        """A stored file's URL under media_base (a cached remote file's too), or None without one."""
        return self.media_base.rstrip("/") + "/" + quote(name) if self.media_base else None

    def static(self, name: str) -> str:
        return self._url(ROUTES.static, name=name)

    def invite(self, code: str) -> str:
        return self._url(ROUTES.invite, code=code)

    def sso_callback(self) -> str:
        """The redirect URI of the web sign-in, registered at the OpenID provider."""
        return self._url(ROUTES.sso_callback)

    def oauth_sso_callback(self) -> str:
        """The redirect URI of sign-in on the OAuth form, registered at the OpenID provider too."""
        return self._url(ROUTES.oauth_sso_callback)

    def webfinger_template(self) -> str:
        """host-meta's lrdd template: the WebFinger URL with `{uri}` left for the client to fill."""
        return self._url(ROUTES.webfinger) + "?resource={uri}"

    def nodeinfo(self, version: str) -> str:
        return self._url(ROUTES.nodeinfo, version=version)
