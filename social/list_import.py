"""Importing a shared list as one's own, in one step: from a CSV in Mastodon's list-export format
(`list name,account address` rows, as /settings/exports/lists.csv) or from the URL of a public list
on any Backchannel node (its page, which is also its ActivityPub collection of members).

Everything remote is fetched first (the collection through the guarded client, each address through
WebFinger), then the importer follows the members it does not follow yet (as Mastodon's import
does, so their posts reach the list), then one transaction writes the list and its members.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field

from federation import collections as remote_collections
from federation import deref
from federation.as2 import InvalidDocument, host_of
from federation.http import FetchError
from federation.runtime import Runtime
from models import collections, social
from models.accounts import Account
from models.collections import List
from social import follows
from social.errors import ServiceError, Unavailable, Unprocessable
from social.lists import MAX_TITLE
from webfinger.client import resolve_account

log = logging.getLogger(__name__)

MAX_MEMBERS = 500  # accounts one import resolves
MAX_CSV_BYTES = 256 * 1024
MAX_PAGES = 20


@dataclass
class Imported:
    lists: list[List] = field(default_factory=list)
    added: int = 0
    not_found: list[str] = field(default_factory=list)  # addresses or actor ids that could not be had


def parse_csv(text: str) -> dict[str, list[str]]:
    """Mastodon's list export: each row a list's name and an account address; a header row (as some
    tools write) is skipped. Addresses by list name, in file order."""
    found: dict[str, list[str]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            continue
        name, address = row[0].strip()[:MAX_TITLE], row[1].strip().removeprefix("@")
        if (name.lower(), address.lower()) in (("list name", "account address"), ("list_name", "account")):
            continue
        if "@" not in address:
            raise Unprocessable(f"Validation failed: {address!r} is not an account address (user@host)")
        found.setdefault(name, [])
        if address not in found[name]:
            found[name].append(address)
    if not found:
        raise Unprocessable("Validation failed: the file names no list and no account")
    return found


async def read_url(rt: Runtime, url: str) -> tuple[str, list[str]]:
    """A public list's title and its members' actor ids, from its page or collection URL."""
    if not host_of(url):
        raise Unprocessable("Validation failed: url must be an http(s) URL")
    try:
        _final, doc = await rt.http.get_json(url, signer=rt.instance_signer)
        ids = await remote_collections.item_ids(rt, doc, origin=host_of(_final), max_items=MAX_MEMBERS,
                                                max_pages=MAX_PAGES)
    except FetchError as err:
        raise Unavailable(f"The list could not be fetched: {err}") from None
    title = doc.get("name") if isinstance(doc.get("name"), str) else ""
    if not remote_collections.is_collection(doc):
        raise Unprocessable("Validation failed: url is not a list (an ActivityPub collection)")
    return title.strip()[:MAX_TITLE] or "Imported list", ids


async def _resolve(rt: Runtime, ref: str) -> Account | None:
    """An account by address (WebFinger) or by actor id."""
    try:
        if ref.startswith(("https://", "http://")):
            return await deref.get_actor(rt, ref)
        return await resolve_account(rt, ref)
    except (FetchError, InvalidDocument, ServiceError) as err:
        log.info("cannot resolve %s for a list import: %s", ref, err)
        return None


async def import_lists(rt: Runtime, owner: Account, sources: dict[str, list[str]], *,
                       title: str | None = None) -> Imported:
    """Make each of `sources` (members by list name) a list of the owner's, with the members found.
    `title` renames a single imported list."""
    if title is not None and (not title.strip() or len(title) > MAX_TITLE):
        raise Unprocessable("Validation failed: Title can't be blank")
    result = Imported()
    budget = MAX_MEMBERS
    resolved: dict[str, list[Account]] = {}
    for name, refs in sources.items():
        resolved[name] = []
        for ref in refs[:budget]:
            account = await _resolve(rt, ref)
            if account is None or account.suspended_at is not None:
                result.not_found.append(ref)
            elif account.id != owner.id:
                resolved[name].append(account)
        budget -= min(budget, len(refs))
    for accounts_of_list in resolved.values():
        for account in accounts_of_list:
            async with rt.db.read() as conn:
                following = await social.get_follow(conn, owner.id, account.id)
            if following is None:
                try:
                    await follows.follow(rt, owner, account.id)
                except ServiceError as err:  # a block either way: left out of the list
                    log.info("list import: %s cannot follow %s: %s", owner.username, account.uri, err)
    async with rt.db.write() as conn:
        for name, members in resolved.items():
            list_title = title.strip() if title and len(sources) == 1 else name
            created = await collections.create_list(conn, owner.id, title=list_title, replies_policy="list",
                                                    exclusive=False)
            followed = [a.id for a in members if await social.get_follow(conn, owner.id, a.id) is not None]
            await collections.add_list_accounts(conn, created.id, followed)
            result.added += len(followed)
            result.lists.append(created)
    return result
