"""What the inbox handlers share: the dispatch key's wildcard, finding an activity's object (from
the activity when its actor may speak for it, otherwise from its origin), and reading what an id
refers to here."""
from __future__ import annotations

from typing import Awaitable, Callable

from federation.runtime import Runtime
from federation import deref
from federation.as2 import InvalidDocument, host_of, note_values, object_id, types_of
from federation.http import FetchError
from models import accounts, social, statuses
from models.accounts import Account

Handler = Callable[[Runtime, dict, Account], Awaitable[None]]
ANY = "*"  # any object type, or an object given by id only


async def undone_type(rt: Runtime, ref: str | None) -> str:
    """What an Undo that names its object by id only takes back, known by that id here."""
    if not ref:
        return ""
    async with rt.db.read() as conn:
        if await social.follow_by_uri(conn, ref):
            return "Follow"
        if await social.favourite_by_uri(conn, ref):
            return "Like"
        if await social.block_by_uri(conn, ref):
            return "Block"
        boost = await statuses.by_uri(conn, ref)
    return "Announce" if boost is not None and boost.reblog_of_id else ""


async def embedded_or_fetched(rt: Runtime, activity: dict, actor: Account) -> dict | None:
    """The activity's object, trusted as sent only when it lives on the actor's host; otherwise
    fetched from its own origin (GHSA-3fjr-858r-92rw: never let one server speak for another)."""
    obj = activity.get("object")
    ref = object_id(obj)
    if ref is None:
        return None
    if isinstance(obj, dict) and host_of(ref) == host_of(actor.uri):
        return obj
    if deref.is_local(rt, ref):
        return None
    return await deref.fetch_document(rt, ref)


async def author_of(rt: Runtime, obj: dict, actor: Account) -> Account | None:
    """Who wrote `obj`: the actor when it lives on the actor's host; otherwise (a copy fetched from
    its origin) the account it is attributed to, which must live on the object's host."""
    if host_of(object_id(obj)) == host_of(actor.uri):
        return actor
    author_uri = note_values(obj)["attributed_to"] if isinstance(obj, dict) else None
    if not author_uri or host_of(author_uri) != host_of(object_id(obj)):
        return None
    return await deref.get_actor(rt, author_uri)


async def status_by_uri_or_fetched(rt: Runtime, uri: str):  # noqa: ANN201
    """The status `uri` names: known here, or fetched from its origin (None when neither)."""
    from social import remote

    async with rt.db.read() as conn:
        known = await statuses.by_uri(conn, uri)
    if known is None and not deref.is_local(rt, uri):
        known = await remote.fetch_status(rt, uri)
    return known


async def gone(rt: Runtime, uri: str) -> bool:
    """Whether the origin of `uri` says it no longer has it (404, 410 or a Tombstone): a Delete that
    reached us through someone else is believed so."""
    try:
        doc = await deref.fetch_document(rt, uri)
    except FetchError as err:
        return err.status in (404, 410)
    except InvalidDocument:
        return False
    return "Tombstone" in types_of(doc)


async def local_actor_type(rt: Runtime, uri: str | None) -> str:
    """The type of the local actor `uri` names ("" when it names none): a Follow of a Group is a join."""
    account = await local_account(rt, uri)
    return account.actor_type if account is not None else ""


async def local_account(rt: Runtime, uri: str | None) -> Account | None:
    """The local account `uri` names, if any."""
    async with rt.db.read() as conn:
        account = await accounts.by_uri(conn, uri or "")
    return account if account is not None and account.local else None


async def own_record(rt: Runtime, find, ref: str | None, actor: Account):  # noqa: ANN001, ANN201
    """The row (a follow, like or block) that an Undo names by id, if it is the actor's own."""
    if not ref:
        return None
    async with rt.db.read() as conn:
        row = await find(conn, ref)
    return row if row is not None and row.account_id == actor.id else None


def inner(activity: dict) -> tuple[dict, str | None]:
    """An Undo's (or Accept's) object as a dict (maybe only {"id": …}) and its id."""
    obj = activity.get("object")
    return (obj if isinstance(obj, dict) else {"id": obj}), object_id(obj)
