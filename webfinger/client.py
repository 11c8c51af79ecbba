"""user@host → actor, through WebFinger."""
from __future__ import annotations

import logging
import re
from urllib.parse import quote

from federation.runtime import Runtime
from federation import deref
from federation.hosts import HostError, canonical_host
from federation.http import FetchError
from models import accounts
from models.accounts import Account

log = logging.getLogger(__name__)

ACCT = re.compile(r"^@?([A-Za-z0-9_][A-Za-z0-9_.\-]*)@([^@/\s]+)$")
AP_TYPES = ("application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')


def parse_acct(text: str, *, scheme: str = "https") -> tuple[str, str] | None:
    """`user@host` → (user, the host's canonical origin: IDNA, lower case, default port dropped)."""
    match = ACCT.match(text.strip().removeprefix("acct:"))
    if not match:
        return None
    try:
        return match.group(1), str(canonical_host(match.group(2), scheme=scheme))
    except HostError:
        return None


async def resolve_account(rt: Runtime, acct: str) -> Account | None:
    """Find `user@host`: this node's own accounts directly, others through WebFinger."""
    parsed = parse_acct(acct, scheme=rt.config.scheme)
    if parsed is None:
        return None
    username, domain = parsed
    if domain == deref.local_origin(rt):
        async with rt.db.read() as conn:
            return await accounts.by_acct(conn, username, None)
    async with rt.db.read() as conn:
        known = await accounts.by_acct(conn, username, domain)
    if known:
        return await deref.get_actor(rt, known.uri)
    actor_uri = await webfinger_actor_uri(rt, username, domain)
    if actor_uri is None:
        return None
    account = await deref.get_actor(rt, actor_uri, refresh=True)
    # The actor must live on the host that answered for it (its id, as its origin served it), or a
    # host could claim others' users.
    if account and account.domain != domain:
        log.info("webfinger for %s@%s points to another host: %s", username, domain, actor_uri)
        return None
    return account


async def webfinger_actor_uri(rt: Runtime, username: str, domain: str) -> str | None:
    scheme = "http" if rt.config.insecure_http else "https"
    resource = quote(f"acct:{username}@{domain}", safe=":@")
    url = f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"
    try:
        _url, doc = await rt.http.get_json(url, accept="application/jrd+json, application/json",
                                           activitypub=False)
    except FetchError as err:
        log.info("webfinger %s@%s failed: %s", username, domain, err)
        return None
    for link in doc.get("links") or []:
        if (isinstance(link, dict) and link.get("rel") == "self"
                and link.get("type") in AP_TYPES and isinstance(link.get("href"), str)):
            return link["href"]
    return None
