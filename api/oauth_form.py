"""The minimal HTML of the OAuth sign-in and consent step. Every value is escaped."""
from __future__ import annotations

from html import escape

from aiohttp import web

STYLE = ("body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
         "label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]"
         "{width:100%;padding:.4rem;box-sizing:border-box}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}"
         "code{display:block;padding:1rem;background:#eee;word-break:break-all}.error{color:#b00}")

# The form must not be framed by another site (clickjacking on the consent button), and runs no
# script. No form-action: browsers apply it to the redirect to the app's own redirect_uri.
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
SAFE_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (f"<!doctype html><html><head><meta charset=utf-8><meta name=viewport "
            f"content='width=device-width'><title>{escape(title)}</title><style>{STYLE}</style>"
            f"</head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return web.Response(text=html, content_type="text/html", status=status, headers=SAFE_HEADERS)


def consent(*, node: str, app_name: str, website: str | None, scopes: list[str], hidden: dict[str, str],
            error: str | None = None, status: int = 200) -> web.Response:
    fields = "".join(f"<input type=hidden name='{escape(k)}' value='{escape(v)}'>"
                     for k, v in hidden.items() if v)
    site = f" (<a href='{escape(website)}' rel=noopener>{escape(website)}</a>)" if website else ""
    problem = f"<p class=error>{escape(error)}</p>" if error else ""
    body = (f"<p><strong>{escape(app_name)}</strong>{site} asks to use your account on "
            f"{escape(node)} with these permissions:</p>"
            f"<ul>{''.join(f'<li>{escape(s)}</li>' for s in scopes)}</ul>{problem}"
            f"<form method=post action='/oauth/authorize'>{fields}"
            "<label for=username>E-mail or username</label>"
            "<input type=text id=username name=username autocomplete=username required autofocus>"
            "<label for=password>Password</label>"
            "<input type=password id=password name=password autocomplete=current-password required>"
            "<button type=submit name=decision value=approve>Authorise</button>"
            "<button type=submit name=decision value=deny formnovalidate>Deny</button></form>")
    return _page("Authorise an application", body, status)


def show_code(code: str) -> web.Response:
    body = f"<p>Copy this code and paste it into the application:</p><code>{escape(code)}</code>"
    return _page("Authorisation code", body)


def failure(message: str, status: int = 400) -> web.Response:
    return _page("Cannot authorise", f"<p class=error>{escape(message)}</p>", status)
