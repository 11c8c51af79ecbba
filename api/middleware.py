"""Errors as Mastodon's `{"error": …}` JSON, and CORS for browser clients (Elk, Phanpy, …).

Both only touch the paths the client API owns, so the HTML pages and the federation routes keep
their own error handling.
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


def error_body(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
    if not _under(request.path, API_PREFIXES):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPNotFound:
        # No route: an unknown path, or an id that is not one ({id:\d+} did not match).
        return error_body("Record not found", 404)
    except web.HTTPException:
        raise
    except (ServiceError, DatabaseUnavailable, StorageUnavailable) as err:
        return error_body(getattr(err, "message", None) or str(err), err.status)
    except json.JSONDecodeError as err:
        return error_body(f"Invalid JSON: {err}", 400)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer 500
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_body("internal error", 500)


@web.middleware
async def cors(request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
    if not _under(request.path, CORS_PREFIXES):
        return await handler(request)
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204)
        response.headers.update({
            "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": CORS_HEADERS,
            "Access-Control-Max-Age": "86400",
        })
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _allow(exc.headers)
            raise
    if not response.prepared:  # a WebSocket or stream has sent its headers already
        _allow(response.headers)
    return response


def _allow(headers) -> None:  # noqa: ANN001
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
