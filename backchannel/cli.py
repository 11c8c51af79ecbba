"""The `backchannel` command: serve, worker, migrate, user create, token create."""
from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from typing import Any

from backchannel import __version__
from backchannel.config import Config, ConfigError, load_config


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (each also BACKCHANNEL_<NAME> or a key in --config)")
    group.add_argument("--config", metavar="FILE", help="a TOML file with settings")
    group.add_argument("--data", metavar="DIR", help="where the node keeps its files (default ./data)")
    group.add_argument("--database", metavar="URL",
                       help="a SQLite path or a postgresql://user@host/db URL (default: SQLite in --data)")
    group.add_argument("--domain", help="the node's public host name, e.g. learn.acme.example "
                                        "(default localhost:8080)")
    group.add_argument("--insecure-http", action="store_const", const=True, default=None,
                       help="DEVELOPMENT AND TESTS ONLY: federate over plain http and allow "
                            "loopback and private addresses")
    group.add_argument("--log-level", choices=["debug", "info", "warning", "error"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backchannel", description="Backchannel: a federated micro-blog server for organisations.")
    parser.add_argument("--version", action="version", version=f"backchannel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the node: web server and workers in one process",
                                description="Run the node. With no options it serves "
                                            "http://localhost:8080 with SQLite in ./data.")
    _common(serve)
    serve.add_argument("--listen", metavar="HOST:PORT", help="address to listen on (default 127.0.0.1:8080)")
    serve.add_argument("--resolve", metavar="HOST=IP:PORT", action="append",
                       help="DEVELOPMENT AND TESTS ONLY: reach HOST at IP:PORT instead of through DNS "
                            "(repeatable)")
    serve.add_argument("--federation-mode", choices=["open", "blocklist", "allowlist"],
                       help="open: federate with everyone; blocklist (default): everyone but blocked "
                            "domains; allowlist: only allowed domains")
    serve.add_argument("--authorized-fetch", action="store_const", const=True, default=None,
                       help="secure mode: serve posts and collections only to signed fetches")
    serve.add_argument("--no-workers", dest="workers", action="store_const", const=False, default=None,
                       help="do not run queue workers here (run `backchannel worker` processes instead)")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run only the queue workers (scale-out with PostgreSQL)",
                                 description="Run the inbox, fan-out and delivery workers without a web server.")
    _common(worker)
    worker.add_argument("--resolve", metavar="HOST=IP:PORT", action="append",
                        help="DEVELOPMENT AND TESTS ONLY: as for serve")
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema",
                                  description="Apply pending database migrations, then exit.")
    _common(migrate)
    migrate.set_defaults(handler=cmd_migrate)

    user = commands.add_parser("user", help="manage local accounts").add_subparsers(
        dest="user_command", metavar="ACTION", required=True)
    create = user.add_parser("create", help="create a local account",
                             description="Create a local account. Without --password-stdin a random "
                                         "password is generated and printed.")
    _common(create)
    create.add_argument("name", help="the username (letters, digits, underscore)")
    create.add_argument("--email", help="sign-in e-mail address (default NAME@DOMAIN)")
    create.add_argument("--admin", action="store_true", help="give the account admin rights")
    create.add_argument("--locked", action="store_true", help="followers must be approved")
    create.add_argument("--display-name", default="", help="the name shown on the profile")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(handler=cmd_user_create)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True)
    token_create = token.add_parser("create", help="print a bearer token for the client API",
                                    description="Create an OAuth bearer token for a local account, for "
                                                "bots and scripts. It is printed once and stored hashed.")
    _common(token_create)
    token_create.add_argument("name", help="the account's username")
    token_create.add_argument("--scopes", default="read write follow",
                              help='space-separated OAuth scopes (default "read write follow")')
    token_create.set_defaults(handler=cmd_token_create)
    return parser


def config_from(args: argparse.Namespace) -> Config:
    options: dict[str, Any] = {}
    for name in ("data", "database", "domain", "insecure_http", "listen", "resolve", "federation_mode",
                 "authorized_fetch", "workers", "log_level"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return load_config(options, config_file=args.config)


def _logging(config: Config) -> None:
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def cmd_serve(config: Config, _args: argparse.Namespace) -> int:
    from aiohttp import web

    from backchannel.app import create_app

    _logging(config)
    host, port = config.listen_host_port
    print(f"Backchannel {__version__}: {config.base_url} listening on {host}:{port}, "
          f"database {_safe_url(config.database_url)}", flush=True)
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None,
                handle_signals=True)
    return 0


def cmd_worker(config: Config, _args: argparse.Namespace) -> int:
    from backchannel import workers
    from backchannel.app import close_runtime, open_runtime

    _logging(config)

    async def run() -> None:
        rt = await open_runtime(config)
        tasks = workers.start(rt)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"Backchannel worker for {config.base_url} started", flush=True)
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await close_runtime(rt)

    asyncio.run(run())
    return 0


def cmd_migrate(config: Config, _args: argparse.Namespace) -> int:
    from models.db import Database
    from models.migrate import upgrade

    async def run() -> tuple[str | None, str]:
        db = Database(config.database_url)
        try:
            return await upgrade(db)
        finally:
            await db.dispose()

    print(f"migrating {_safe_url(config.database_url)} …", flush=True)
    before, after = asyncio.run(run())
    print("already up to date" if before == after else f"migrated from {before or 'empty'} to {after}")
    return 0


def cmd_user_create(config: Config, args: argparse.Namespace) -> int:
    from backchannel.app import close_runtime, open_runtime
    from models.accounts import AccountExists
    from outbox.accounts import create_account
    from outbox.errors import ServiceError

    generated = not args.password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")

    async def run() -> None:
        rt = await open_runtime(config)
        try:
            await create_account(rt, args.name, email=args.email, password=password, admin=args.admin,
                                 locked=args.locked, display_name=args.display_name)
        finally:
            await close_runtime(rt)

    try:
        asyncio.run(run())
    except (AccountExists, ServiceError) as err:
        print(f"backchannel: {err}", file=sys.stderr)
        return 1
    print(f"created @{args.name}@{config.domain}" + (" (admin)" if args.admin else ""))
    if generated:
        print(f"password: {password}")
    return 0


def cmd_token_create(config: Config, args: argparse.Namespace) -> int:
    from models import accounts, oauth
    from models.db import Database
    from models.migrate import upgrade

    scopes = " ".join(args.scopes.split())

    async def run() -> str | None:
        db = Database(config.database_url)
        try:
            await upgrade(db)
            async with db.write() as conn:
                account = await accounts.by_acct(conn, args.name, None)
                found = await accounts.user_by_login(conn, args.name) if account else None
                if found is None:
                    return None
                return await oauth.create_token(conn, user_id=found[0].id, app_id=None, scopes=scopes)
        finally:
            await db.dispose()

    token = asyncio.run(run())
    if token is None:
        print(f"no local account named {args.name!r}", file=sys.stderr)
        return 1
    print(token)
    return 0


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except ConfigError as err:
        print(f"backchannel: {err}", file=sys.stderr)
        return 2
    return args.handler(config, args)


if __name__ == "__main__":
    raise SystemExit(main())
