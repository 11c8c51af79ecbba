"""The one Content-Security-Policy, and the headers that go with it, on every HTML response.

Pages run no inline script and no inline style: everything comes from this node's own stylesheet and
scripts (the chat page's live updates, pages/static/chat.js, which reads this node's streaming API),
images, video and audio from this node or over https (a CDN, or hot-linking when the admin chose it). The policy has no form-action: Chromium applies it to the redirect
after a submitted form, which would stop the OAuth form's redirect to the app's own redirect_uri.
"""
from __future__ import annotations

from aiohttp import web

from pages.templating import render

CSP = ("default-src 'none'; img-src 'self' https: data:; media-src 'self' https:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
HTML_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers without frame-ancestors; the OAuth consent button above all
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def html_headers(request: web.Request, handler):  # noqa: ANN001, ANN201
    try:
        response = await handler(request)
    except web.HTTPNotFound as err:
        if not _browser(request) or err.text != "404: Not Found":  # an API's, an AP fetch's, or one that says why
            _apply(err)
            raise
        # A browser at an unknown address, profile or post gets a page of the site, not a line of text
        person = await _person(request)  # signed in, the page keeps their menu
        response = render(request, "page.html", {"title": "Not found", "back": "/", "person": person,
                          "csrf": person.csrf if person else "",
                          "message": "There is nothing here: the address is wrong, or what was here is gone or "
                                     "not yours to see."}, status=404)
    except web.HTTPException as err:  # an error page raised as an exception is HTML too, sometimes
        _apply(err)
        raise
    _apply(response)
    return response


async def _person(request: web.Request):  # noqa: ANN202
    """Who is signed in; nobody when that cannot be told right now."""
    from pages import session  # pages.session draws on this module's neighbours: imported when needed

    try:
        return await session.current(request)
    except Exception:  # noqa: BLE001 - a 404 page must not become a 500 or 503 over its menu
        return None


def _browser(request: web.Request) -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def _apply(response: web.StreamResponse) -> None:
    if not response.prepared and _is_html(response.headers.get("Content-Type")):
        for name, value in HTML_HEADERS.items():
            response.headers[name] = value


def _is_html(content_type: str | None) -> bool:
    """Whether a Content-Type header names text/html, without parsing it (response.content_type
    parses every JSON answer's header anew)."""
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip()
    return len(media_type) == 9 and media_type.lower() == "text/html"
