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


def observer(config: Config, client_address: Callable[[web.Request], str] | None = None):  # noqa: ANN201
    """`done(request, status, seconds, remote)`: a request is counted in /metrics and logged, once
    (`remote`: its client's address, when the caller knows it already)."""
    client_address = client_address or client_addresses(config.trusted_networks)
    line = AccessLine()
    log_access = config.access_log
    metrics = None

    def done(request: web.Request, status: int, seconds: float, remote: str | None = None) -> None:
        nonlocal metrics
        route = route_of(request)
        if metrics is None:  # the runtime is opened after the app is built
            rt = request.app.get(RUNTIME)
            metrics = rt.metrics if rt is not None else None
        if metrics is not None:
            metrics.request(request.method, route, status, seconds)
        if log_access:
            line.write(request.method, route, status, seconds, remote or client_address(request))

    return done


def observe(config: Config, client_address: Callable[[web.Request], str] | None = None):  # noqa: ANN201
    """The middleware of an app that has no other (a worker's /metrics): every request counted and logged."""
    done = observer(config, client_address)

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
            done(request, status, time.perf_counter() - started)

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

class _Clock:
    """A record's time as a formatter writes it, the date and seconds formatted once a second (an
    access line each request would otherwise pay for strftime or datetime)."""

    def __init__(self, seconds_format, fraction: str):  # noqa: ANN001
        self._seconds_format, self._fraction = seconds_format, fraction
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, created: float) -> str:
        second = int(created)
        if self._second[0] != second:
            self._second = (second, self._seconds_format(second))
        return self._fraction % (self._second[1], int((created - second) * 1000))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and an access line's fields."""

    def __init__(self) -> None:
        super().__init__()
        self._clock = _Clock(lambda second: datetime.datetime.fromtimestamp(second, datetime.timezone.utc)
                             .strftime("%Y-%m-%dT%H:%M:%S"), "%s.%03d+00:00")

    def format(self, record: logging.LogRecord) -> str:
        exception = self.formatException(record.exc_info) if record.exc_info else None
        return self.line(record.created, record.levelname, record.name, record.getMessage(),
                         getattr(record, "access", None), exception)

    def line(self, created: float, level: str, name: str, message: str, fields: dict | None = None,
             exception: str | None = None) -> str:
        entry = {"time": self._clock(created), "level": level.lower(), "logger": name, "message": message}
        if fields:
            entry.update(fields)
        if exception:
            entry["exception"] = exception
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger: message` lines, as logging.Formatter's "%(asctime)s %(levelname)s
    %(name)s: %(message)s", the time formatted once a second."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._clock = _Clock(lambda second: time.strftime(self.default_time_format, self.converter(second)),
                             self.default_msec_format)

    def format(self, record: logging.LogRecord) -> str:
        text = self.line(record.created, record.levelname, record.name, record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        for more in (record.exc_text, record.stack_info and self.formatStack(record.stack_info)):
            if more:
                text += "\n" + more
        return text

    def line(self, created: float, level: str, name: str, message: str, fields: dict | None = None) -> str:
        return f"{self._clock(created)} {level} {name}: {message}"


class AccessLine:
    """The access log's line for a request. When it goes where setup_logging sends every record (one
    handler of its own, nothing else listening), it is formatted by that handler's formatter and
    written straight away, without a LogRecord and the logger's walk to the handler (about 5 µs of
    the 8 a line cost); otherwise (a test capturing logs, an embedding program's own handlers)
    through logging, as any other record."""

    def write(self, method: str, route: str, status: int, seconds: float, remote: str) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        ms = seconds * 1000
        fields = {"method": method, "route": route, "status": status, "duration_ms": round(ms, 1), "remote": remote}
        message = "%s %s %d %.1fms %s" % (method, route, status, ms, remote)
        handler = _sole_handler()
        if handler is None:
            # Logger.info's work without its walk up the stack for a caller no formatter shows
            access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, "%s", (message,),
                                                    None, "observe", {"access": fields}))
            return
        line = handler.formatter.line(time.time(), "INFO", access_log.name, message, fields)  # type: ignore[union-attr]
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:  # noqa: BLE001 - as logging does: a line that cannot be written is reported, not raised
            handler.handleError(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, "%s", (message,),
                                                      None))
        finally:
            handler.release()


_INSTALLED: list[logging.StreamHandler] = []  # the handler setup_logging installed, once it has


def _sole_handler() -> logging.StreamHandler | None:
    """setup_logging's handler when an access line would reach it and nothing else."""
    if not _INSTALLED:
        return None
    handler, root = _INSTALLED[0], logging.root
    if (root.handlers != [handler] or root.filters or handler.filters or access_log.handlers
            or access_log.filters or not access_log.propagate or handler.level > logging.INFO):
        return None
    return handler


def setup_logging(config: Config) -> None:
    # No line shows a record's thread or process: not looked up for every record (the access log's
    # one a request cost 7 µs more with them).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if config.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _INSTALLED[:] = [handler]
    root.setLevel(config.log_level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # ours replaces aiohttp's
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per migration step is progress, not news
    access_log.setLevel(logging.INFO if config.access_log else logging.WARNING)
