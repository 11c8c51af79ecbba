"""Hosts are values, not strings: one canonical form, made once at the edge, for every comparison.

`canonical_host` turns a URL, a bare host or a `user@host` into a Host: IDNA (UTS 46, as the HTTP
client encodes it), lower case, no trailing dot, and no port when it is the scheme's default
(443 for https, 80 for http). Policy, personal domain blocks, origin checks, deduplication, the
stored `accounts.domain`, peer state and deliveries all compare these, so `EVIL.example.`,
`evil.example:443` and `xn--…` spellings of one host are one host.

Two questions are asked of a host, and they differ on ports:
- *origin* (is this object on its actor's server?): name and port — `example.org:8443` is another
  server than `example.org`;
- *organisation* (is it blocked or allowed?): the name only, and a rule on a name covers its
  subdomains — a block of `example.org` covers `example.org:8443` and `a.example.org`.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import idna

from models.domains import covering

DEFAULT_PORTS = {"https": 443, "http": 80}
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_ASCII_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
MAX_NAME = 253


class HostError(ValueError):
    """Not a host this node can talk to or keep a rule about."""


@dataclass(frozen=True)
class Host:
    name: str  # IDNA ASCII, lower case, no trailing dot; an IPv6 address in brackets
    port: int | None = None  # None: the scheme's default port

    def __str__(self) -> str:
        """The origin's authority, as stored in `accounts.domain`: `example.org`, `example.org:8443`."""
        return self.name if self.port is None else f"{self.name}:{self.port}"

    def covering(self) -> list[str]:
        """The names whose block or allow applies to this host: its name and its parent domains."""
        return covering(self.name)

    def within(self, name: str) -> bool:
        """Is this host `name` or one of its subdomains (any port)?"""
        return self.name == name or self.name.endswith("." + name)


def canonical_host(value: str, *, scheme: str = "https") -> Host:
    """The Host of a URL (`https://EVIL.example:443/users/x`), of a bare host (`evil.example.`,
    `evil.example:8443`) or of an account address (`alice@evil.example`). `scheme` says which default
    port a value without a scheme has. Raises HostError for anything else: a URL whose scheme is not
    http(s) has no host here, so `javascript://evil.example/` is never on evil.example."""
    if not isinstance(value, str):
        raise HostError(f"{value!r} is not a host")
    if value.startswith(("https://", "http://")) and not _UNSAFE.search(value):
        # The common case, every id of every activity: the cache is asked with the URL's scheme and
        # authority only (what urlsplit would find: up to the first / ? or #), so ids that differ
        # only in their paths share one answer.
        head, _, rest = value.partition("://")
        end = len(rest)
        for mark in "/?#":
            at = rest.find(mark, 0, end)
            if at >= 0:
                end = at
        try:
            return _canonical(f"{head}://{rest[:end]}", scheme.lower())
        except HostError:
            pass  # refused below, with the whole value in the reason
    return _canonical(value, scheme.lower())


@lru_cache(maxsize=8192)  # hot: every inbound activity, delivery and policy check asks
def _canonical(value: str, scheme: str) -> Host:
    text = value.strip()
    if _UNSAFE.search(text):
        # Parsers disagree on these (`evil\@victim`, a tab before `@`): no host is read from them.
        raise HostError(f"{value!r} has whitespace, a control character or a backslash")
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            raise HostError(f"{value!r} is not a URL") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise HostError(f"{value!r} is not an http(s) URL")
        authority = parts.netloc
    else:
        authority = text.removeprefix("acct:").split("/", 1)[0]
    authority = authority.rsplit("@", 1)[-1]  # user@host, or userinfo in a URL
    host, port = _split_port(authority, value)
    if port is not None and port == DEFAULT_PORTS.get(scheme):
        port = None
    return Host(_canonical_name(host, value), port)


def origin_of(value: str | None) -> str:
    """The canonical origin (`str(Host)`) of a URL, or "" when it has none we accept."""
    if isinstance(value, str) and not _UNSAFE.search(value):
        # The common case (an inbound activity asks a dozen times): one match finds the scheme and
        # authority, and their origin is cached as the string itself.
        head = _HEAD.match(value)
        if head is not None:
            return _origin(head.group())
    try:
        return str(canonical_host(value or ""))
    except HostError:
        return ""


_HEAD = re.compile(r"https?://[^/?#]*")  # what urlsplit reads as scheme and authority


@lru_cache(maxsize=8192)
def _origin(head: str) -> str:
    try:
        return str(_canonical(head, "https"))
    except HostError:
        return ""


def same_origin(a: str | None, b: str | None) -> bool:
    origin = origin_of(a)
    return bool(origin) and origin == origin_of(b)


def _split_port(authority: str, value: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise HostError(f"{value!r} has an unclosed IPv6 address")
        host, rest = authority[: end + 1], authority[end + 1:]
        if rest and not rest.startswith(":"):
            raise HostError(f"{value!r} is not a host")
        port_text = rest[1:] if rest else None
    elif authority.count(":") == 1:
        host, port_text = authority.split(":")
    elif ":" in authority:
        host, port_text = "[" + authority + "]", None  # a bare IPv6 address
    else:
        host, port_text = authority, None
    if port_text is None or port_text == "":
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise HostError(f"{value!r} has no valid port")
    return host, int(port_text)


def _canonical_name(host: str, value: str) -> str:
    if host.startswith("["):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            raise HostError(f"{value!r} is not an IPv6 address") from None
    if host.endswith("."):
        host = host[:-1]  # the root label: `evil.example.` is `evil.example`
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    if host.isascii():
        name = host.lower()
    else:
        try:
            name = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise HostError(f"{value!r} is not a valid international domain name") from None
    if not name or len(name) > MAX_NAME or not _ASCII_NAME.match(name):
        raise HostError(f"{value!r} is not a domain name")
    return name
