"""Errors as Mastodon's `{"error": …}` JSON, and CORS for browser clients (Elk, Phanpy, …).

Both only touch the paths the client API owns, so the HTML pages and the federation routes keep
their own error handling. The node's one middleware (backchannel.pipeline) calls these around its
handler: CORS outermost, so error answers carry its headers too.
"""
from __future__ import annotations

import functools
import json
import logging

from aiohttp import web

from models.db import DatabaseUnavailable
from models.media_storage import StorageUnavailable
from social.errors import ServiceError

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/oauth/", "/.well-known/oauth-authorization-server")
CORS_PREFIXES = API_PREFIXES + ("/nodeinfo", "/.well-known/nodeinfo")
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"
CORS_EXPOSE = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id"


@functools.lru_cache(maxsize=None)  # two tuples of prefixes
def _bare(prefixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p.rstrip("/") for p in prefixes)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return path.startswith(prefixes) or path.rstrip("/") in _bare(prefixes)


def is_api(path: str) -> bool:
    """A path the client API answers, whose errors are JSON."""
    return _under(path, API_PREFIXES)


def is_cors(path: str) -> bool:
    """A path browser clients may read from other origins."""
    return _under(path, CORS_PREFIXES)


def error_body(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


def api_error(request: web.Request, err: Exception) -> web.Response:
    """What the client API answers for an exception its handler raised (not an HTTPException other
    than HTTPNotFound, which answer as they are)."""
    if isinstance(err, web.HTTPNotFound):
        # No route: an unknown path, or an id that is not one ({id:\d+} did not match).
        return error_body("Record not found", 404)
    if isinstance(err, (ServiceError, DatabaseUnavailable, StorageUnavailable)):
        return error_body(getattr(err, "message", None) or str(err), err.status)
    if isinstance(err, json.JSONDecodeError):
        return error_body(f"Invalid JSON: {err}", 400)
    # The last line of defence: log it, answer 500
    log.error("unhandled error in %s %s", request.method, request.path, exc_info=err)
    return error_body("internal error", 500)


PREFLIGHT_HEADERS = {"Access-Control-Allow-Methods": CORS_METHODS, "Access-Control-Allow-Headers": CORS_HEADERS,
                     "Access-Control-Max-Age": "86400"}
ALLOW_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": CORS_EXPOSE}


def preflight() -> web.Response:
    """The answer to a browser's OPTIONS before a cross-origin request."""
    return web.Response(status=204, headers={**PREFLIGHT_HEADERS, **ALLOW_HEADERS})


def allow(headers) -> None:  # noqa: ANN001
    """Let other origins read the answer (its headers: the answer's not yet sent)."""
    headers.update(ALLOW_HEADERS)
