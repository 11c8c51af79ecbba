"""The tables, as SQLAlchemy Core metadata. Migrations in models/migrations are generated from this."""
from sqlalchemy import (BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)
from sqlalchemy import false as sa_false

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# Times are epoch seconds (float): the same on SQLite and PostgreSQL, and cheap to compare.
ID = BigInteger


def _id() -> Column:
    return Column("id", ID, primary_key=True, autoincrement=False)


accounts = Table(
    "accounts", metadata, _id(),
    Column("username", String(255), nullable=False),
    Column("domain", String(255)),  # NULL for accounts of this node
    Column("uri", Text, nullable=False, unique=True),  # the actor id
    Column("url", Text),  # the profile page
    Column("actor_type", String(32), nullable=False, default="Person"),
    Column("display_name", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),  # HTML
    Column("fields", Text, nullable=False, default="[]"),  # JSON [{name, value}]
    Column("avatar_url", Text),
    Column("header_url", Text),
    Column("inbox_url", Text),
    Column("shared_inbox_url", Text),
    Column("outbox_url", Text),
    Column("followers_url", Text),
    Column("following_url", Text),
    Column("featured_url", Text),
    # What the actor says of its moves (Mastodon's alsoKnownAs and movedTo): JSON list of actor ids,
    # and the actor id of the account it moved to.
    Column("also_known_as", Text, nullable=False, default="[]", server_default="[]"),
    Column("moved_to_uri", Text),
    Column("moved_at", Float),  # when it last moved (a local account may move again 30 days later)
    Column("public_key_id", Text),
    Column("public_key_pem", Text),
    Column("private_key_pem", Text),  # local accounts only
    Column("locked", Boolean, nullable=False, default=False),
    Column("bot", Boolean, nullable=False, default=False),
    Column("discoverable", Boolean, nullable=False, default=True),
    # Its public posts may be found by full-text search (Mastodon's `indexable`); remote actors
    # say so in their document, and those that say nothing are not.
    Column("indexable", Boolean, nullable=False, default=False, server_default=sa_false()),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float),
    Column("fetched_at", Float),
    Column("suspended_at", Float),
    Column("silenced_at", Float),
    Column("sensitized_at", Float),  # a moderator marked its posts sensitive
    Column("followers_count", Integer, nullable=False, default=0),
    Column("following_count", Integer, nullable=False, default=0),
    Column("statuses_count", Integer, nullable=False, default=0),
    Column("last_status_at", Float),
    UniqueConstraint("username", "domain"),
)
Index("ix_accounts_public_key_id", accounts.c.public_key_id)
# A unique username among local accounts; SQL NULLs are distinct, so the constraint above does not do it.
Index("uq_accounts_local_username", accounts.c.username, unique=True,
      sqlite_where=accounts.c.domain.is_(None), postgresql_where=accounts.c.domain.is_(None))

users = Table(
    "users", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("email", String(255), unique=True),
    Column("password_hash", Text),
    Column("admin", Boolean, nullable=False, default=False),
    # Mastodon's Moderator: reports and account actions, not the node's settings (admin implies it).
    Column("moderator", Boolean, nullable=False, default=False, server_default=sa_false()),
    Column("disabled", Boolean, nullable=False, default=False),
    # Registrations that need approval wait here; an unapproved user cannot sign in.
    Column("approved", Boolean, nullable=False, default=True),
    Column("invite_id", ID),
    Column("reason", Text),
    Column("created_at", Float, nullable=False),
    # Two-factor sign-in (social.two_factor): the TOTP secret (base32) once confirmed, the digests of
    # the unused recovery codes (JSON list), and the last time step used, so a code works once.
    Column("otp_secret", Text),
    Column("otp_recovery", Text),
    Column("otp_last_step", BigInteger),
)

oauth_apps = Table(
    "oauth_apps", metadata, _id(),
    Column("name", Text, nullable=False),
    Column("website", Text),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret", String(64), nullable=False),
    Column("redirect_uris", Text, nullable=False, default="urn:ietf:wg:oauth:2.0:oob"),
    Column("scopes", Text, nullable=False, default="read"),
    Column("created_at", Float, nullable=False),
)

