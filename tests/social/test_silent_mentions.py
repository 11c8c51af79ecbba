"""Amplification through addressing: a hostile server's post that names many local accounts reaches
at most as many as a post's Mention tags may (federation.as2.MAX_MENTIONS), however it names them —
in `to`, in `cc`, as objects, split between both, or on top of Mention tags."""
from __future__ import annotations

import pytest

from federation.as2 import MAX_MENTIONS
from tests.rig.fake_remote import FakeRemote, create, note, post_signed
from tests.rig.http import api
from tests.rig.nodes import Node, free_port
from tests.rig.people import make_people, wait_idle

NODE = "acme.test"
LOCALS = 64


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    evil = FakeRemote("evil.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port}).start()
    tokens = make_people(node, [f"p{i}" for i in range(LOCALS)])
    yield node, evil, tokens
    node.stop()
    evil.stop()


def _uris(names) -> list[str]:  # noqa: ANN001
    return [f"http://{NODE}/users/{name}" for name in names]


SPELLINGS = {
    "all in to": lambda uris: {"to": uris, "cc": []},
    "all in cc": lambda uris: {"to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": uris},
    "as objects": lambda uris: {"to": [{"id": u, "type": "Person"} for u in uris], "cc": []},
    "split to and cc": lambda uris: {"to": uris[::2], "cc": uris[1::2]},
    "on top of Mention tags": lambda uris: {
        "to": uris, "cc": list(reversed(uris)), "tag": [{"type": "Mention", "href": u} for u in uris[:40]]},
}


@pytest.mark.parametrize("spelling", SPELLINGS, ids=list(SPELLINGS))
def test_a_post_naming_many_local_accounts_reaches_a_capped_number(env, spelling):
    node, evil, tokens = env
    # Given a hostile server's account
    mallory = evil.add_actor(f"mallory{abs(hash(spelling)) % 10_000}")
    # When it sends a post that names all 64 local accounts
    post = note(mallory, "look at me", **SPELLINGS[spelling](_uris(tokens)))
    status, text = post_signed(node.base, NODE, "/inbox", create(mallory, post), mallory)
    assert status == 202, text
    wait_idle(node)
    # Then at most MAX_MENTIONS of them are mentioned and notified
    notified = [name for name, token in tokens.items()
                if any(n["type"] == "mention" and n["account"]["acct"] == f"{mallory.username}@evil.test"
                       for n in api(node.base, token, "GET", "/api/v1/notifications")[1])]
    assert 0 < len(notified) <= MAX_MENTIONS < LOCALS
