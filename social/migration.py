"""Moving an account out: aliases (alsoKnownAs), then Move to an account elsewhere, as Mastodon and
GoToSocial do. Followers here follow the new account at once; followers elsewhere are sent a Move
and their servers decide (they check, as social.follows' inbound side does, that the new account
names this one among its aliases)."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone

from federation import as2, deref
from federation.as2 import InvalidDocument, MAX_ALIASES, safe_url
from federation.http import FetchError
from federation.runtime import Runtime
from models import accounts
from models.accounts import Account
from models.ids import new_id
from social import follows, outgoing
from social.errors import Forbidden, Unprocessable
from social.profile import update_activity
from webfinger.client import resolve_account

MOVE_COOLDOWN = 30 * 24 * 3600.0  # as Mastodon: an account moves at most once in 30 days


async def _alias_uri(rt: Runtime, account: Account, given: str) -> str:
    """An actor id for what a person typed: a URI as it is, a handle through WebFinger."""
    text = given.strip()
    if text.startswith(("http://", "https://")):
        uri = safe_url(text)
    else:
        found = await resolve_account(rt, text)
        uri = found.uri if found else None
    if not uri:
        raise Unprocessable(f"Validation failed: {given!r} is not an account that could be found")
    if uri == account.uri:
        raise Unprocessable("Validation failed: an account cannot be an alias of itself")
    return uri


async def set_aliases(rt: Runtime, account: Account, given: list[str]) -> Account:
    """Say which accounts (elsewhere) this one also is: the list replaces the old one; empty clears.
    Handles are resolved before the write; followers' servers get the new actor (an Update)."""
    if len(given) > MAX_ALIASES:
        raise Unprocessable(f"Validation failed: at most {MAX_ALIASES} aliases")
    uris = list(dict.fromkeys([await _alias_uri(rt, account, g) for g in given]))
    async with rt.db.write() as conn:
        await accounts.set_aliases(conn, account.id, json.dumps(uris))
        fresh = await accounts.get(conn, account.id) or account
        await outgoing.queue(conn, rt, activity=update_activity(rt, fresh), signer=fresh, followers_of=fresh.id)
    return fresh


async def _confirmed_target(rt: Runtime, origin: Account, target_uri: str) -> Account:
    """The account `origin` may move to: one whose actor, read fresh from its own server (or from
    here, when it is local), names `origin` in alsoKnownAs (else anyone could take someone's
    followers). InvalidDocument when it does not; FetchError when it cannot be read."""
    if deref.is_local(rt, target_uri):
        async with rt.db.read() as conn:
            target = await accounts.by_uri(conn, target_uri)
        if target is None or target.suspended_at is not None:
            raise InvalidDocument("the account to move to does not exist")
    else:
        target = await deref.store_actor(rt, as2.actor_values(await deref.fetch_document(rt, target_uri)))
    if target.id == origin.id:
        raise InvalidDocument("an account cannot move to itself")
    if origin.uri not in target.aliases():
        raise InvalidDocument("the account to move to does not list the origin in alsoKnownAs")
    return target


async def receive_move(rt: Runtime, actor: Account, target_uri: str) -> None:
    """A remote account announced its move (the inbox checked it moves itself): its followers here
    follow the new account, when that account confirms it."""
    await follows.move(rt, actor, await _confirmed_target(rt, actor, target_uri))


async def move_out(rt: Runtime, account: Account, user_id: int, password: str, target_given: str) -> Account:
    """Move `account` to another account (a URI or a handle), confirmed with its password: its profile
    says where it went, it posts no more, its followers here follow the new account and its
    followers elsewhere are sent a Move. Moving again (to the same or another account) re-sends it."""
    async with rt.db.read() as conn:
        stored = await accounts.password_hash(conn, user_id)
    # scrypt is slow on purpose: off the event loop.
    matches = await asyncio.to_thread(accounts.check_password, password, stored)
    if not password or not matches:
        raise Forbidden("Invalid password")
    async with rt.db.read() as conn:
        last_move = await accounts.moved_at(conn, account.id)
    if last_move is not None and time.time() - last_move < MOVE_COOLDOWN:
        again = datetime.fromtimestamp(last_move + MOVE_COOLDOWN, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise Unprocessable(f"Validation failed: this account moved less than 30 days ago; it can move again "
                            f"from {again}")
    target_uri = (target_given or "").strip()
    if not target_uri:
        raise Unprocessable("Validation failed: moved_to_uri can't be blank")
    if not target_uri.startswith(("http://", "https://")):
        found = await resolve_account(rt, target_uri)
        if found is None:
            raise Unprocessable(f"Validation failed: {target_given!r} is not an account that could be found")
        target_uri = found.uri
    try:
        target = await _confirmed_target(rt, account, target_uri)
    except (FetchError, InvalidDocument) as err:
        raise Unprocessable(f"Validation failed: {err}") from None
    async with rt.db.write() as conn:
        activity = as2.activity("Move", rt.urls.activity(account.uri, new_id()), account.uri, account.uri,
                                to=[account.followers_url] if account.followers_url else None)
        activity["target"] = target.uri
        # The Move goes out before the followers here leave: the fan-out reads the followers when it runs,
        # and only remote ones get deliveries; local followers are moved just below.
        await outgoing.queue(conn, rt, activity=activity, signer=account, followers_of=account.id)
    await follows.move(rt, account, target)
    async with rt.db.read() as conn:
        return await accounts.get(conn, account.id) or account
