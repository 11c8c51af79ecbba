"""Poll: totals hidden until it ends when the author asked (hide_totals), except to the author."""
from __future__ import annotations

from api.entities.formats import iso
from models.accounts import Account
from models.polls import Poll


def poll_entity(viewer: Account | None, poll: Poll, own_votes: list[int] | None) -> dict:
    expired = poll.expired()
    show_totals = not poll.hide_totals or expired or (viewer is not None and viewer.id == poll.account_id)
    body = {
        "id": str(poll.id),
        "expires_at": iso(poll.expires_at),
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count,
        "options": [{"title": o["title"], "votes_count": o["votes_count"] if show_totals else None}
                    for o in poll.options],
        "emojis": [],
    }
    if viewer is not None:
        body["voted"] = bool(own_votes) or viewer.id == poll.account_id
        body["own_votes"] = own_votes or []
    return body
