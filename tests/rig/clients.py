"""Real client libraries pointed at rig nodes.

A node announces its public URLs (http://acme.test/oauth/token, ws://acme.test for streaming) the
way a production node does; on this machine the node is reached on a loopback port. A session that
maps each node's domain to its port lets a client follow those URLs unchanged, as a browser or app
would follow them through DNS.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from tests.rig.nodes import Node


class LoopbackSession(requests.Session):
    """A requests session that reaches `http://<node domain>/…` at the node's loopback port."""

    def __init__(self, *nodes: Node):
        super().__init__()
        self.hosts = {node.domain: f"127.0.0.1:{node.port}" for node in nodes}

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        parts = urlsplit(url)
        if parts.netloc in self.hosts:
            url = urlunsplit(parts._replace(netloc=self.hosts[parts.netloc]))
        return super().request(method, url, *args, **kwargs)


def mastodon_py(node: Node, token: str | None = None, **kwargs):  # noqa: ANN003, ANN201
    """A Mastodon.py client for `node` whose requests all reach it, public URLs included."""
    from mastodon import Mastodon

    return Mastodon(access_token=token, api_base_url=node.base, request_timeout=30,
                    session=LoopbackSession(node), **kwargs)
