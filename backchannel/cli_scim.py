"""`backchannel scim token create|list|revoke`: the bearer tokens the organisation's directory uses
for SCIM provisioning at /scim/v2 (a token is printed once and stored hashed)."""
from __future__ import annotations

import argparse
import datetime
from typing import Callable

from backchannel.config import Config


def add_commands(commands, common: Callable[[argparse.ArgumentParser], None]) -> None:  # noqa: ANN001
    scim = commands.add_parser("scim", help="SCIM provisioning tokens").add_subparsers(
        dest="scim_command", metavar="ACTION", required=True)
    create = scim.add_parser("token", help="manage SCIM bearer tokens").add_subparsers(
        dest="scim_token_command", metavar="ACTION", required=True)
    made = create.add_parser("create", help="print a new SCIM bearer token",
                             description="Create a bearer token for the directory that provisions users "
                                         "through /scim/v2. It is printed once and stored hashed.")
    common(made)
    made.add_argument("--label", default="", help="what the token is for, e.g. the directory's name")
    made.set_defaults(handler=cmd_scim, action="create")
    listed = create.add_parser("list", help="list SCIM tokens", description="List SCIM tokens (never the tokens).")
    common(listed)
    listed.set_defaults(handler=cmd_scim, action="list")
    revoke = create.add_parser("revoke", help="revoke a SCIM token", description="Revoke a SCIM token at once.")
    common(revoke)
    revoke.add_argument("id", type=int, help="the token's id (from `scim token list`)")
    revoke.set_defaults(handler=cmd_scim, action="revoke")


def cmd_scim(config: Config, args: argparse.Namespace) -> int:
    from backchannel.cli import run_lines

    return run_lines(config, lambda rt: _scim(rt, args))


async def _scim(rt, args: argparse.Namespace) -> list[str]:  # noqa: ANN001
    from models import scim
    from social import provisioning

    if args.action == "create":
        return [await provisioning.create_token(rt, args.label)]
    if args.action == "revoke":
        await provisioning.revoke_token(rt, args.id)
        return [f"revoked SCIM token {args.id}"]
    async with rt.db.read() as conn:
        found = await scim.list_tokens(conn)
    return [f"{token_id}  {_when(created)}  {'revoked ' + _when(revoked) if revoked else 'active'}  {label}"
            for token_id, label, created, revoked in found] or ["no SCIM tokens"]


def _when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
