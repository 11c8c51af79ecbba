"""The node's one middleware: what every request costs before and after its handler, in one coroutine.

aiohttp runs each middleware as a coroutine of its own (and a wrapper around them all); six of them
cost a request more than aiohttp's own hello world does. The same steps run here in one function,
in the order they had as separate middlewares, outermost first:

1. every request counted in /metrics and logged (backchannel.ops), the refused ones too;
2. with `count_statements` (tests, bench), its SQL statements in X-Statement-Count;
3. CORS on the client API's and NodeInfo's paths, a preflight OPTIONS answered here (api.middleware);
4. the client API's errors as `{"error": …}` JSON (api.middleware);
5. the HTML headers on every HTML answer, and a page for a browser's 404 (pages.security);
6. the rate limits, per client address and per account (backchannel.guards);
7. a database outage answered 503, the rate limit's token lookup included (backchannel.guards).
"""
from __future__ import annotations

import time
from typing import Callable

from aiohttp import web

from api import auth
from api.middleware import allow, api_error, is_api, is_cors, preflight
from backchannel import guards, ops
from backchannel.config import Config
from models.db import start_counting
from pages.security import add_html_headers, not_found_page

STATEMENTS = "X-Statement-Count"


def pipeline(config: Config, limits: guards.RateLimits, client_address: Callable[[web.Request], str]):  # noqa: ANN201
    done = ops.observer(config, client_address)
    counting = config.count_statements
    by_ip, by_account = limits.by_ip, limits.by_account
    keys = guards.AccountKeys()

    @web.middleware
    async def middleware(request: web.Request, handler):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        status = 500
        counter = start_counting() if counting else None  # 2
        path = request.path
        cors = is_cors(path)
        remote = client_address(request)
        try:
            if cors and request.method == "OPTIONS":  # 3
                response = preflight()
            else:
                try:
                    try:
                        try:
                            if request.method == "OPTIONS":  # 6: no limit for a preflight
                                response = await handler(request)
                            else:
                                wait = by_ip.take("ip:" + remote)
                                if not wait and path.startswith("/api/") and (token := auth.bearer_token(request)):
                                    digest, key = keys.get(token)
                                    if key is None:  # asked as the handler asks: it reuses the answer
                                        info = await auth.token_info(request, token)
                                        key = keys.learn(digest, info.account.id if info and info.account else None)
                                    wait = by_account.take(key)
                                response = guards.too_many(wait) if wait else await handler(request)
                        except guards.OUTAGES as err:  # 7
                            if isinstance(err, guards.MISTAKES):
                                raise
                            raise guards.unavailable(request, err) from None
                    except web.HTTPNotFound as err:  # 5
                        page = await not_found_page(request, err)
                        if page is None:
                            add_html_headers(err)
                            raise
                        response = page
                    except web.HTTPException as err:
                        add_html_headers(err)
                        raise
                    add_html_headers(response)
                except web.HTTPException as err:
                    if cors and is_api(path) and isinstance(err, web.HTTPNotFound):  # 4
                        response = api_error(request, err)
                    else:
                        if cors:  # 3
                            allow(err.headers)
                        raise
                except Exception as err:  # noqa: BLE001 - 4: on the API's paths, the last line of defence
                    if not (cors and is_api(path)):
                        raise
                    response = api_error(request, err)
                if cors and not response.prepared:  # 3
                    allow(response.headers)
            if counter is not None and not response.prepared:  # 2
                response.headers[STATEMENTS] = str(counter[0])
            status = response.status
            return response
        except web.HTTPException as err:  # 1
            status = err.status
            raise
        finally:
            done(request, status, time.perf_counter() - started, remote)

    return middleware
