"""A peer's refusal of an activity is not taken for a refusal of our signature (issue 14): only 401
and 403 are knocked again with the other signature scheme; a 400 is kept with the peer's reason."""
import sqlite3
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.nodes import Node, eventually, free_port


@dataclass
class Refusing(FakeRemote):
    """A peer whose inboxes answer every POST with one status and a short reason, recording the
    signature scheme of each attempt."""
    answer: int = 400
    schemes: list[str] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            await request.read()
            self.schemes.append("rfc9421" if "Signature-Input" in request.headers else "cavage")
            return web.json_response({"error": "Undo: object has no to/cc"}, status=self.answer)
        return await super()._handle(request)


def last_error(node: Node) -> str | None:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        rows = db.execute("SELECT state, last_error FROM deliveries WHERE inbox_url LIKE 'http://refusing.test/%'"
                          ).fetchall()
    return rows[0][1] if rows and rows[0][0] != "pending" else None


@pytest.mark.parametrize("answer, schemes, error", [
    # The activity refused: one attempt, given up, the peer's reason kept
    (400, ["cavage"], "answered 400: '{\"error\": \"Undo: object has no to/cc\"}'"),
    (422, ["cavage"], "answered 422"),
    # The signature refused: the other scheme is tried once
    (401, ["cavage", "rfc9421"], "refused both signature schemes (401)"),
    (403, ["cavage", "rfc9421"], "refused both signature schemes (403)"),
])
def test_only_a_signature_refusal_is_retried_with_the_other_scheme(tmp_path, answer, schemes, error):
    # Given a peer that refuses what the node delivers, and one of its people following alice
    peer = Refusing("refusing.test", answer=answer).start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"refusing.test": peer.port}).start()
    try:
        node.create_user("alice")
        reader = peer.add_actor("reader")
        assert post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"),
                           reader)[0] == 202
        # When the node delivers its Accept and the peer refuses it
        found = eventually(lambda: last_error(node), message="the delivery given up")
        # Then it knocked again only if the signature was what was refused, and says why it stopped
        assert peer.schemes == schemes
        assert error in found
    finally:
        node.stop()
        peer.stop()
