"""The `backchannel` command: serve, worker, migrate, and the operator's commands (user, token, queue,
domain, account, report, invite, group, search, scim, media).

A failure an operator can fix (the port is taken, the database cannot be reached or refuses, the
data folder cannot be written) ends in one line on standard error and exit status 1; a setting
that cannot be used, exit status 2."""
from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from backchannel import __version__
from backchannel.config import Config, ConfigError, load_config


# models.queue_stats.QUEUES' names (not imported here: --help stays quick; tests/backchannel/test_cli.py compares)
QUEUE_NAMES = ["inbox", "fanout", "delivery", "push", "threads", "cards"]


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
    group.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                       help="the least important log lines shown (default info)")
    group.add_argument("--log-format", choices=["text", "json"],
                       help="text (default) or json: one JSON object per line, for log collectors")


class _Parser(argparse.ArgumentParser):
    """Bad arguments are told in one line that points at --help, not under the whole usage (which the
    settings options make ten lines long). Subcommands' parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        # An unknown option is found by the top parser; name the subcommand it was given to
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            prog = getattr(parsed, "command_prog", self.prog)
            self.exit(2, f"{prog}: unrecognized arguments: {' '.join(extras)} (see `{prog} --help`)\n")
        return parsed


class _Commands(argparse._SubParsersAction):  # noqa: SLF001 - argparse's documented `register` hook
    """A command that holds others (`user`, `domain`…) gets its one-line help as its --help's description."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        text = kwargs.get("help")
        if text and "description" not in kwargs:
            kwargs["description"] = text[0].upper() + text[1:] + "."
        return super().add_parser(name, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        super().__call__(parser, namespace, values, option_string)
        namespace.__dict__.setdefault("command_prog", self._name_parser_map[values[0]].prog)  # the innermost


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
                       help="on the node's first start, the mode to record: open (federate with everyone), "
                            "blocklist (default: everyone but blocked domains) or allowlist (only allowed "
                            "domains). Later it must match the stored mode; change that with "
                            "`backchannel domain mode`")
    serve.add_argument("--authorized-fetch", action="store_const", const=True, default=None,
                       help="secure mode: serve posts and collections only to signed fetches")
    serve.add_argument("--no-workers", dest="workers", action="store_const", const=False, default=None,
                       help="do not run queue workers here (run `backchannel worker` processes instead)")
    serve.add_argument("--processes", type=int, metavar="N",
                       help="N processes answer on the same port (SO_REUSEPORT), so reads use N cores; "
                            "the first also runs the queue workers (default 1)")
    serve.add_argument("--reuse-port", dest="reuse_port", action="store_const", const=True, default=None,
                       help="bind with SO_REUSEPORT, so other serve processes may listen on the same port")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run only the queue workers (scale-out with PostgreSQL)",
                                 description="Run the inbox, fan-out and delivery workers without a web server.")
    _common(worker)
    worker.add_argument("--resolve", metavar="HOST=IP:PORT", action="append",
                        help="DEVELOPMENT AND TESTS ONLY: as for serve")
    worker.add_argument("--listen", metavar="HOST:PORT",
                        help="serve /metrics, /livez and /readyz for this worker here (default: no HTTP)")
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema",
                                  description="Apply pending database migrations, then exit.")
    _common(migrate)
    migrate.set_defaults(handler=cmd_migrate)

    search = commands.add_parser("search", help="the full-text search index").add_subparsers(
        dest="search_command", metavar="ACTION", required=True)
    reindex = search.add_parser("reindex", help="rebuild the search index from the posts and profiles",
                                description="Empty the full-text index and fill it again from every live "
                                            "post and every account profile, with a progress bar. The node "
                                            "may keep running; searches miss what is not yet re-indexed.")
    _common(reindex)
    reindex.set_defaults(handler=cmd_search_reindex)

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
    _account_commands(user, token)
    _queue_commands(commands)
    _moderation_commands(commands)
    _more_commands(commands)
    _group_commands(commands)
    return parser


