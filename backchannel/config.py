"""One frozen settings object, read once at start-up.

Precedence, highest first: command-line options, BACKCHANNEL_* environment variables, the TOML file
given with --config, the defaults below.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "BACKCHANNEL_"
FEDERATION_MODES = ("open", "blocklist", "allowlist")
REGISTRATION_MODES = ("closed", "approval", "open")


class ConfigError(ValueError):
    """A setting that cannot be used; the CLI prints it and exits 2."""


@dataclass(frozen=True)
class Config:
    domain: str = "localhost:8080"
    listen: str = "127.0.0.1:8080"
    data: str = "./data"
    database: str = ""  # empty: SQLite file inside `data`
    # How long a SQLite writer waits for another before giving up (the request then answers 503).
    sqlite_busy_timeout_ms: int = 30000
    # Development and tests only: plain http federation and loopback/private addresses allowed.
    insecure_http: bool = False
    # Development and tests only: HOST -> (IP, PORT) used instead of DNS for outgoing requests.
    resolve: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    title: str = "Backchannel"
    description: str = "A Backchannel node"
    contact_email: str = ""
    max_status_chars: int = 500
    # Seeds the stored mode on the node's first start (blocklist when not given); afterwards the mode
    # lives in the database (`backchannel domain mode`), and a different value here is refused.
    federation_mode: str = ""
    # Who may sign up: closed (admins create accounts; invites still work), approval, or open.
    registrations: str = "closed"
    # Whether people (not only admins and the CLI) may create groups (POST /api/v1/groups).
    people_create_groups: bool = False
    # Secure mode (Mastodon's AUTHORIZED_FETCH): objects and collections only for signed fetches.
    authorized_fetch: bool = False
    # Run the queue workers inside `serve` (one-process mode); off when `backchannel worker` runs them.
    workers: bool = True
    # `serve` processes sharing the listening port (SO_REUSEPORT), so reads use every core: the first
    # runs the queue workers (when `workers` is on), the others only answer requests.
    processes: int = 1
    # Bind the port with SO_REUSEPORT, so other `serve` processes (started by hand or by a service
    # manager) can listen on it too; the kernel spreads the connections. On with processes > 1.
    reuse_port: bool = False
    # First retry delay of a failed delivery, doubling up to delivery_retry_cap.
    delivery_retry_base: float = 30.0
    delivery_retry_cap: float = 6 * 3600.0
    # How long a failing delivery is retried before it is dropped.
    delivery_give_up_after: float = 3 * 24 * 3600.0
    # Deliveries in flight at once per worker (each host gets at most 8 connections; a delivery
    # waiting for one of them is deferred, not failed). One claim takes and finishes many at a time,
    # so a larger pool costs the event loop less per delivery (64 against 16: ~0.25 against ~0.35 ms).
    delivery_concurrency: int = 64
    # Processes that sign outgoing requests (RSA), beside this one: 0 signs in this process. On a
    # machine with cores to spare, one or two per `serve`/`worker` process speed up fan-out.
    signing_processes: int = 0
    # Threads that sign outgoing requests beside this process's event loop: RSA signing releases
    # Python's lock, so they use other cores at the cost of a thread hop, with no process to start.
    # One by default (fan-out is bound by signing); 0 signs on the event loop's own thread.
    signing_threads: int = 1
    # Inbound activities applied at once (one per actor; one origin server holds at most half).
    inbox_concurrency: int = 32
    # A domain whose deliveries have failed for this long is unavailable: nothing new is queued for
    # it until it sends this node something again.
    domain_unavailable_after: float = 2 * 24 * 3600.0
    # Failures in a row before a host's circuit breaker opens, and its first cool-off in seconds.
    breaker_threshold: int = 5
    breaker_open_seconds: float = 30.0
    request_timeout: float = 20.0
    # The most time a client may take to send a whole request body (the inbox answers 408 after it).
    body_read_timeout: float = 30.0
    max_body_bytes: int = 1024 * 1024
    # Requests per 5 minutes: from one client address (everything), and by one account (client API).
    rate_limit_per_ip: int = 3000
    rate_limit_per_account: int = 1500
    # Uploaded images: the largest file accepted, and the most pixels (refuses decompression bombs).
    max_media_bytes: int = 16 * 1024 * 1024
    max_media_pixels: int = 7680 * 4320
    # Video and audio uploads (transcoded to MP4/H.264+AAC or MP3): the largest file and the longest.
    max_video_bytes: int = 40 * 1024 * 1024
    max_media_seconds: float = 300.0
    # Remote media (attachments, avatars, headers): `proxy` serves cached copies from this node, so
    # readers never contact other servers; `hotlink` gives readers the remote URLs.
    remote_media: str = "proxy"
    remote_media_cache_days: float = 14.0
    remote_media_cache_bytes: int = 5 * 1024 * 1024 * 1024
    log_level: str = "info"
    # Tests and benchmarks only: every response says how many SQL statements it cost
    # (X-Statement-Count). Off, nothing is counted.
    count_statements: bool = False
    # Single sign-on through the organisation's OpenID Connect provider (README: "Single sign-on and
    # provisioning"). The issuer's /.well-known/openid-configuration is read through the guarded client.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_name: str = "single sign-on"  # the button says "Sign in with …"
    # Whose ID token or userinfo lists this group in its `groups` claim is an admin (and stops being
    # one when it no longer does); empty: the provider has no say in admin rights.
    oidc_admin_group: str = ""
    # The same for moderators (Mastodon's Moderator role: reports and account actions).
    oidc_moderator_group: str = ""
    oidc_username_claim: str = "preferred_username"
    # Password sign-in off everywhere (admin pages, the OAuth form, the password grant).
    sso_only: bool = False
    # text (one human-readable line per event) or json (one JSON object per line, for log shippers).
    log_format: str = "text"
    # One line per request (method, declared route, status, duration, client address).
    access_log: bool = True
    # Who may read /metrics: with a token, whoever sends `Authorization: Bearer <token>`; without
    # one, only clients on this machine that came straight in (not through a reverse proxy).
    metrics_token: str = field(default="", repr=False)
    # Deliveries are counted by domain for this many domains per process; the rest count as "other".
    metrics_domains: int = 50
    # Hashtag chats: how long before the start the reminder goes out, the shortest chat allowed
    # (tests use a minute), and how often the chat queue is polled for questions that are due.
    chat_reminder_seconds: float = 900.0
    chat_min_window_seconds: float = 600.0
    chat_poll_seconds: float = 5.0
    # How many people on one other server may RSVP to one chat (each gets a direct reminder from the
    # host, so one server's made-up actors could otherwise have the host post thousands of them).
    chat_rsvps_per_server: int = 200
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated), for
    # rate limits and the access log. Default: a proxy on this machine.
    trusted_proxies: str = "127.0.0.0/8,::1"
    # Seconds between looks at the stream_events table for streaming events. On PostgreSQL events
    # arrive at once through LISTEN/NOTIFY and this is only the safety net (api.streaming).
    stream_poll_interval: float = 0.25
    # Where uploaded media live: "local" (the data folder's media/) or "s3" (S3-compatible object
    # storage, the `s3` extra; social.storage). Every process of a node must use the same.
    media_storage: str = "local"
    s3_bucket: str = ""
    s3_endpoint: str = ""  # empty: AWS itself; else the service's URL (MinIO, Garage, Ceph…)
    s3_region: str = "us-east-1"
    s3_access_key: str = field(default="", repr=False)
    s3_secret_key: str = field(default="", repr=False)
    s3_prefix: str = ""  # put before every object's name, e.g. "media/"
    # Where readers fetch media from, when not through this node: a CDN or the bucket's public URL
    # (https://media.acme.example/, the prefix's objects under it). Empty: media URLs point at this node.
    media_public_url: str = ""
    # SCIM groups whose members get a role (README: "Single sign-on and provisioning"); compared without
    # case. Joining the group gives the role, leaving it takes it away; empty: SCIM has no say in it.
    scim_admin_group: str = "Administrators"
    scim_moderator_group: str = "Moderators"

    @property
    def host(self) -> str:
        """The domain without a port."""
        return self.domain.rsplit(":", 1)[0] if self.domain.count(":") == 1 else self.domain

    @property
    def scheme(self) -> str:
        return "http" if self.insecure_http or self.host == "localhost" else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    @property
    def database_url(self) -> str:
        return database_url(self.database, self.data)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def trusted_networks(self) -> tuple:
        import ipaddress

        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in self.trusted_proxies.split(",") if part.strip())

    @property
    def media_dir(self) -> Path:
        return Path(self.data) / "media"


S3_EXTRA = "media on S3 needs the s3 extra: pip install -e '.[s3]'"


def installed(module: str) -> bool:
    """Whether an optional extra's module can be imported (found, not loaded: this is cheap)."""
    return importlib.util.find_spec(module) is not None


