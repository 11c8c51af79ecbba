"""HTML pages: the node's front page, profiles and single posts. Only public posts appear here."""
from aiohttp import web

from pages.routes import routes, security_headers


def setup(app: web.Application) -> None:
    app.middlewares.append(security_headers)
    app.add_routes(routes)
    from pages import admin  # /admin (moderation) and /invite/{code} (sign-up)

    app.add_routes(admin.routes)
