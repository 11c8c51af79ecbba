"""What an operator watches: /metrics (Prometheus), /livez and /readyz, the access log, JSON logs.

/metrics holds this process's counters (federation.metrics) and, read from the database at scrape
time, what every process agrees on: queue depth and age of the oldest item by queue, dead letters.
Counters are per process, so scrape every `serve` process (and each `worker --listen`); Prometheus
sums them. The database pool figures are this process's.

Who may read /metrics: with `metrics_token` set, whoever sends `Authorization: Bearer <token>`;
without it, only a client on this machine that came straight in. A request that came through a
reverse proxy (it carries X-Forwarded-For or Forwarded) is refused then, even from loopback, so
putting the node behind a proxy does not publish its metrics.
"""
from __future__ import annotations

import asyncio
import datetime
import hmac
import ipaddress
import json
import logging
import time
from typing import Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from backchannel.config import Config
from backchannel.guards import client_addresses
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation.urls import ROUTES
from models import queue_stats

access_log = logging.getLogger("backchannel.access")
routes = web.RouteTableDef()
READY_TIMEOUT = 3.0
UNMATCHED = "unmatched"  # the label of requests no route answers: one series, whatever the path


def route_of(request: web.Request) -> str:
    """The declared path of the route that answered (`/users/{username}`), never the raw URL."""
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    return resource.canonical if resource is not None else UNMATCHED


def observe(config: Config, client_address: Callable[[web.Request], str] | None = None):  # noqa: ANN201
    """Outermost middleware: every request is counted, timed and logged once, refused ones too."""
    client_address = client_address or client_addresses(config.trusted_networks)

    @web.middleware
    async def middleware(request: web.Request, handler):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_of(request)
            rt = request.app.get(RUNTIME)
            if rt is not None:
                rt.metrics.request(request.method, route, status, seconds)
            if config.access_log and access_log.isEnabledFor(logging.INFO):
                remote = client_address(request)
                # Logger.info's work without its walk up the stack for a caller no formatter shows
                access_log.handle(access_log.makeRecord(
                    access_log.name, logging.INFO, __file__, 0, "%s %s %d %.1fms %s",
                    (request.method, route, status, seconds * 1000, remote), None, "observe",
                    {"access": {"method": request.method, "route": route, "status": status,
                                "duration_ms": round(seconds * 1000, 1), "remote": remote}}))

    return middleware


# --- Health -------------------------------------------------------------------------------------

@routes.get(ROUTES.livez.path)
async def livez(_request: web.Request) -> web.Response:
    """The process answers: nothing else is checked (a restart would not help a database outage)."""
    return web.json_response({"status": "ok"})


@routes.get(ROUTES.health.path)
async def health(_request: web.Request) -> web.Response:
    """Mastodon's /health: "OK" as text while the process answers."""
    return web.Response(text="OK")


@routes.get(ROUTES.readyz.path)
async def readyz(request: web.Request) -> web.Response:
    """The database answers a query: 200, else 503 (a load balancer stops sending requests here)."""
    problem = await _database_problem(request.app[RUNTIME])
    if problem:
        return web.json_response({"status": "unavailable", "database": problem}, status=503,
                                 headers={"Retry-After": "5"})
    return web.json_response({"status": "ok", "database": "ok"})


async def _database_problem(rt: Runtime) -> str | None:
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            async with rt.db.read() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001 - whatever stops the query, the node is not ready
        return type(err).__name__ if isinstance(err, TimeoutError) else str(err).splitlines()[0][:200] or \
            type(err).__name__
    return None


# --- Metrics ------------------------------------------------------------------------------------

def may_read_metrics(request: web.Request, token: str) -> bool:
    if token:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return hmac.compare_digest(given.encode(), token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


@routes.get(ROUTES.metrics.path)
async def metrics(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    if not may_read_metrics(request, rt.config.metrics_token):
        return web.json_response({"error": "metrics are readable from this machine, or with the metrics token"},
                                 status=403)
    return web.Response(body=await exposition(rt), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def exposition(rt: Runtime) -> bytes:
    """This process's counters, then the figures read now from the database."""
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            async with rt.db.read() as conn:
                queues = await queue_stats.stats(conn)
    except Exception:  # noqa: BLE001 - the scrape still answers, saying the database is down
        queues = None
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Snapshot(rt, queues))
    return generate_latest(rt.metrics.registry) + generate_latest(scraped)


class _Snapshot:
    """Gauges measured at scrape time (a collector prometheus_client calls during generate_latest)."""

    def __init__(self, rt: Runtime, queues: list[queue_stats.QueueStats] | None):
        self.rt, self.queues = rt, queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("backchannel_database_up", "1 when the database answered this scrape",
                                value=0 if self.queues is None else 1)
        if self.queues is not None:
            now = time.time()
            depth = GaugeMetricFamily("backchannel_queue_depth", "Rows waiting in a queue (all processes)",
                                      labels=["queue"])
            due = GaugeMetricFamily("backchannel_queue_due", "Rows due now (not waiting for a retry)",
                                    labels=["queue"])
            age = GaugeMetricFamily("backchannel_queue_oldest_age_seconds",
                                    "Age of the oldest waiting row (0 when empty)", labels=["queue"])
            dead = GaugeMetricFamily("backchannel_queue_dead_letters", "Rows given up on, kept for a retry",
                                     labels=["queue"])
            for q in self.queues:
                depth.add_metric([q.name], q.pending)
                due.add_metric([q.name], q.due)
                age.add_metric([q.name], max(0.0, now - q.oldest_pending_at) if q.oldest_pending_at else 0.0)
                dead.add_metric([q.name], q.dead)
            yield from (depth, due, age, dead)
        size = GaugeMetricFamily("backchannel_db_pool_size", "Connections the pool keeps (this process)",
                                 labels=["pool"])
        used = GaugeMetricFamily("backchannel_db_pool_connections", "Pool connections by state (this process)",
                                 labels=["pool", "state"])
        engines: dict = {}  # each pool once (on PostgreSQL slow reads share the writer's)
        for name in ("writer", "reader", "slow_reader"):
            engine = getattr(self.rt.db, name)
            if all(engine is not seen for seen in engines.values()):
                engines[name] = engine
        for name, engine in engines.items():
            pool = engine.pool
            size.add_metric([name], _call(pool, "size"))
            used.add_metric([name, "in_use"], _call(pool, "checkedout"))
            used.add_metric([name, "idle"], _call(pool, "checkedin"))
            used.add_metric([name, "overflow"], max(0, _call(pool, "overflow")))
        yield size
        yield used


def _call(pool, name: str) -> float:  # noqa: ANN001
    method = getattr(pool, name, None)
    return float(method()) if callable(method) else 0.0


# --- Logs ---------------------------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and an access line's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
                 .isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "access", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """logging.Formatter's lines, the time's date and seconds formatted once a second (an access
    line each request would otherwise pay for strftime)."""

    def __init__(self, fmt: str):
        super().__init__(fmt)
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if self._second[0] != second:
            self._second = (second, time.strftime(self.default_time_format, self.converter(record.created)))
        return self.default_msec_format % (self._second[1], record.msecs)


def setup_logging(config: Config) -> None:
    # No line shows a record's thread or process: not looked up for every record (the access log's
    # one a request cost 7 µs more with them).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if config.log_format == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.log_level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # ours replaces aiohttp's
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per migration step is progress, not news
    access_log.setLevel(logging.INFO if config.access_log else logging.WARNING)
