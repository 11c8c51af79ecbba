"""What the attack tests share: sending as a hostile peer and looking at what a node kept.

Nodes here run on SQLite in their data folder, so a test reads the node's database directly to see
what was stored, without asking the node (which might hide what it kept)."""
from __future__ import annotations

import sqlite3

from tests.rig.fake_remote import RemoteActor, post_signed
from tests.rig.nodes import Node, eventually


def query(node: Node, sql: str, *args) -> list[tuple]:  # noqa: ANN002
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute(sql, args).fetchall()


def stored(node: Node, uri: str) -> bool:
    return query(node, "SELECT count(*) FROM statuses WHERE uri = ?", uri)[0][0] > 0


def applied(node: Node, activity_id: str) -> str | None:
    """The state of a stored activity once the inbox worker is done with it (None before)."""
    rows = query(node, "SELECT state FROM inbox_items WHERE activity_uri = ?", activity_id)
    return rows[0][0] if rows and rows[0][0] != "pending" else None


def deliver(node: Node, actor: RemoteActor, activity: dict, path: str = "/inbox") -> tuple[int, str]:
    """POST `activity` signed by `actor`, as its server would."""
    return post_signed(node.base, node.domain, path, activity, actor)


def send(node: Node, actor: RemoteActor, activity: dict) -> str:
    """Deliver and wait until the node has handled it; returns the inbox item's final state."""
    status, text = deliver(node, actor, activity)
    assert status == 202, text
    return eventually(lambda: applied(node, activity["id"]), message=f"{activity['type']} handled")
