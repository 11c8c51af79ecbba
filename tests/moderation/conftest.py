"""In-process nodes (tests.api.conftest) and helpers for real nodes' databases."""
import sqlite3

from tests.api.conftest import node  # noqa: F401  (the in-process node fixture)
from tests.rig.nodes import Node, free_port


def sql(node: Node, query: str, *args) -> list[tuple]:
    """Read a real node's SQLite database directly (WAL: safe beside the running server)."""
    with sqlite3.connect(node.data / "backchannel.sqlite3") as conn:
        return conn.execute(query, args).fetchall()


def start_nodes(root, domains: list[str], env: dict[str, dict[str, str]] | None = None,
                extra_resolve: dict[str, int] | None = None) -> dict[str, Node]:
    """Like tests.rig.nodes.start_cluster, with settings per node (acme in allowlist mode, say)."""
    ports = {d: free_port() for d in domains}
    nodes = {d: Node(domain=d, port=ports[d], data=root / d,
                     resolve={**{o: p for o, p in ports.items() if o != d}, **(extra_resolve or {})},
                     extra_env=dict((env or {}).get(d, {}))) for d in domains}
    try:
        for n in nodes.values():
            n.launch()
        for n in nodes.values():
            n.wait_ready()
    except Exception:
        for n in nodes.values():
            n.stop()
        raise
    return nodes
