"""The HTML of the OAuth sign-in and consent step, from the pages' templates and layout (the Jinja2
environment pages/ sets up on the app; api/ does not import pages/). The one CSP and its headers
come from pages/security.py like every HTML response's; here only: never cached."""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

NO_STORE = {"Cache-Control": "no-store"}
# The redirect to the app carries the code: nothing of it may be cached or sent on as a Referer.
REDIRECT_HEADERS = {**NO_STORE, "Referrer-Policy": "no-referrer"}


def _page(request: web.Request, template: str, status: int = 200, **context: object) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers.update(NO_STORE)
    return response


def consent(request: web.Request, *, app_name: str, website: str | None, scopes: list[str],
            hidden: dict[str, str], error: str | None = None, status: int = 200, code_needed: bool = False,
            username: str = "") -> web.Response:
    """`code_needed`: the password matched a person with two-factor sign-in on; the form asks again,
    with a field for the code."""
    return _page(request, "oauth/consent.html", status, title="Authorise an application", app_name=app_name,
                 website=website, scopes=scopes, hidden=hidden, error=error, code_needed=code_needed,
                 username=username)


def show_code(request: web.Request, code: str) -> web.Response:
    return _page(request, "oauth/code.html", title="Authorisation code", code=code)


def failure(request: web.Request, message: str, status: int = 400) -> web.Response:
    return _page(request, "page.html", status, title="Cannot authorise", error=message)
