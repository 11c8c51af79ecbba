"""Expert: an account ranked by how it talks about a topic (/api/v1/experts, a Backchannel extension)."""
from __future__ import annotations

from api.entities.accounts import account_entity
from federation.runtime import Runtime
from models.accounts import Account
from models.experts import Expert


def expert_entity(rt: Runtime, expert: Expert, account: Account, statuses: list[dict]) -> dict:
    return {
        "account": account_entity(rt, account),
        "score": round(expert.score, 3),
        "matching_statuses_count": expert.posts,
        "statuses": statuses,
        "hashtags": [{"name": name, "url": rt.urls.tag(name), "uses": uses} for name, uses in expert.hashtags],
    }
