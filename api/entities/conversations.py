"""Conversation: a direct-message thread, its other participants and its last status."""
from __future__ import annotations

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.accounts import account_json
from api.entities.statuses import status_page_parts
from federation.runtime import Runtime
from models.accounts import Account


async def conversation_entities_json(conn: AsyncConnection, rt: Runtime, viewer: Account, groups: list[dict],
                                     ) -> list[bytes]:
    """`groups`: [{id, last (its .id), participants (account ids), unread}], each as JSON; a
    conversation whose last status the viewer may not see is left out. The participants are read
    with the statuses' authors (api.entities.statuses.status_page_parts)."""
    page = await status_page_parts(conn, rt, viewer, [g["last"].id for g in groups], context=None,
                                   people={p for g in groups for p in g["participants"]})
    shown = dict(page.statuses)
    body = []
    for group in groups:
        last = shown.get(group["last"].id)
        if last is None:
            continue
        people = b",".join(account_json(rt, page.people[p]) for p in group["participants"] if p in page.people)
        body.append(b"".join((b'{"id":', orjson.dumps(str(group["id"])), b',"unread":',
                              b"true" if group["unread"] else b"false", b',"accounts":[', people,
                              b'],"last_status":', last, b"}")))
    return body


async def conversation_entities(conn: AsyncConnection, rt: Runtime, viewer: Account, groups: list[dict]) -> list[dict]:
    """As conversation_entities_json, as dicts."""
    return orjson.loads(b"[" + b",".join(await conversation_entities_json(conn, rt, viewer, groups)) + b"]")