def database_url(database: str, data_dir: str) -> str:
    """Accept a SQLite path, a sqlite:// URL or a postgresql:// URL; return an async SQLAlchemy URL."""
    if not database:
        return f"sqlite+aiosqlite:///{Path(data_dir).resolve() / 'backchannel.sqlite3'}"
    for prefix in ("postgresql://", "postgres://"):
        if database.startswith(prefix):
            return "postgresql+asyncpg://" + database[len(prefix):]
    if database.startswith("postgresql+asyncpg://") or database.startswith("sqlite+aiosqlite://"):
        return database
    if database.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + database[len("sqlite://"):]
    if "://" in database:
        raise ConfigError(f"unsupported database URL {database!r}: use a SQLite path or postgresql://")
    return f"sqlite+aiosqlite:///{Path(database).resolve()}"


def parse_resolve(entries: list[str] | str) -> dict[str, tuple[str, int]]:
    """["acme.test=127.0.0.1:8081", ...] or "a=..,b=.." -> {"acme.test": ("127.0.0.1", 8081)}."""
    if isinstance(entries, str):
        entries = [e for e in entries.split(",") if e.strip()]
    mapping: dict[str, tuple[str, int]] = {}
    for entry in entries:
        host, sep, target = entry.strip().partition("=")
        ip, colon, port = target.rpartition(":")
        if not sep or not colon or not port.isdigit() or not host:
            raise ConfigError(f"--resolve takes HOST=IP:PORT, not {entry!r}")
        mapping[host.lower()] = (ip.strip("[]"), int(port))
    return mapping


