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
    from api import filters as filters_api  # which filter context (home, public…) a request reads in

    app.middlewares.append(filters_api.context_middleware)
    from api import instance_extra, notifications_v2, trends  # before notifications' /{id} routes

    for module in (instance_extra, notifications_v2, trends):
        app.router.add_routes(module.ROUTES)
    from api import discovery, profile, tags  # before accounts' /{id}: familiar_followers

    for module in (profile, tags, discovery):
        app.router.add_routes(module.ROUTES)
    for module in (oauth, authorize, instance, accounts, statuses, timelines, notifications, search,
                   domain_blocks, placeholders):
        app.router.add_routes(module.ROUTES)
    from api import admin, registrations, reports  # moderation: admin API, reports, sign-up

    for module in (admin, reports, registrations):
        app.router.add_routes(module.ROUTES)
    from api import bookmarks, conversations, lists, media, mutes, polls  # media, polls, collections

    for module in (media, polls, bookmarks, mutes, lists, conversations):
        app.router.add_routes(module.ROUTES)
    from api import filters, history, markers, scheduled  # filters, scheduled posts, read positions

    for module in (history, scheduled, markers, filters):
        app.router.add_routes(module.ROUTES)
    from api import push  # Web Push subscriptions

    app.router.add_routes(push.ROUTES)
    streaming.setup(app)  # its routes and the per-process hub that tails stream_events