def _group_commands(commands) -> None:  # noqa: ANN001
    group = commands.add_parser("group", help="communities of practice (federated groups)").add_subparsers(
        dest="group_command", metavar="ACTION", required=True)
    create = _action(group, "create", cmd_group, "create", help="create a group",
                     description="Create a group: an ActivityPub Group actor that people on any server "
                                 "join by following it, and that relays what its members post in it.")
    create.add_argument("name", help="the group's handle (letters, digits, underscore): @NAME@DOMAIN")
    create.add_argument("--title", required=True, help="the name shown for the group")
    create.add_argument("--description", default="", help="what the group is about (plain text)")
    create.add_argument("--join", dest="join_policy", choices=["open", "approval", "local"], default="open",
                        help="open (default: anyone may join), approval (a moderator accepts each join) "
                             "or local (only this node's people)")
    create.add_argument("--rule", dest="rules", action="append", default=[], metavar="TEXT",
                        help="a rule of the group (repeatable)")
    create.add_argument("--moderator", dest="moderators", action="append", default=[], metavar="USERNAME",
                        help="a local account that moderates the group (repeatable)")
    create.add_argument("--avatar-url", help="the group's picture, an https URL")
    _action(group, "list", cmd_group, "list", help="list this node's groups",
            description="List this node's groups: handle, join policy, members, title.")


def cmd_group(config: Config, args: argparse.Namespace) -> int:
    async def work(rt) -> list[str]:  # noqa: ANN001
        from models import groups as group_store
        from social import groups

        if args.action == "create":
            made = await groups.create_group(rt, None, args.name, title=args.title, description=args.description,
                                             join_policy=args.join_policy, rules=args.rules,
                                             moderators=args.moderators, avatar_url=args.avatar_url)
            return [f"created group @{made.account.username}@{config.domain} ({made.join_policy}): "
                    f"{made.account.uri}"]
        async with rt.db.read() as conn:
            found = [await group_store.get(conn, a.id) for a in await group_store.list_groups(conn)]
        return [f"@{g.account.username}  {g.join_policy}  {g.account.followers_count} members  "
                f"{g.account.display_name}" for g in found if g] or ["no groups yet"]
    return run_lines(config, work)


def _more_commands(commands) -> None:  # noqa: ANN001
    from backchannel import cli_media, cli_scim

    cli_scim.add_commands(commands, _common)
    cli_media.add_commands(commands, _common)


def _action(parent, name: str, handler, action: str, **texts) -> argparse.ArgumentParser:  # noqa: ANN001
    """A subcommand with the common settings, run by `handler` as `action`."""
    sub = parent.add_parser(name, **texts)
    _common(sub)
    sub.set_defaults(handler=handler, action=action)
    return sub


def _account_commands(user, token) -> None:  # noqa: ANN001
    """user list/password/role/delete and token list/revoke (social.admin_accounts)."""
    _action(user, "list", cmd_accounts, "user-list", help="list local accounts",
            description="List local accounts: role, state, e-mail and posts.")
    password = _action(user, "password", cmd_accounts, "user-password", help="reset a password",
                       description="Give a local account a new password. Without --password-stdin "
                       "one is generated and printed. Tokens already issued stay valid: "
                       "revoke them with `token revoke` if the old password leaked.")
    password.add_argument("name", help="the username")
    password.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    role = _action(user, "role", cmd_accounts, "user-role", help="make an account an admin, a moderator, or a plain user",
                   description="Set a local account's role: admin (all of the admin pages and API), "
                   "moderator (reports and account actions there, not federation, roles, SCIM tokens or "
                   "settings) or user. It applies to the next request the account makes.")
    role.add_argument("name", help="the username")
    role.add_argument("role", choices=["admin", "moderator", "user"], help="the new role (user: none)")
    delete = _action(user, "delete", cmd_accounts, "user-delete", help="delete an account (other servers are told)",
                     description="Delete a local account: its posts, follows and login go, its name "
                     "stays taken, and a Delete of the actor is sent to every server that "
                     "follows it or that it follows.")
    delete.add_argument("name", help="the username")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    imported = _action(user, "import", cmd_accounts, "user-import",
                       help="import a person's follows, blocks, mutes or lists from a Mastodon CSV file",
                       description="Follow, block, mute or list the accounts a CSV file names for a local "
                       "account, as the web's Settings → Export and import does: Mastodon's "
                       "following_accounts.csv, blocked_accounts.csv, muted_accounts.csv or lists.csv (at "
                       "most 500 lines). Each address is looked up here or through WebFinger; a progress "
                       "bar shows the lines done, and the lines that could not be done are listed.")
    imported.add_argument("name", help="the username")
    imported.add_argument("file", help="the CSV file")
    imported.add_argument("--kind", choices=["following", "blocks", "mutes", "lists"],
                          help="what the file holds (default: from its Mastodon name)")

    token_list = _action(token, "list", cmd_accounts, "token-list", help="list live tokens",
                         description="List tokens not revoked, newest first: everyone's or one account's.")
    token_list.add_argument("name", nargs="?", help="only this account's tokens")
    token_revoke = _action(token, "revoke", cmd_accounts, "token-revoke", help="revoke a token at once",
                           description="Revoke a token; the next request made with it gets 401.")
    token_revoke.add_argument("id", type=int, help="the token's id, as `token list` shows it")