def _coerce(name: str, kind: Any, value: Any) -> Any:
    if name == "resolve":
        return parse_resolve(value) if not isinstance(value, Mapping) else {
            k.lower(): tuple(v) if not isinstance(v, str) else parse_resolve([f"{k}={v}"])[k.lower()]
            for k, v in value.items()
        }
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    return str(value)


def load_config(options: Mapping[str, Any] | None = None, config_file: str | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Merge defaults, the TOML file, the environment and explicit options into one Config."""
    environ = os.environ if environ is None else environ
    fields = {f.name: f.type for f in dataclasses.fields(Config)}
    values: dict[str, Any] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                from_file = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read config file {config_file}: {err}") from None
        for key, value in from_file.items():
            key = key.replace("-", "_")
            if key not in fields:
                raise ConfigError(f"unknown setting {key!r} in {config_file}")
            values[key] = value
    for name in fields:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    for name, value in (options or {}).items():
        if value is not None and name in fields:
            values[name] = value
    coerced = {name: _coerce(name, fields[name], value) for name, value in values.items()}
    config = Config(**coerced)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    if config.federation_mode and config.federation_mode not in FEDERATION_MODES:
        raise ConfigError(f"federation_mode must be one of {', '.join(FEDERATION_MODES)}")
    if config.remote_media not in ("proxy", "hotlink"):
        raise ConfigError("remote_media must be proxy or hotlink")
    if not 1 <= config.processes <= 64:
        raise ConfigError(f"processes must be between 1 and 64, not {config.processes}")
    if config.registrations not in REGISTRATION_MODES:
        raise ConfigError(f"registrations must be one of {', '.join(REGISTRATION_MODES)}")
    try:
        config.listen_host_port
    except ValueError:
        raise ConfigError(f"--listen takes HOST:PORT, not {config.listen!r}") from None
    if not config.domain or "/" in config.domain:
        raise ConfigError(f"--domain takes a host name such as learn.acme.example, not {config.domain!r}")
    if not database_url(config.database, config.data).startswith("sqlite") and not installed("asyncpg"):
        raise ConfigError("a PostgreSQL database needs the postgres extra: pip install -e '.[postgres]'")
    if config.oidc_issuer:
        if not config.oidc_issuer.startswith(("https://", "http://")) or "?" in config.oidc_issuer:
            raise ConfigError(f"oidc_issuer must be the provider's https URL, not {config.oidc_issuer!r}")
        if not (config.oidc_client_id and config.oidc_client_secret):
            raise ConfigError("oidc_issuer needs oidc_client_id and oidc_client_secret")
    if config.sso_only and not config.oidc_issuer:
        raise ConfigError("sso_only needs oidc_issuer: nobody could sign in")
    if config.media_storage not in ("local", "s3"):
        raise ConfigError("media_storage must be local or s3")
    if config.media_storage == "s3" and not config.s3_bucket:
        raise ConfigError("media_storage = s3 needs s3_bucket")
    if config.media_storage == "s3" and not installed("aiobotocore"):
        raise ConfigError(S3_EXTRA)
    if config.media_public_url and (not config.media_public_url.startswith(("https://", "http://"))
                                    or "?" in config.media_public_url or "#" in config.media_public_url):
        raise ConfigError(f"media_public_url must be an https URL, not {config.media_public_url!r}")
    if config.stream_poll_interval <= 0:
        raise ConfigError("stream_poll_interval must be above 0")
    if config.log_format not in ("text", "json"):
        raise ConfigError("log_format must be text or json")
    try:
        config.trusted_networks
    except ValueError as err:
        raise ConfigError(f"trusted_proxies takes addresses or networks such as 10.0.0.0/8: {err}") from None
