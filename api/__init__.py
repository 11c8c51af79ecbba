"""The Mastodon client API and OAuth 2. `setup(app)` adds the routes (the node's one middleware,
backchannel.pipeline, answers errors as JSON and adds CORS through api.middleware).

Ids in paths are constrained to digits (`{id:\\d+}`), so a fixed path such as
/api/v1/accounts/lookup never reaches an `{id}` route and the order modules are added in does not
matter (tests/api/test_routes.py)."""
from __future__ import annotations

from aiohttp import web

from api import (accounts, admin, authorize, bookmarks, chats, conversations, discovery, domain_blocks, filters,
                 groups, history, instance, instance_extra, languages, lists, markers, media, migration, mutes, notifications,
                 notifications_v2, oauth, placeholders, polls, profile, push, registrations, reports, scheduled,
                 scim, search, statuses, streaming, tags, timelines, trends)

MODULES = (oauth, authorize, instance, instance_extra, languages, accounts, profile, discovery, statuses, history, timelines,
           trends, tags, notifications, notifications_v2, search, domain_blocks, placeholders, admin, reports,
           registrations, media, polls, bookmarks, mutes, lists, conversations, scheduled, markers, filters, push,
           scim, chats, groups, migration)


def setup(app: web.Application) -> None:
    for module in MODULES:
        app.router.add_routes(module.ROUTES)
    streaming.setup(app)  # its routes and the per-process hub that tails stream_events