def _queue_commands(commands) -> None:  # noqa: ANN001
    queue = commands.add_parser("queue", help="see and retry the work queues").add_subparsers(
        dest="queue_command", metavar="ACTION", required=True)
    _action(queue, "status", cmd_queue, "status", help="backlog, oldest item, failing domains, dead letters",
            description=f"Show each queue ({', '.join(QUEUE_NAMES)}): rows waiting, "
            "due now, the oldest one's age and dead letters (given up on); then "
            "the other servers that are failing and the newest dead letters.")
    retry = _action(queue, "retry", cmd_queue, "retry", help="put dead letters back in their queue",
                    description="Queue dead letters again, due now with their attempts counted "
                    "from zero: one (--id) or all of them (--all-dead), of one queue "
                    "(--queue) or of every queue.")
    retry.add_argument("--queue", choices=QUEUE_NAMES, help="only this queue")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", metavar="N", help="this dead letter (repeatable)")
    which.add_argument("--all-dead", action="store_true", help="every dead letter")


def _moderation_commands(commands) -> None:  # noqa: ANN001
    """domain, account, report and invite: what the organisation's admins decide."""
    domain = commands.add_parser("domain", help="decide which domains this node federates with").add_subparsers(
        dest="domain_command", metavar="ACTION", required=True)
    mode = domain.add_parser("mode", help="show or change the federation mode",
                             description="Show the federation mode, or change it: open (federate with "
                                         "everyone, blocks ignored), blocklist (everyone but blocked domains) "
                                         "or allowlist (only allowed domains). The mode is stored in the "
                                         "database; every running process follows within a second.")
    _common(mode)
    mode.add_argument("mode", nargs="?", choices=["open", "blocklist", "allowlist"],
                      help="the new mode (omit it to show the current one)")
    mode.set_defaults(handler=cmd_moderation, action="mode")
    for name, text in (("allow", "allow a domain (used when the federation mode is allowlist)"),
                       ("disallow", "take a domain off the allowlist; its follows end at once"),
                       ("unblock", "lift a domain block")):
        sub = domain.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        _common(sub)
        sub.add_argument("target", metavar="DOMAIN", help="a domain name such as globex.example (covers its subdomains)")
        sub.set_defaults(handler=cmd_moderation, action=name)
    block = domain.add_parser("block", help="block a domain",
                              description="Block a domain. silence: its posts stay out of public timelines "
                                          "and its follows need approval; suspend (default): nothing is "
                                          "exchanged with it, follows both ways end and its cached posts "
                                          "are removed.")
    _common(block)
    block.add_argument("target", metavar="DOMAIN", help="a domain name such as spam.example (covers its subdomains)")
    block.add_argument("--severity", choices=["silence", "suspend"], default="suspend",
                       help="suspend (default): nothing in or out; silence: kept off public timelines")
    block.add_argument("--reject-media", action="store_true", help="do not keep its media")
    block.add_argument("--public-comment", default="", help="the reason, shown publicly")
    block.add_argument("--private-comment", default="", help="a note for the other admins")
    block.set_defaults(handler=cmd_moderation, action="block")
    peers = domain.add_parser("peers", help="list other servers as this node sees them",
                              description="List every other server this node has dealt with: whether it "
                                          "answers, its circuit breaker, the signature scheme its inbox "
                                          "accepts and its software (from NodeInfo, read at most daily).")
    _common(peers)
    peers.set_defaults(handler=cmd_moderation, action="peers")
    listing = domain.add_parser("list", help="list domain blocks and allows",
                                description="List this node's domain blocks and allowed domains.")
    _common(listing)
    listing.set_defaults(handler=cmd_moderation, action="list")

    account = commands.add_parser("account", help="moderate an account").add_subparsers(
        dest="account_command", metavar="ACTION", required=True)
    for name, text in (("suspend", "suspend: a local account cannot sign in and other servers are told it "
                                   "is gone; a remote one is removed from this node"),
                       ("unsuspend", "lift a suspension"),
                       ("silence", "keep the account's posts out of public timelines"),
                       ("unsilence", "lift a silence"),
                       ("sensitive", "mark the account's new posts sensitive, whatever its owner says"),
                       ("unsensitive", "lift a sensitive mark"),
                       ("disable", "stop a local user from signing in (the account stays visible)"),
                       ("enable", "let a disabled local user sign in again"),
                       ("delete", "delete a local account's posts and login (its name stays taken)"),
                       ("approve", "approve a sign-up that waits for approval")):
        sub = account.add_parser(name, help=text.split(":")[0], description=text[0].upper() + text[1:] + ".")
        _common(sub)
        sub.add_argument("account", metavar="NAME_OR_ACCT", help="alice (local) or guru@globex.example")
        sub.set_defaults(handler=cmd_moderation, action="account-" + name)

    report = commands.add_parser("report", help="read and resolve reports").add_subparsers(
        dest="report_command", metavar="ACTION", required=True)
    report_list = report.add_parser("list", help="list reports",
                                    description="List unresolved reports (--all: resolved ones too).")
    _common(report_list)
    report_list.add_argument("--all", action="store_true", help="include resolved reports")
    report_list.set_defaults(handler=cmd_moderation, action="report-list")
    for name in ("resolve", "reopen"):
        sub = report.add_parser(name, help=f"{name} a report", description=f"Mark a report {name}d.".replace(
            "reopend", "open again"))
        _common(sub)
        sub.add_argument("id", type=int, help="the report's id, as `report list` shows it")
        sub.set_defaults(handler=cmd_moderation, action="report-" + name)

    invite = commands.add_parser("invite", help="invitations to sign up").add_subparsers(
        dest="invite_command", metavar="ACTION", required=True)
    invite_create = invite.add_parser("create", help="create an invite link",
                                      description="Create an invite: its link lets people sign up even "
                                                  "when registrations are closed.")
    _common(invite_create)
    invite_create.add_argument("--max-uses", type=int, metavar="N", help="how many sign-ups (default: no limit)")
    invite_create.add_argument("--expires-in", type=float, metavar="HOURS", help="hours until it expires "
                                                                                  "(default: never)")
    invite_create.set_defaults(handler=cmd_moderation, action="invite-create")
    invite_list = invite.add_parser("list", help="list invites", description="List invites and their uses.")
    _common(invite_list)
    invite_list.set_defaults(handler=cmd_moderation, action="invite-list")
    invite_revoke = invite.add_parser("revoke", help="expire an invite now", description="Expire an invite now.")
    _common(invite_revoke)
    invite_revoke.add_argument("code", help="the invite's code")
    invite_revoke.set_defaults(handler=cmd_moderation, action="invite-revoke")


