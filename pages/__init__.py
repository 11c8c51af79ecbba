"""HTML pages from Jinja2 templates: public pages, the signed-in web, admin, the invite sign-up (and the OAuth form,
which api/ renders with the same environment and layout). One CSP for every HTML response
(pages.security, applied by the node's one middleware, backchannel.pipeline)."""
from aiohttp import web

from backchannel.config import Config

from pages import (admin, chats, discovery, feeds, lists, own_lists, people, profile_edit, routes, settings,
                   sso, templating, transfer)


def setup(app: web.Application, config: Config) -> None:
    templating.setup(app, config)
    # Feeds and shared lists first: /@alice.rss and /tags/x.rss would match the pages' own patterns.
    app.add_routes(feeds.routes)
    app.add_routes(lists.routes)
    app.add_routes(routes.routes)
    app.add_routes(people.routes)
    app.add_routes(settings.routes)
    app.add_routes(profile_edit.routes)
    app.add_routes(discovery.routes)
    app.add_routes(own_lists.routes)
    app.add_routes(transfer.routes)
    app.add_routes(admin.routes)
    app.add_routes(sso.routes)
    app.add_routes(chats.routes)
