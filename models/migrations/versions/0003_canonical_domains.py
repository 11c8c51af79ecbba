"""canonical domains: rules kept under the name alone, accounts.domain without a default port

Revision ID: 0003
Revises: 0004
Create Date: 2026-11-28 23:50:00

Data only. Domain rules (instance blocks and allows, people's own domain blocks) used to keep a port
and whatever spelling was typed; they are now kept under the canonical name alone, which covers
every port and subdomain (federation.hosts). A rule that collides with one already kept under that
name is merged into it, keeping the stricter settings. Remote accounts' domains lose a default port
(`:443` on https, `:80` on http), a trailing dot and capitals, as federation.hosts now stores them.
"""
from alembic import op
import sqlalchemy as sa

from models.domains import name_of

revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None

SEVERITY = {"silence": 1, "suspend": 2}
DEFAULT_PORTS = {"https": ":443", "http": ":80"}


def _rule_name(domain: str) -> str:
    """`Evil.Example.:8443` → `evil.example` (rules were IDNA-encoded already)."""
    return name_of(domain.strip().lower()).rstrip(".")


def _merge(conn, table, key, merged=None) -> None:  # noqa: ANN001
    """Group the rules by (owner, canonical name); one survives under that name, the rest go.
    `merged(rows)` gives the survivor's other values (the stricter settings)."""
    groups: dict[tuple, list] = {}
    for row in conn.execute(sa.select(table).order_by(table.c.id)).all():
        groups.setdefault(key(row), []).append(row)
    for (*_owner, name), rows in groups.items():
        survivor = next((r for r in rows if r.domain == name), rows[0])
        others = [r.id for r in rows if r.id != survivor.id]
        if others:
            conn.execute(sa.delete(table).where(table.c.id.in_(others)))
        values = dict(merged(rows) if merged else {}, domain=name)
        if others or survivor.domain != name or merged:
            conn.execute(sa.update(table).where(table.c.id == survivor.id).values(**values))


def _strictest(rows) -> dict:  # noqa: ANN001
    return {"severity": max(rows, key=lambda r: SEVERITY.get(r.severity, 0)).severity,
            "reject_media": any(r.reject_media for r in rows)}


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    blocks = sa.Table("domain_blocks", meta, autoload_with=conn)
    allows = sa.Table("domain_allows", meta, autoload_with=conn)
    personal = sa.Table("account_domain_blocks", meta, autoload_with=conn)
    accounts = sa.Table("accounts", meta, autoload_with=conn)
    _merge(conn, blocks, lambda r: (_rule_name(r.domain),), _strictest)
    _merge(conn, allows, lambda r: (_rule_name(r.domain),))
    _merge(conn, personal, lambda r: (r.account_id, _rule_name(r.domain)))

    taken = {(r.username, r.domain) for r in conn.execute(sa.select(accounts.c.username, accounts.c.domain))}
    for row in conn.execute(sa.select(accounts.c.id, accounts.c.username, accounts.c.domain, accounts.c.uri)
                            .where(accounts.c.domain.is_not(None))).all():
        domain = row.domain.lower()
        name, _, port = domain.rpartition(":") if domain.count(":") == 1 else (domain, "", "")
        name = name.rstrip(".")
        scheme = row.uri.split(":", 1)[0].lower()
        if port and ":" + port == DEFAULT_PORTS.get(scheme):
            port = ""
        canonical = name + (":" + port if port else "")
        if canonical != row.domain and (row.username, canonical) not in taken:
            taken.add((row.username, canonical))
            conn.execute(sa.update(accounts).where(accounts.c.id == row.id).values(domain=canonical))


def downgrade() -> None:
    pass  # the canonical spellings are valid in the old scheme too
