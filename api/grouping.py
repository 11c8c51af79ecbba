"""Group keys of notifications, shared by v1 (each notification names its group) and v2 (grouped).

Likes and boosts of one status on one UTC day form a group, and so do follows on one day; everything
else is a group of its own. (Mastodon buckets by a sliding window; a calendar day is simpler and the
keys stay stable.)"""
from __future__ import annotations

GROUPABLE = ("favourite", "reblog", "follow")
DAY = 86400


def group_key(row, grouped_types=GROUPABLE) -> str:  # noqa: ANN001
    if row.type in grouped_types and row.type in GROUPABLE:
        day = int(row.created_at // DAY)
        if row.type == "follow":
            return f"follow-{day}"
        if row.status_id is not None:
            return f"{row.type}-{row.status_id}-{day}"
    return f"ungrouped-{row.id}"