oauth_tokens = Table(
    "oauth_tokens", metadata, _id(),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the token is never stored
    Column("app_id", ID, ForeignKey("oauth_apps.id", ondelete="CASCADE")),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE")),  # NULL: client credentials
    Column("scopes", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("revoked_at", Float),
)

# Authorisation codes: single-use, short-lived, stored hashed like the tokens.
oauth_codes = Table(
    "oauth_codes", metadata, _id(),
    Column("code_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("app_id", ID, ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("code_challenge", Text),
    Column("code_challenge_method", String(16)),  # S256 | plain
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

statuses = Table(
    "statuses", metadata, _id(),
    Column("uri", Text, nullable=False, unique=True),
    Column("url", Text),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("local", Boolean, nullable=False, default=False),
    Column("in_reply_to_id", ID),
    Column("in_reply_to_uri", Text),
    Column("in_reply_to_account_id", ID),
    Column("reblog_of_id", ID, ForeignKey("statuses.id", ondelete="CASCADE")),
    Column("content", Text, nullable=False, default=""),  # HTML (rendered locally or sanitised remote)
    Column("source_text", Text),  # what a local author typed
    Column("spoiler_text", Text, nullable=False, default=""),
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("visibility", String(16), nullable=False),  # public unlisted private direct local
    Column("language", String(16)),
    Column("conversation_uri", Text),
    Column("created_at", Float, nullable=False),
    Column("edited_at", Float),
    Column("deleted_at", Float),
    Column("replies_count", Integer, nullable=False, default=0),
    Column("reblogs_count", Integer, nullable=False, default=0),
    Column("favourites_count", Integer, nullable=False, default=0),
    # Quote posts (FEP-044f, as Mastodon 4.5): the post quoted (its id when known here, its uri
    # always), the quote's state (pending accepted rejected revoked), the QuoteAuthorization that
    # proves its author's consent, who may quote this post (public followers nobody; a remote
    # post's as its interactionPolicy says, None when it says nothing) and its accepted quotes.
    Column("quote_of_id", ID),
    Column("quote_uri", Text),
    Column("quote_state", String(16)),
    Column("quote_authorization_uri", Text),
    Column("quote_policy", String(16)),
    Column("quotes_count", Integer, nullable=False, default=0, server_default="0"),
)
Index("ix_statuses_account_id_id", statuses.c.account_id, statuses.c.id)
Index("ix_statuses_quote_of_id", statuses.c.quote_of_id)
Index("ix_statuses_quote_authorization_uri", statuses.c.quote_authorization_uri)

# The QuoteAuthorizations local authors issued (FEP-044f): each is served at its own URL as proof
# that the quoted author accepted `quoting_uri` as a quote of `status_id`; a revoked one is gone.
quote_authorizations = Table(
    "quote_authorizations", metadata, _id(),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("quoting_uri", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)
Index("ix_quote_authorizations_quoting_uri", quote_authorizations.c.quoting_uri)
Index("ix_statuses_in_reply_to_id", statuses.c.in_reply_to_id)
Index("ix_statuses_in_reply_to_uri", statuses.c.in_reply_to_uri)
Index("ix_statuses_reblog_of_id", statuses.c.reblog_of_id)
Index("ix_statuses_visibility_id", statuses.c.visibility, statuses.c.id)

status_edits = Table(
    "status_edits", metadata, _id(),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("content", Text, nullable=False),
    Column("spoiler_text", Text, nullable=False, default=""),
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

mentions = Table(
    "mentions", metadata,
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_mentions_account_id", mentions.c.account_id)

tags = Table(
    "tags", metadata, _id(),
    Column("name", String(255), nullable=False, unique=True),  # lower-case
)

status_tags = Table(
    "status_tags", metadata,
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ID, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_status_tags_tag_id_status_id", status_tags.c.tag_id, status_tags.c.status_id)

follows = Table(
    "follows", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("uri", Text, unique=True),  # the Follow activity's id
    Column("state", String(16), nullable=False),  # pending | accepted
    Column("show_reblogs", Boolean, nullable=False, default=True),
    Column("notify", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "target_account_id"),
)
Index("ix_follows_target_account_id_state", follows.c.target_account_id, follows.c.state)

favourites = Table(
    "favourites", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("uri", Text, unique=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "status_id"),
)

blocks = Table(
    "blocks", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("uri", Text, unique=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "target_account_id"),
)

notifications = Table(
    "notifications", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("from_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),  # mention follow follow_request favourite reblog status update
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE")),
    Column("created_at", Float, nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    UniqueConstraint("account_id", "from_account_id", "type", "status_id"),
)
Index("ix_notifications_account_id_id", notifications.c.account_id, notifications.c.id)

home_feed = Table(
    "home_feed", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_home_feed_status_id", home_feed.c.status_id)

# --- Queues: durable work, claimed with a lock that expires (a crash loses nothing). -------------


def _queue_columns() -> list[Column]:
    return [
        Column("state", String(16), nullable=False, default="pending"),  # pending done failed
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", Float, nullable=False),
        Column("locked_until", Float),
        Column("last_error", Text),
        Column("created_at", Float, nullable=False),
    ]


inbox_items = Table(
    "inbox_items", metadata, _id(),
    # The activity's id (or a hash of the body when it has none): one row, one effect.
    Column("activity_uri", Text, nullable=False, unique=True),
    # Who signed it: its actor, or a server that forwarded it (the body's actor is then someone else).
    Column("actor_uri", Text, nullable=False),
    # The signer's host: the worker runs one activity per origin at a time, in arrival order.
    Column("origin", String(255), nullable=False, server_default=""),
    Column("body", Text, nullable=False),  # the exact bytes that were verified, as UTF-8
    Column("recipient_account_id", ID),  # the personal inbox it arrived at, if any
    *_queue_columns(),
)
Index("ix_inbox_items_state_next", inbox_items.c.state, inbox_items.c.next_attempt_at)
# The fair claim (models.queues.claim_inbox) walks origins, then takes each one's oldest item and
# asks whether it has one in flight: an index probe each, however long the origin's backlog.
Index("ix_inbox_items_origin", inbox_items.c.state, inbox_items.c.origin, inbox_items.c.id)
Index("ix_inbox_items_origin_lock", inbox_items.c.state, inbox_items.c.origin, inbox_items.c.locked_until)

fanouts = Table(
    "fanouts", metadata, _id(),
    Column("payload", Text, nullable=False),  # JSON, see outbox.fanout
    *_queue_columns(),
)
Index("ix_fanouts_state_next", fanouts.c.state, fanouts.c.next_attempt_at)

deliveries = Table(
    "deliveries", metadata, _id(),
    Column("inbox_url", Text, nullable=False),
    Column("body", Text, nullable=False),  # the activity JSON, serialised once
    Column("signer_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    *_queue_columns(),
)
Index("ix_deliveries_state_next", deliveries.c.state, deliveries.c.next_attempt_at)

# Deliveries by day, receiving domain and outcome (delivered, retry, dropped), counted by the delivery
# worker in the transaction that settles each attempt: the admin dashboard's history, which the queue
# rows cannot give (a delivered row is deleted). Day = days since 1970-01-01 UTC.
delivery_days = Table(
    "delivery_days", metadata,
    Column("day", Integer, primary_key=True),
    Column("domain", String(255), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
)

# The local people who used the node each UTC day (signed in, or an app or web session used its token):
# the dashboard's "active people". A token writes its day at most once an hour (social.apps.note_use).
active_days = Table(
    "active_days", metadata,
    Column("day", Integer, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)

# Whole threads (social.threads): a remote post's missing ancestor to fetch, or a remote post whose
# `replies` collection to walk. One row per (kind, uri): a repeated request is the same job, and a
# finished `replies` row stays as the cache of when that collection was last walked.
thread_fetches = Table(
    "thread_fetches", metadata, _id(),
    Column("kind", String(16), nullable=False),  # ancestor replies
    Column("uri", Text, nullable=False),
    Column("depth", Integer, nullable=False),  # hops from the post that asked for it: bounded
    Column("fetched_at", Float),
    *_queue_columns(),
    UniqueConstraint("kind", "uri"),
)
Index("ix_thread_fetches_state_next", thread_fetches.c.state, thread_fetches.c.next_attempt_at)

# Link previews (social.cards): one card per URL, fetched once in the background and shared by
# every status that links to it; the row is its own queue item. `entity` is Mastodon's PreviewCard
# as JSON, with the image already stored on this node.
preview_cards = Table(
    "preview_cards", metadata, _id(),
    Column("url", Text, nullable=False, unique=True),
    Column("entity", Text),
    Column("fetched_at", Float),
    *_queue_columns(),
)
Index("ix_preview_cards_state_next", preview_cards.c.state, preview_cards.c.next_attempt_at)

# Copies of remote files served from this node (social.media_cache), keyed by their remote URL.
media_cache = Table(
    "media_cache", metadata, _id(),
    Column("url", Text, nullable=False, unique=True),
    Column("name", String(80), nullable=False),  # in the media storage
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("cached_at", Float, nullable=False),
    Column("used_at", Float, nullable=False),
)
Index("ix_media_cache_used_at", media_cache.c.used_at)

status_cards = Table(
    "status_cards", metadata,
    Column("status_id", BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True),
    Column("card_id", BigInteger, ForeignKey("preview_cards.id", ondelete="CASCADE"), nullable=False),
)

# --- Moderation: what the organisation decides -------------------------------------------------

# A domain block: `silence` hides the domain from public timelines and makes its follows need
# approval; `suspend` refuses everything in and out and severs existing follows.
domain_blocks = Table(
    "domain_blocks", metadata, _id(),
    Column("domain", String(255), nullable=False, unique=True),  # canonical name, no port (models.domains)
    Column("severity", String(16), nullable=False),  # silence | suspend
    Column("reject_media", Boolean, nullable=False, default=False),
    Column("public_comment", Text, nullable=False, default=""),
    Column("private_comment", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

# The domains allowed to federate when federation_mode is "allowlist".
domain_allows = Table(
    "domain_allows", metadata, _id(),
    Column("domain", String(255), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

reports = Table(
    "reports", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),  # who reported
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("status_ids", Text, nullable=False, default="[]"),  # JSON list of status ids
    Column("comment", Text, nullable=False, default=""),
    Column("category", String(32), nullable=False, default="other"),
    Column("forwarded", Boolean, nullable=False, default=False),
    Column("uri", Text, unique=True),  # the Flag activity's id, sent or received
    Column("created_at", Float, nullable=False),
    Column("action_taken_at", Float),
    Column("action_taken_by_account_id", ID),
    Column("assigned_account_id", ID),  # the moderator handling it
)

invites = Table(
    "invites", metadata, _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("created_by_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("max_uses", Integer),  # NULL: unlimited
    Column("uses", Integer, nullable=False, default=0),
    Column("expires_at", Float),  # NULL: never
    Column("created_at", Float, nullable=False),
)

# --- Media, polls and the viewer's own collections (bookmarks, mutes, pins, lists) --------------

# An uploaded or remote attachment. Local files live under <data>/media/ with names the server made
# up (file_name, thumb_name); remote ones keep only their URL and are never downloaded.
media_attachments = Table(
    "media_attachments", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="SET NULL")),  # NULL until attached
    Column("position", Integer, nullable=False, default=0),
    Column("type", String(16), nullable=False, default="image"),  # image gifv video audio unknown
    Column("content_type", String(64)),
    Column("file_name", String(64)),
    Column("thumb_name", String(64)),
    Column("remote_url", Text),
    Column("description", Text),
    Column("blurhash", String(64)),
    Column("width", Integer),
    Column("height", Integer),
    Column("size", Integer),
    Column("thumb_width", Integer),
    Column("thumb_height", Integer),
    Column("focus_x", Float, nullable=False, default=0.0),
    Column("focus_y", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
    Column("duration", Float),  # seconds, video and audio
    Column("frame_rate", String(16)),  # "30/1", video
)
Index("ix_media_attachments_status_id", media_attachments.c.status_id)
Index("ix_media_attachments_account_id", media_attachments.c.account_id)

# One poll per status; options is JSON [{"title": ..., "votes_count": n}] (a remote poll's counts
# are the ones its server last reported).
polls = Table(
    "polls", metadata, _id(),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("options", Text, nullable=False),
    Column("multiple", Boolean, nullable=False, default=False),
    Column("hide_totals", Boolean, nullable=False, default=False),
    Column("expires_at", Float),
    Column("votes_count", Integer, nullable=False, default=0),
    Column("voters_count", Integer),
    Column("ended_notified", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

poll_votes = Table(
    "poll_votes", metadata, _id(),
    Column("poll_id", ID, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("choice", Integer, nullable=False),
    Column("uri", Text, unique=True),  # the vote Note's id, sent or received
    Column("created_at", Float, nullable=False),
    UniqueConstraint("poll_id", "account_id", "choice"),
)

bookmarks = Table(
    "bookmarks", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "status_id"),
)

mutes = Table(
    "mutes", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("notifications", Boolean, nullable=False, default=True),
    Column("expires_at", Float),  # NULL: until unmuted
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "target_account_id"),
)

pins = Table(
    "pins", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)
Index("ix_pins_account_id", pins.c.account_id)

lists = Table(
    "lists", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("replies_policy", String(16), nullable=False, default="list"),  # followed list none
    Column("exclusive", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    # Shared by its owner: a public page, an ActivityPub collection, a feed and a CSV anyone may import.
    Column("public", Boolean, nullable=False, default=False, server_default=sa_false()),
)

list_accounts = Table(
    "list_accounts", metadata,
    Column("list_id", ID, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_list_accounts_account_id", list_accounts.c.account_id)

# A viewer's state of one direct conversation (keyed by the thread's root status id): read up to
# which status, and hidden up to which one (a newer status brings it back).
conversation_marks = Table(
    "conversation_marks", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_id", ID, primary_key=True),
    Column("read_up_to", ID, nullable=False, default=0),
    Column("hidden_up_to", ID, nullable=False, default=0),
)

# --- Streaming: what the streaming API announces, written in the transaction that caused it -----

# `stream` is "user:<account id>" (home updates, notifications and deletes for one person),
# "public" (new public and local-only statuses; the streaming side filters by origin and tag),
# "direct" (new direct statuses) or "status" (edits, for whoever may see the status).
# `ref_id` is the status or notification the event is about. Rows live a few minutes.
stream_events = Table(
    "stream_events", metadata, _id(),
    Column("stream", String(64), nullable=False),
    Column("event", String(32), nullable=False),  # update notification delete status.update conversation
    Column("ref_id", ID),
    Column("created_at", Float, nullable=False),
)

# A person's own domain blocks (/api/v1/domain_blocks): nothing from that domain reaches them.
account_domain_blocks = Table(
    "account_domain_blocks", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "domain"),
)

# What this node knows of other servers' health: a domain failing for long is "unavailable" (no new
# deliveries are queued for it) until it speaks to this node again.
# Per-peer state, one row per remote domain, shared by every process (federation.peers owns it).
instances = Table(
    "instances", metadata,
    Column("domain", String(255), primary_key=True),
    Column("failing_since", Float),
    Column("last_failure_at", Float),
    Column("last_success_at", Float),
    Column("unavailable_since", Float),
    # Circuit breaker: failures in a row, and until when deliveries wait instead of trying.
    Column("consecutive_failures", Integer, nullable=False, default=0, server_default="0"),
    Column("open_until", Float),
    # The HTTP signature scheme its inbox last accepted: cavage | rfc9421 (NULL: not learned yet).
    Column("signature_scheme", String(16)),
    # From its NodeInfo, read at most daily.
    Column("software_name", String(100)),
    Column("software_version", String(100)),
    Column("software_checked_at", Float),
)

# The node's identity, one row written by the first start: every process and CLI command checks its
# --domain against it and reads the federation mode from it (backchannel.identity).
node = Table(
    "node", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("domain", String(255), nullable=False),
    Column("federation_mode", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Secrets every process of the node must share (the VAPID key, the session-signing key): made once,
# by whichever process starts first, under the migration lock (backchannel.secrets).
node_secrets = Table(
    "node_secrets", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Rate-limit counters shared by every process: requests per key in each fixed window
# (window = epoch seconds // window length). Old windows are deleted (models.rate_limits).
rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(128), primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),
    Column("hits", Integer, nullable=False),
)

# --- Profile: a local person's posting defaults, private notes on others, endorsements ----------

account_settings = Table(
    "account_settings", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("default_privacy", String(16), nullable=False, default="public"),
    Column("default_sensitive", Boolean, nullable=False, default=False),
    Column("default_language", String(16)),
    Column("default_quote_policy", String(16)),  # who may quote new posts (public followers nobody)
)

account_notes = Table(
    "account_notes", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("comment", Text, nullable=False),
)

endorsements = Table(
    "endorsements", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "target_account_id"),
)

suggestion_dismissals = Table(
    "suggestion_dismissals", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("target_account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)

# --- Hashtags a person follows (their posts reach the home timeline) or features on the profile --

tag_follows = Table(
    "tag_follows", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("tag_id", ID, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "tag_id"),
)

featured_tags = Table(
    "featured_tags", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("tag_id", ID, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "tag_id"),
)

# --- Scheduled posts, idempotent posting, read positions, filters (api/scheduled, api/markers, api/filters)

# A post to be published later by the scheduler: `params` is the JSON of what post_status takes.
scheduled_statuses = Table(
    "scheduled_statuses", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("scheduled_at", Float, nullable=False, index=True),
    Column("params", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# `Idempotency-Key` of POST /api/v1/statuses → the status it made; rows older than an hour are ignored.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("status_id", ID, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Where a person stopped reading a timeline (home, notifications), shared between their clients.
markers = Table(
    "markers", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("timeline", String(32), primary_key=True),
    Column("last_read_id", ID, nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)

# Filters v2: `context` is a JSON list of home notifications public thread account.
filters = Table(
    "filters", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("context", Text, nullable=False, default="[]"),
    Column("filter_action", String(16), nullable=False, default="warn"),  # warn hide
    Column("expires_at", Float),
    Column("created_at", Float, nullable=False),
)

filter_keywords = Table(
    "filter_keywords", metadata, _id(),
    Column("filter_id", ID, ForeignKey("filters.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("keyword", Text, nullable=False),
    Column("whole_word", Boolean, nullable=False, default=True),
)

filter_statuses = Table(
    "filter_statuses", metadata, _id(),
    Column("filter_id", ID, ForeignKey("filters.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("filter_id", "status_id"),
)

# Threads a person muted (/api/v1/statuses/:id/mute): no more notifications from them.
conversation_mutes = Table(
    "conversation_mutes", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("root_status_id", ID, primary_key=True),
    Column("created_at", Float, nullable=False),
)

# --- Web Push: one subscription per OAuth token (Mastodon's WebPushSubscription) -----------------
push_subscriptions = Table(
    "push_subscriptions", metadata, _id(),
    Column("token_id", ID, ForeignKey("oauth_tokens.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("endpoint", Text, nullable=False),
    Column("p256dh", Text, nullable=False),  # the browser's P-256 public key, base64url
    Column("auth", Text, nullable=False),  # its 16-byte auth secret, base64url
    Column("alerts", Text, nullable=False, default="{}"),  # JSON {notification type: bool}
    Column("policy", String(16), nullable=False, default="all"),  # all followed follower none
    Column("created_at", Float, nullable=False),
)

push_deliveries = Table(
    "push_deliveries", metadata, _id(),
    Column("subscription_id", ID, ForeignKey("push_subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("notification_id", ID, ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False),
    *_queue_columns(),
)
Index("ix_push_deliveries_state_next", push_deliveries.c.state, push_deliveries.c.next_attempt_at)

# --- Single sign-on (OpenID Connect) and SCIM provisioning ---------------------------------------

# A local user known to an OpenID provider: its (issuer, sub) pair, the one stable id a provider
# gives a person (the e-mail and username claims may change).
sso_identities = Table(
    "sso_identities", metadata, _id(),
    Column("issuer", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("issuer", "subject"),
)

# A sign-in on its way through the provider: state, nonce and PKCE verifier, single-use, short-lived.
# In the database rather than in process memory, so any process can take the provider's answer.
sso_logins = Table(
    "sso_logins", metadata,
    Column("state_hash", String(64), primary_key=True),  # sha256 hex of the state
    Column("nonce", String(128), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("purpose", String(16), nullable=False),  # web | oauth
    Column("resume", Text, nullable=False, default="{}"),  # JSON: what to do once signed in
    Column("expires_at", Float, nullable=False),
)

# Bearer tokens of the SCIM client (the HR directory), made by `backchannel scim token create`.
scim_tokens = Table(
    "scim_tokens", metadata, _id(),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; never the token
    Column("label", String(255), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)

# What SCIM knows of a provisioned user beyond the account: the directory's userName (often an e-mail
# address; the account's handle is derived from it once, as a federated handle cannot change), its
# own id for the user, and the e-mail entries as it sent them (users.email is the primary one).
scim_users = Table(
    "scim_users", metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("user_name", String(255), nullable=False, unique=True),  # stored lower-cased: caseExact false
    Column("external_id", Text),
    Column("emails", Text, nullable=False, default="[]"),
    # As the directory set it; NULL when it never did or removed it (users.disabled is what counts).
    Column("active", Boolean),
    Column("updated_at", Float, nullable=False),
)

# The directory's groups (SCIM Groups), with their members: users of this node. A group whose name
# is one of the role settings (scim_admin_group, scim_moderator_group) gives its members that role.
scim_groups = Table(
    "scim_groups", metadata, _id(),
    Column("display_name", String(255), nullable=False),
    Column("name_key", String(255), nullable=False, unique=True),  # display_name lower-cased: one of each
    Column("external_id", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
scim_group_members = Table(
    "scim_group_members", metadata,
    Column("group_id", ID, ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_scim_group_members_user_id", scim_group_members.c.user_id)

# --- Hashtag chats (social.chats): a host, a window, questions at set times ---------------------

# One occurrence of a chat. A weekly series is a chain of rows sharing `series_id` (the first
# occurrence's id); the next one is made when the current one ends. `account_id` is the host that
# posts (a person, or a group); `created_by_id` the local person who scheduled it and may cancel it.
chats = Table(
    "chats", metadata, _id(),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_by_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("hashtag", String(100), nullable=False),  # as typed; matched lower-case
    Column("title", String(200), nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("recurrence", String(16)),  # NULL or "weekly"
    Column("series_id", ID, nullable=False),
    Column("occurrence", Integer, nullable=False, default=1),
    Column("announcement_status_id", ID),
    Column("cancelled_at", Float),
    Column("created_at", Float, nullable=False),
)
Index("ix_chats_series_starts", chats.c.series_id, chats.c.starts_at)
Index("ix_chats_starts_at", chats.c.starts_at)

# Its questions, in order; `status_id` is the host's post of the question once it is made.
chat_topics = Table(
    "chat_topics", metadata, _id(),
    Column("chat_id", ID, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("status_id", ID),
    Column("series_text", Text),  # edited for this week only: the text the weeks after keep
    UniqueConstraint("chat_id", "position"),
)

# Who said they would attend: they get the reminder as a notification and by Web Push.
chat_rsvps = Table(
    "chat_rsvps", metadata,
    Column("chat_id", ID, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Float, nullable=False),
)

# The chat's own queue: announce, reminder, one question per topic, and (weekly) the next
# occurrence, each due at its time, claimed like the other queues. `status_id` is chosen on the
# first attempt and kept, so a retry after a crash finds the post made before instead of posting twice.
chat_jobs = Table(
    "chat_jobs", metadata, _id(),
    Column("chat_id", ID, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # announce reminder question next remind
    Column("topic_id", ID),
    Column("status_id", ID),
    Column("account_id", ID),  # remind: the remote attendee the host's direct message is for
    *_queue_columns(),
)
Index("ix_chat_jobs_state_next", chat_jobs.c.state, chat_jobs.c.next_attempt_at)
# --- Groups (communities of practice, FEP-1b12): a group is a local account of type Group --------

# A group's own settings; its name, title (display_name), description (note) and avatar live in
# accounts, its members are the account's accepted followers.
groups = Table(
    "groups", metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("join_policy", String(16), nullable=False, default="open"),  # open approval local
    Column("rules", Text, nullable=False, default="[]"),  # JSON list of strings
    Column("created_by_account_id", ID, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("created_at", Float, nullable=False),
)

# Local accounts that remove posts and members and approve joins.
group_moderators = Table(
    "group_moderators", metadata,
    Column("group_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_group_moderators_account_id", group_moderators.c.account_id)

# What a group relayed (its Announce is `boost_id`, a reblog by the group's account), and what a
# moderator removed: a removed post, and replies to it, are never relayed again.
group_posts = Table(
    "group_posts", metadata,
    Column("group_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("status_id", ID, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True),
    Column("boost_id", ID),
    Column("state", String(16), nullable=False),  # relayed removed
    Column("created_at", Float, nullable=False),
)
Index("ix_group_posts_group_id_state_status_id", group_posts.c.group_id, group_posts.c.state,
      group_posts.c.status_id)
Index("ix_group_posts_status_id", group_posts.c.status_id)
