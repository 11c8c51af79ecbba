"""Everything a fact sends out of the node starts here: one fan-out job, written in the fact's own
transaction, which the fan-out worker (outbox.fanout) expands into home timelines and deliveries."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from federation.runtime import Runtime
from models import queues
from models.accounts import Account


async def queue(conn: AsyncConnection, rt: Runtime, *, activity: dict | None = None,
                signer: Account | None = None, followers_of: int | None = None,
                to_accounts=(), home_status: int | None = None) -> None:  # noqa: ANN001
    """Queue the side effects of a use case: deliver `activity` (signed by `signer`) to the remote
    followers of `followers_of` and to the remote accounts in `to_accounts`; put `home_status` in
    the home timelines of the local accounts that may see it."""
    payload = {
        "activity": activity,
        "signer": signer.id if signer else None,
        "followers_of": followers_of,
        "to_accounts": list(dict.fromkeys(to_accounts)),
        "home_status": home_status,
    }
    await queues.enqueue_fanout(conn, payload)
    rt.wake("fanout")
