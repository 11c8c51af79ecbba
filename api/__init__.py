"""The Mastodon client API and OAuth 2. `setup(app)` adds the routes and the two middlewares."""
from __future__ import annotations

from aiohttp import web

from api import streaming
from api import (accounts, authorize, domain_blocks, instance, middleware, notifications, oauth,
                 placeholders, search, statuses, timelines)


def setup(app: web.Application) -> None:
    # CORS outermost, so error answers carry its headers too.
    app.middlewares.append(middleware.cors)
    app.middlewares.append(middleware.errors)
    for module in (oauth, authorize, instance, accounts, statuses, timelines, notifications, search,
                   domain_blocks, placeholders):
        app.router.add_routes(module.ROUTES)
    from api import admin, registrations, reports  # moderation: admin API, reports, sign-up

    for module in (admin, reports, registrations):
        app.router.add_routes(module.ROUTES)
    from api import bookmarks, conversations, lists, media, mutes, polls  # media, polls, collections

    for module in (media, polls, bookmarks, mutes, lists, conversations):
        app.router.add_routes(module.ROUTES)
    streaming.setup(app)  # its routes and the per-process hub that tails stream_events
