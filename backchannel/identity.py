"""One node per database: its domain and federation mode, recorded by the first start.

Every later process (`serve`, `serve --no-workers`, `worker`, every CLI command) checks its settings
against the record and refuses to run, with one line saying what the node is, when they disagree.
So a data folder cannot be served under a second domain (which would mint a second instance actor
and a second set of ids), and a stale `--federation-mode` in one process's unit file cannot quietly
give it a different policy from the others: the mode is changed with `backchannel domain mode`, the
admin API or the admin pages, and every process follows within a second (federation.policy).
"""
from __future__ import annotations

from backchannel.config import Config, ConfigError
from federation.hosts import HostError, canonical_host
from models import node
from models.db import Database
from models.migrate import serialize
from models.node import NodeIdentity


class IdentityMismatch(ConfigError):
    """The settings name another node than the one the database belongs to (exit 2)."""


async def establish(db: Database, config: Config, *, seed: bool = True,
                    check_mode: bool = True) -> NodeIdentity | None:
    """The stored identity, recorded from `config` if there is none yet (unless `seed` is off);
    raises IdentityMismatch when `config` names a different node."""
    try:
        domain = str(canonical_host(config.domain, scheme=config.scheme))  # the port kept unless default
    except HostError as err:
        raise ConfigError(f"--domain: {err}") from None
    async with db.write() as conn:
        await conn.run_sync(serialize)  # two first starts cannot both record themselves
        stored = await node.get(conn)
        if stored is None and seed:
            stored = await node.create(conn, domain=domain, federation_mode=config.federation_mode or "blocklist")
    if stored is None:
        return None
    if stored.domain != domain:
        raise IdentityMismatch(f"this database belongs to the node {stored.domain}, not {domain}: "
                               f"run with --domain {stored.domain} (one database serves one domain)")
    if check_mode and config.federation_mode and config.federation_mode != stored.federation_mode:
        raise IdentityMismatch(
            f"{stored.domain} federates in {stored.federation_mode} mode, not {config.federation_mode}: "
            f"change it with `backchannel domain mode {config.federation_mode}` and start without "
            f"--federation-mode (or BACKCHANNEL_FEDERATION_MODE)")
    return stored
