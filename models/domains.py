"""What a domain rule covers: an instance block or allow, or a person's own domain block.

Domains are stored in their canonical form (federation.hosts): IDNA, lower case, no trailing dot,
a port only when it is not the scheme's default. A rule names an organisation, so it covers every
port and every subdomain of the name it was made for.
"""
from __future__ import annotations

import ipaddress

from sqlalchemy import ColumnElement, func, literal, or_


def name_of(domain: str) -> str:
    """`a.example.org:8443` → `a.example.org`; `[::1]:8080` → `[::1]`."""
    if domain.startswith("["):
        return domain[: domain.find("]") + 1] if "]" in domain else domain
    return domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain


def covering(domain: str) -> list[str]:
    """The names whose rule covers `domain`: `a.example.org:8443` → [a.example.org, example.org, org]."""
    name = name_of(domain)
    try:
        ipaddress.ip_address(name.strip("[]"))
        return [name]  # an address has no parent domains
    except ValueError:
        pass
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def on_domain(column, name) -> ColumnElement:  # noqa: ANN001
    """A condition on a column of canonical domains: `name` (a string, or a column of rule names),
    any port of it, any subdomain of it."""
    if isinstance(name, str):
        return or_(column == name, column.startswith(name + ":", autoescape=True),
                   column.endswith("." + name, autoescape=True),
                   column.contains("." + name + ":", autoescape=True))
    # Canonical names hold letters, digits, `-`, `.` and `_`: only `_` is a LIKE wildcard.
    escaped = func.replace(name, "_", "\\_")
    return or_(column == name, column.like(escaped + literal(":%"), escape="\\"),
               column.like(literal("%.") + escaped, escape="\\"),
               column.like(literal("%.") + escaped + literal(":%"), escape="\\"))