def cmd_moderation(config: Config, args: argparse.Namespace) -> int:
    # Changing the mode is how a mode differing from --federation-mode is put right.
    return run_lines(config, lambda rt: _moderate(rt, args), check_mode=args.action != "mode")


def run_lines(config: Config, work, *, check_mode: bool = True) -> int:  # noqa: ANN001
    """Run `work(rt)` with the node's runtime open and print the lines it returns; a ServiceError is
    one line on stderr and exit status 1."""
    from backchannel.app import close_runtime, open_runtime
    from social.errors import ServiceError

    async def run() -> list[str]:
        rt = await open_runtime(config, check_mode=check_mode)
        try:
            return await work(rt)
        finally:
            await close_runtime(rt)

    try:
        lines = asyncio.run(run())
    except ServiceError as err:
        print(f"backchannel: {err}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


async def _moderate(rt, args: argparse.Namespace) -> list[str]:  # noqa: ANN001, C901
    from backchannel.progress import Progress
    from social import moderation, registrations

    when = _when
    action = args.action
    if action == "mode":
        if args.mode is None:
            return [f"federation mode: {await rt.policy.mode()}"]
        before = await rt.policy.mode()
        after = await moderation.set_federation_mode(rt, args.mode)
        return [f"federation mode: {after}" + ("" if before == after else f" (was {before})")]
    if action == "peers":
        return [_peer_line(peer, when) for peer in await rt.peers.all()] or ["no other servers yet"]
    if action == "allow":
        allow = await moderation.allow_domain(rt, args.target)
        mode = await rt.policy.mode()
        note = "" if mode == "allowlist" else \
            f" (the federation mode is {mode}: the allowlist is used only in allowlist mode)"
        return [f"allowed {allow.domain}{note}"]
    if action == "disallow":
        allow = await moderation.disallow_domain(rt, args.target, progress=Progress(f"purging {args.target}"))
        return [f"{allow.domain} is no longer allowed"]
    if action == "block":
        block = await moderation.block_domain(rt, args.target, args.severity, reject_media=args.reject_media,
                                              public_comment=args.public_comment,
                                              private_comment=args.private_comment,
                                              progress=Progress(f"purging {args.target}"))
        return [f"blocked {block.domain} ({block.severity}{', media rejected' if block.reject_media else ''})"]
    if action == "unblock":
        block = await moderation.unblock_domain(rt, args.target)
        return [f"unblocked {block.domain}"]
    if action == "list":
        blocks = await moderation.list_domain_blocks(rt)
        allows = await moderation.list_domain_allows(rt)
        lines = [f"federation mode: {await rt.policy.mode()}", f"blocked domains ({len(blocks)}):"]
        lines += [f"  {b.domain}  {b.severity}{'  reject-media' if b.reject_media else ''}"
                  f"{'  public: ' + b.public_comment if b.public_comment else ''}"
                  f"{'  private: ' + b.private_comment if b.private_comment else ''}" for b in blocks]
        lines += [f"allowed domains ({len(allows)}):"] + [f"  {a.domain}" for a in allows]
        return lines
    if action.startswith("account-"):
        verb = action.removeprefix("account-")
        account = await moderation.find_account(rt, args.account)
        cases = {"suspend": moderation.suspend_account, "unsuspend": moderation.unsuspend_account,
                 "silence": moderation.silence_account, "unsilence": moderation.unsilence_account,
                 "sensitive": moderation.sensitize_account, "unsensitive": moderation.unsensitize_account,
                 "disable": moderation.disable_login, "enable": moderation.enable_login,
                 "delete": moderation.delete_account, "approve": moderation.approve_account}
        if verb == "delete":  # a remote account may have many posts here: a bar, as `user delete` draws
            await moderation.delete_account(rt, account.id, Progress("deleting posts"))
        else:
            await cases[verb](rt, account.id)
        done = {"disable": "disabled", "enable": "enabled", "approve": "approved", "delete": "deleted",
                "silence": "silenced", "unsilence": "unsilenced", "sensitive": "marked sensitive",
                "unsensitive": "unmarked sensitive"}.get(verb, verb + "ed")
        return [f"{done} {account.full_acct(rt.config.domain)}"]
    if action == "report-list":
        reports = await moderation.list_reports(rt, resolved=None if args.all else False)
        if not reports:
            return ["no reports" if args.all else "no unresolved reports"]
        from models import accounts as accounts_store

        async with rt.db.read() as conn:
            people = await accounts_store.get_many(
                conn, [r.account_id for r in reports] + [r.target_account_id for r in reports])
        lines = []
        for r in reports:
            reporter, target = people.get(r.account_id), people.get(r.target_account_id)
            lines.append(f"#{r.id}  {when(r.created_at)}  {'resolved' if r.resolved else 'open'}  "
                         f"{r.category}: {target.full_acct(rt.config.domain) if target else '?'} reported by "
                         f"{reporter.full_acct(rt.config.domain) if reporter else '?'}"
                         f"{'  (' + str(len(r.status_ids)) + ' posts)' if r.status_ids else ''}")
            if r.comment:
                lines.append(f"    {r.comment}")
        return lines
    if action in ("report-resolve", "report-reopen"):
        from social.errors import NotFound

        try:
            report = await (moderation.resolve_report if action == "report-resolve" else moderation.reopen_report)(
                rt, args.id)
        except NotFound:
            raise NotFound(f"no report #{args.id}") from None
        return [f"report #{report.id} {'resolved' if report.resolved else 'open again'}"]
    if action == "invite-create":
        invite = await registrations.create_invite(rt, max_uses=args.max_uses, expires_in_hours=args.expires_in)
        return [f"invite {invite.code}: {rt.urls.invite(invite.code)}",
                f"  uses: 0 of {invite.max_uses or 'unlimited'}, expires: {when(invite.expires_at)}"]
    if action == "invite-list":
        invites = await registrations.list_invites(rt)
        if not invites:
            return ["no invites"]
        return [f"{i.code}  uses {i.uses}/{i.max_uses or 'unlimited'}  expires {when(i.expires_at)}"
                f"{'' if i.usable() else '  (no longer valid)'}" for i in invites]
    if action == "invite-revoke":
        await registrations.revoke_invite(rt, args.code)
        return [f"invite {args.code} revoked"]
    raise AssertionError(action)


def _peer_line(peer, when) -> str:  # noqa: ANN001
    import time

    health = "healthy" if not peer.failing else (
        f"failing since {when(peer.failing_since)} ({peer.consecutive_failures} in a row)")
    parts = [peer.domain, health]
    if peer.open_until and peer.open_until > time.time():
        parts.append(f"breaker open until {when(peer.open_until)}")
    if peer.unavailable_since:
        parts.append(f"unavailable since {when(peer.unavailable_since)}")
    parts.append(f"last answered {when(peer.last_success_at)}")
    if peer.signature_scheme:
        parts.append(f"signs {peer.signature_scheme}")
    if peer.software_name:
        parts.append(f"runs {peer.software_name} {peer.software_version or ''}".rstrip())
    return "  ".join(parts)


def _when(ts: float | None) -> str:
    import datetime

    return "never" if ts is None else datetime.datetime.fromtimestamp(
        ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def cmd_accounts(config: Config, args: argparse.Namespace) -> int:
    from social import admin_accounts

    action = args.action
    password = None
    if action == "user-password":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else secrets.token_urlsafe(12)
    if action == "user-delete" and not args.yes:
        if not sys.stdin.isatty():
            print("backchannel: deleting an account cannot be undone: add --yes", file=sys.stderr)
            return 1
        answer = input(f"Delete @{args.name} and tell every server that knew it? Type the name to confirm: ")
        if answer.strip().lstrip("@") != args.name.lstrip("@"):
            print("backchannel: not deleted", file=sys.stderr)
            return 1

    async def work(rt) -> list[str]:  # noqa: ANN001
        acct = f"@{{}}@{rt.config.domain}".format
        if action == "user-list":
            users = await admin_accounts.list_users(rt)
            return [f"{u.username:<20} {u.role:<9} "
                    f"{'suspended' if u.suspended else 'disabled' if u.disabled else 'pending' if not u.approved else 'active':<9} "
                    f"{u.email or '-':<32} {u.statuses_count} posts  since {_when(u.created_at)}"
                    for u in users] or ["no local accounts"]
        if action == "user-password":
            account = await admin_accounts.reset_password(rt, args.name, password or "")
            return [f"new password set for {acct(account.username)}"] + (
                [] if args.password_stdin else [f"password: {password}"])
        if action == "user-role":
            account = await admin_accounts.set_role(rt, args.name, args.role)
            return [f"{acct(account.username)} is now {dict(admin='an admin', moderator='a moderator').get(args.role, 'a user')}"]
        if action == "user-delete":
            from backchannel.progress import Progress

            account = await admin_accounts.delete_user(rt, args.name, Progress("deleting posts"))
            return [f"deleted {acct(account.username)}; other servers that knew it are being told"]
        if action == "user-import":
            return await _import(rt, args)
        if action == "token-list":
            tokens = await admin_accounts.list_tokens(rt, args.name)
            return [f"#{t.id}  {('@' + t.username) if t.username else '(app)'}  "
                    f"{('app ' + t.app_name) if t.app_name else 'cli'}  scopes: {t.scopes}  "
                    f"created {_when(t.created_at)}  last used {_when(t.last_used_at)}"
                    for t in tokens] or ["no live tokens"]
        if action == "token-revoke":
            token = await admin_accounts.revoke_token(rt, args.id)
            return [f"revoked token #{token.id}" + (f" of @{token.username}" if token.username else "")]
        raise AssertionError(action)

    return run_lines(config, work)


async def _import(rt, args: argparse.Namespace) -> list[str]:  # noqa: ANN001
    from backchannel.progress import Progress
    from pages import transfer
    from social import admin_accounts
    from social.errors import Unprocessable

    kind = args.kind or {name: kind for kind, name in transfer.FILES.items()}.get(Path(args.file).name)
    if kind is None:
        raise Unprocessable(f"say what {args.file} holds with --kind following, blocks, mutes or lists")
    try:
        text = Path(args.file).read_bytes()[:2 * 1024 * 1024].decode("utf-8-sig", errors="replace")
    except OSError as err:
        raise Unprocessable(f"cannot read {args.file}: {err.strerror}") from None
    rows = transfer.parse(kind, text)
    account = await admin_accounts.local_account(rt, args.name)
    done, failed = await transfer.apply(rt, account, kind, rows, Progress(f"importing {kind}"))
    return [f"@{account.username}: {done} of {len(rows)} lines imported ({kind})"] + [f"  not done: {f}" for f in failed]


def cmd_queue(config: Config, args: argparse.Namespace) -> int:
    import time

    from models import queue_stats

    async def status(rt) -> list[str]:  # noqa: ANN001
        async with rt.db.read() as conn:
            stats = await queue_stats.stats(conn)
            letters = await queue_stats.dead_letters(conn, limit=10)
        now = time.time()
        lines = [f"{'queue':<10}{'waiting':>9}{'due':>9}{'oldest':>10}{'dead':>8}"]
        lines += [f"{q.name:<10}{q.pending:>9}{q.due:>9}"
                  f"{(_age(now - q.oldest_pending_at) if q.oldest_pending_at else '-'):>10}{q.dead:>8}" for q in stats]
        failing = [peer for peer in await rt.peers.all() if peer.failing]
        lines.append(f"failing domains ({len(failing)}):")
        lines += ["  " + _peer_line(peer, _when) for peer in failing]
        lines.append(f"dead letters ({sum(q.dead for q in stats)}; newest 10 of each queue):")
        lines += [f"  {d.queue} #{d.id}  {d.attempts} attempts  queued {_when(d.created_at)}"
                  f"{'  ' + d.target if d.target else ''}  {d.last_error.splitlines()[0][:160] if d.last_error else ''}"
                  for d in letters]
        return lines

    async def retry(rt) -> list[str]:  # noqa: ANN001
        names = [args.queue] if args.queue else list(queue_stats.QUEUES)
        lines = []
        async with rt.db.write() as conn:
            for name in names:
                count = await queue_stats.retry(conn, name, ids=None if args.all_dead else args.id)
                if count:
                    lines.append(f"{name}: {count} queued again")
        if not lines and args.id:  # a script retrying a dead letter by id learns it was not there
            from social.errors import NotFound

            raise NotFound(f"no dead letter #{', #'.join(map(str, args.id))}"
                           + (f" in the {args.queue} queue" if args.queue else ""))
        return lines or ["no dead letters to retry"]

    return run_lines(config, status if args.action == "status" else retry)


def config_from(args: argparse.Namespace) -> Config:
    options: dict[str, Any] = {}
    for name in ("data", "database", "domain", "insecure_http", "listen", "resolve", "federation_mode",
                 "authorized_fetch", "workers", "processes", "reuse_port", "log_level", "log_format"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return load_config(options, config_file=args.config)


def _logging(config: Config) -> None:
    from backchannel.ops import setup_logging

    setup_logging(config)


async def _until_stopped() -> None:
    """Until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _listen(runner, host: str, port: int, *, reuse_port: bool = False) -> None:  # noqa: ANN001
    from aiohttp import web

    from backchannel.fatal import listen_failure

    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    except OSError as err:
        raise listen_failure(err, host, port) from None


async def _first_steps(rt) -> None:  # noqa: ANN001
    """A node without accounts says how to make the first one (the README's next step)."""
    from models.instance_stats import first_user_at

    async with rt.db.read() as conn:
        if await first_user_at(conn) is None:
            print("No accounts yet: make the first admin with `backchannel user create NAME --admin` "
                  "(given the same settings as this command)", flush=True)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from aiohttp import web

    from backchannel.app import create_app
    from backchannel.fatal import check_data_folder, safe_url
    from backchannel.keys import RUNTIME
    from backchannel.processes import Siblings

    _logging(config)
    check_data_folder(config.data)
    host, port = config.listen_host_port
    # The others run this very command line, as single web-only processes sharing the port.
    siblings = Siblings(config.processes - 1, [*getattr(args, "argv", sys.argv[1:]), "--processes", "1",
                                               "--reuse-port", "--no-workers"])

    async def run() -> None:
        runner = web.AppRunner(create_app(config), access_log=None, handle_signals=False)
        await runner.setup()  # migrates (before any sibling starts), checks the node's identity, starts the workers
        try:
            await _listen(runner, host, port, reuse_port=config.reuse_port or config.processes > 1)
            await siblings.start()
            # Only now: a supervisor or test that waits for this line can connect at once.
            print(f"Backchannel {__version__}: {config.base_url} listening on {host}:{port}"
                  + (f" ({config.processes} processes)" if config.processes > 1 else "")
                  + f", database {safe_url(config.database_url)}", flush=True)
            if config.workers:  # once, not by each sibling (they run no workers)
                await _first_steps(runner.app[RUNTIME])
            await _until_stopped()
        finally:
            await siblings.stop()
            await runner.cleanup()

    asyncio.run(run())
    return 0


def cmd_worker(config: Config, args: argparse.Namespace) -> int:
    from aiohttp import web

    from backchannel import workers
    from backchannel.app import close_runtime, create_ops_app, open_runtime
    from backchannel.fatal import check_data_folder

    _logging(config)
    check_data_folder(config.data)

    async def run() -> None:
        rt = await open_runtime(config)
        runner = None
        tasks: list[asyncio.Task] = []
        try:
            if args.listen:
                host, port = config.listen_host_port
                runner = web.AppRunner(create_ops_app(rt), access_log=None, handle_signals=False)
                await runner.setup()
                await _listen(runner, host, port)
            tasks = workers.start(rt, inbox_fed_elsewhere=True)  # `serve` accepts the activities
            print(f"Backchannel worker for {config.base_url} started"
                  + (f", metrics and health on {config.listen}" if args.listen else ""), flush=True)
            await _until_stopped()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if runner is not None:
                await runner.cleanup()
            await close_runtime(rt)

    asyncio.run(run())
    return 0


def cmd_migrate(config: Config, _args: argparse.Namespace) -> int:
    from backchannel.fatal import safe_url
    from backchannel.identity import establish
    from backchannel.progress import Progress
    from models.db import Database
    from models.migrate import upgrade

    async def run() -> tuple[str | None, str]:
        db = Database(config.database_url)
        try:
            revisions = await upgrade(db, on_step=Progress("applying migrations"))
            # Migrating records no identity (the first `serve` does), but refuses another node's database.
            await establish(db, config, seed=False)
            return revisions
        finally:
            await db.dispose()

    print(f"migrating {safe_url(config.database_url)} …", flush=True)
    before, after = asyncio.run(run())
    print("already up to date" if before == after else f"migrated from {before or 'empty'} to {after}")
    return 0


def cmd_search_reindex(config: Config, _args: argparse.Namespace) -> int:
    from backchannel.progress import Progress
    from models.db import Database
    from models.migrate import upgrade
    from models.search_index import rebuild

    async def run() -> tuple[int, int]:
        db = Database(config.database_url)
        try:
            await upgrade(db)
            return await rebuild(db, Progress("indexing"))
        finally:
            await db.dispose()

    statuses, accounts = asyncio.run(run())
    print(f"indexed {statuses} posts and {accounts} accounts")
    return 0


def cmd_user_create(config: Config, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from backchannel.app import close_runtime, open_runtime
    from models.accounts import AccountExists
    from social.accounts import create_account
    from social.errors import ServiceError

    if args.email is not None and ("@" not in args.email or any(c.isspace() for c in args.email)):
        print(f"backchannel: {args.email!r} is not an e-mail address", file=sys.stderr)
        return 1
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
    except IntegrityError:  # USERNAME@HOST, the default address, is someone else's
        print(f"backchannel: the e-mail address {args.name}@{config.host} belongs to another account; "
              "give one with --email", file=sys.stderr)
        return 1
    print(f"created @{args.name}@{config.domain}" + (" (admin)" if args.admin else ""))
    if generated:
        print(f"password: {password}")
    return 0


def cmd_token_create(config: Config, args: argparse.Namespace) -> int:
    from backchannel.identity import establish
    from models import accounts, oauth
    from models.db import Database
    from models.migrate import upgrade

    from api.auth import KNOWN_SCOPES

    scopes = " ".join(args.scopes.split())
    unknown = [scope for scope in scopes.split() if scope not in KNOWN_SCOPES]
    if unknown or not scopes:  # a token no request would accept, or one with another meaning than intended
        print(f"backchannel: {'unknown scope ' + ', '.join(map(repr, unknown)) if unknown else 'no scope given'}"
              f" (scopes are read, write, follow, push, profile, read:statuses, admin:read… as Mastodon's)",
              file=sys.stderr)
        return 1

    async def run() -> str | None:
        db = Database(config.database_url)
        try:
            await upgrade(db)
            await establish(db, config)
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
        print(f"backchannel: no local account named {args.name!r}", file=sys.stderr)
        return 1
    print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `serve --processes` starts it again
    try:
        config = config_from(args)
    except ConfigError as err:
        print(f"backchannel: {err}", file=sys.stderr)
        return 2
    from backchannel.fatal import Fatal, check_data_folder, database_failure, is_database_failure

    try:
        if not config.database:  # SQLite lives in the data folder
            check_data_folder(config.data)
        return args.handler(config, args)
    except ConfigError as err:  # e.g. the settings name another node than the database's
        print(f"backchannel: {err}", file=sys.stderr)
        return 2
    except Fatal as err:
        print(f"backchannel: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - a database outage is one line; anything else is a bug
        if not is_database_failure(err):
            raise
        if config.log_level == "debug":
            logging.getLogger(__name__).exception("database failure")
        print(f"backchannel: {database_failure(err, config.database_url)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
