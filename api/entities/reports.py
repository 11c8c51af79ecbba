"""Report, as its reporter sees it."""
from __future__ import annotations

from api.entities.accounts import account_entity
from api.entities.formats import iso
from federation.runtime import Runtime
from models.accounts import Account


def report_entity(rt: Runtime, report, target: Account | None) -> dict:  # noqa: ANN001
    return {
        "id": str(report.id),
        "action_taken": report.resolved,
        "action_taken_at": iso(report.action_taken_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso(report.created_at),
        "status_ids": [str(i) for i in report.status_ids] or None,
        "rule_ids": None,
        "target_account": account_entity(rt, target) if target else None,
    }
