"""create_app(config): the one place where concrete parts are chosen and wired together."""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

from backchannel import guards, ops, secrets, workers
from backchannel.config import Config
from backchannel.identity import establish
from backchannel.keys import INTAKE, RUNTIME
from backchannel.pipeline import pipeline
from backchannel.routing import forgive_trailing_slashes
from federation.runtime import Runtime
from federation import httpsig, webpush
from federation.http import FederationClient, Signer, user_agent
from federation.breaker import Breaker
from federation.metrics import Metrics
from federation.peers import Peers
from federation.policy import FederationPolicy
from federation.urls import Urls
from inbox.intake import Intake
from models import accounts
from models.db import Database
from models.media_storage import LocalStorage, MediaStorage, S3Storage
from models.migrate import serialize, upgrade

log = logging.getLogger(__name__)


async def open_runtime(config: Config, *, check_mode: bool = True) -> Runtime:
    """Migrate, check the settings against the node's stored identity, and wire the parts.
    Raises IdentityMismatch (a ConfigError) when the settings name another node."""
    db = Database(config.database_url, sqlite_busy_timeout_ms=config.sqlite_busy_timeout_ms,
                  count_statements=config.count_statements)
    try:
        before, after = await upgrade(db)
        if before != after:
            log.info("database migrated from %s to %s", before or "empty", after)
        await establish(db, config, check_mode=check_mode)
        shared = await secrets.load(db, config.data)
    except BaseException:
        await db.dispose()
        raise
    policy = FederationPolicy(db, local_domain=config.domain, scheme=config.scheme)
    peers = Peers(db, breaker=Breaker(threshold=config.breaker_threshold, base_open=config.breaker_open_seconds),
                  unavailable_after=config.domain_unavailable_after)
    http = FederationClient(host_map=config.resolve, insecure_http=config.insecure_http,
                            timeout=config.request_timeout, max_body_bytes=config.max_body_bytes,
                            user_agent=user_agent(config.base_url), policy=policy, peers=peers,
                            signing_processes=config.signing_processes, signing_threads=config.signing_threads)
    media = media_storage(config)
    await media.start()
    await http.start()
    rt = Runtime(config=config, db=db, http=http, urls=Urls(config.base_url, config.media_public_url), policy=policy, peers=peers, media=media,
                 metrics=Metrics(domain_labels=config.metrics_domains),
                 vapid=webpush.vapid_from_pem(shared["vapid"]), session_secret=bytes.fromhex(shared["session"]))
    await ensure_instance_actor(rt)
    return rt


def media_storage(config: Config) -> MediaStorage:
    if config.media_storage == "s3":
        return S3Storage(bucket=config.s3_bucket, endpoint=config.s3_endpoint, region=config.s3_region,
                         access_key=config.s3_access_key, secret_key=config.s3_secret_key, prefix=config.s3_prefix)
    return LocalStorage(config.media_dir)


async def close_runtime(rt: Runtime) -> None:
    await rt.http.close()
    await rt.media.close()
    await rt.db.dispose()


async def ensure_instance_actor(rt: Runtime) -> None:
    """The node's own actor (Mastodon's "instance actor") signs fetches made on nobody's behalf."""
    uri = rt.urls.actor_instance()
    async with rt.db.write() as conn:
        await conn.run_sync(serialize)  # processes starting together create it once
        account = await accounts.by_uri(conn, uri)
        if account is None:
            private_pem, public_pem = httpsig.generate_key_pair()
            account = await accounts.create_instance_actor(
                conn, username=rt.config.host, uri=uri, url=rt.urls.home(),
                key_id=rt.urls.instance_key_id(), inbox=rt.urls.instance_inbox(), shared_inbox=rt.urls.shared_inbox(),
                private_key_pem=private_pem, public_key_pem=public_pem)
    rt.instance_account_id = account.id
    rt.instance_signer = Signer(account.public_key_id or "", account.private_key_pem or "")


def create_app(config: Config) -> web.Application:
    from api import setup as setup_api
    from inbox.routes import routes as inbox_routes
    from outbox.routes import routes as outbox_routes
    from pages import setup as setup_pages
    from webfinger.routes import routes as webfinger_routes

    app = web.Application(client_max_size=config.max_body_bytes * 8)
    limits = guards.RateLimits(config.rate_limit_per_ip, config.rate_limit_per_account)

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        rt = await open_runtime(config)
        app[RUNTIME] = rt
        app[INTAKE] = Intake(rt.db)
        tasks: list[asyncio.Task] = [asyncio.create_task(limits.run(rt.db))]
        if config.workers:
            if config.is_sqlite:
                await workers.release_locks(rt)
            tasks += workers.start(rt)
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await close_runtime(rt)

    app.cleanup_ctx.append(runtime_ctx)
    app.add_routes(webfinger_routes)
    app.add_routes(inbox_routes)
    app.add_routes(outbox_routes)
    app.add_routes(ops.routes)
    setup_api(app)
    setup_pages(app, config)
    forgive_trailing_slashes(app)
    # One middleware takes every step around the handlers (its docstring lists them in order).
    app.middlewares.append(pipeline(config, limits, guards.client_addresses(config.trusted_networks)))
    return app


def create_ops_app(rt: Runtime) -> web.Application:
    """/metrics, /livez and /readyz alone, for a `backchannel worker --listen` process."""
    app = web.Application(middlewares=[ops.observe(rt.config)])
    app[RUNTIME] = rt
    app.add_routes(ops.routes)
    return app
