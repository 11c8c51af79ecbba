"""Read positions (Mastodon's markers): where a person stopped reading home and notifications."""
from __future__ import annotations

from federation.runtime import Runtime
from models import markers
from models.accounts import Account
from models.markers import Marker


async def save_positions(rt: Runtime, owner: Account, positions: dict[str, int]) -> list[Marker]:
    """Save each timeline's last read id (one transaction); each save bumps that marker's version."""
    async with rt.db.write() as conn:
        return [await markers.save(conn, owner.id, timeline, last_read_id)
                for timeline, last_read_id in positions.items()]
