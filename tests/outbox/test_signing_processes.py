"""Deliveries signed in signing processes (the `signing_processes` setting) carry a signature that
verifies with the author's published key, exactly as those signed in the node's own process."""
import asyncio
import json

from federation import httpsig
from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.http import get_json
from tests.rig.nodes import Node, eventually, free_port


def children_cmdlines(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        children = f.read().split()
    cmdlines = []
    for child in children:
        with open(f"/proc/{child}/cmdline", "rb") as f:
            cmdlines.append(f.read())
    return cmdlines


def test_a_delivery_signed_in_a_signing_process_verifies(tmp_path):
    remote = FakeRemote("peer.test", shared_inbox=False).start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"peer.test": remote.port},
                extra_env={"BACKCHANNEL_SIGNING_PROCESSES": "1"}).start()
    try:
        # Given a remote follower of alice, on a node that signs in a separate process
        node.create_user("alice")
        reader = remote.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: any(r.body.get("type") == "Accept" for r in remote.received), message="Accept")
        # When alice posts
        node.mastodon(node.token("alice")).status_post("signed elsewhere")
        eventually(lambda: any(r.body.get("type") == "Create" for r in remote.received), message="Create")
        # Then the Create's signature verifies with alice's published key, its digest with its body
        index = next(i for i, r in enumerate(remote.received) if r.body.get("type") == "Create")
        received, body = remote.received[index], remote.raw_bodies[index]
        assert json.loads(body)["type"] == "Create"
        _, actor = get_json(f"{node.base}/users/alice", accept="application/activity+json")

        async def key(key_id, _refresh):
            return actor["publicKey"]["publicKeyPem"] if key_id == actor["publicKey"]["id"] else None

        verified = asyncio.run(httpsig.verify_request("POST", f"http://peer.test{received.path}", received.headers,
                                                      body, key))
        assert verified.key_id == actor["publicKey"]["id"]
        # And it was signed by a process of the node's own, not by the node itself
        assert any(b"multiprocessing" in cmdline for cmdline in children_cmdlines(node.proc.pid))
    finally:
        node.stop()
        remote.stop()
