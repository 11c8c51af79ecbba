"""Conversation: a direct-message thread, its other participants and its last status."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_entity
from api.entities.statuses import status_entities
from federation.runtime import Runtime
from models import accounts as accounts_store
from models.accounts import Account


async def conversation_entities(conn: AsyncConnection, rt: Runtime, viewer: Account, groups: list[dict]) -> list[dict]:
    """`groups`: [{id, last (Status), participants (account ids), unread}]; a conversation whose last
    status the viewer may not see is left out."""
    shown = {s["id"]: s for s in await status_entities(conn, rt, viewer, [g["last"] for g in groups],
                                                       context=None)}
    people = await accounts_store.get_many(conn, {p for g in groups for p in g["participants"]})
    body = []
    for group in groups:
        last = shown.get(str(group["last"].id))
        if last is None:
            continue
        body.append({"id": str(group["id"]), "unread": group["unread"],
                     "accounts": [account_entity(rt, people[p]) for p in group["participants"] if p in people],
                     "last_status": last})
    return body
