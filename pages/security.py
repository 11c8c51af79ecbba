"""The one Content-Security-Policy, and the headers that go with it, on every HTML response (the
node's one middleware, backchannel.pipeline, calls `add_html_headers` on every answer).

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


async def not_found_page(request: web.Request, err: web.HTTPNotFound) -> web.Response | None:
    """A browser at an unknown address, profile or post gets a page of the site, not a line of text;
    None for anyone else (an API client, an AP fetch) or a 404 that says why."""
    if not _browser(request) or err.text != "404: Not Found":
        return None
    person = await _person(request)  # signed in, the page keeps their menu
    return render(request, "page.html", {"title": "Not found", "back": "/", "person": person,
                  "csrf": person.csrf if person else "",
                  "message": "There is nothing here: the address is wrong, or what was here is gone or "
                             "not yours to see."}, status=404)


async def _person(request: web.Request):  # noqa: ANN202
    """Who is signed in; nobody when that cannot be told right now."""
    from pages import session  # pages.session draws on this module's neighbours: imported when needed

    try:
        return await session.current(request)
    except Exception:  # noqa: BLE001 - a 404 page must not become a 500 or 503 over its menu
        return None


def _browser(request: web.Request) -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def add_html_headers(response: web.StreamResponse) -> None:
    """The HTML headers, when the answer (or an HTTPException) is HTML and its headers are not sent yet."""
    if not response.prepared and _is_html(response.headers.get("Content-Type")):
        response.headers.update(HTML_HEADERS)


def _is_html(content_type: str | None) -> bool:
    """Whether a Content-Type header names text/html, without parsing it (response.content_type
    parses every JSON answer's header anew)."""
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip()
    return len(media_type) == 9 and media_type.lower() == "text/html"
