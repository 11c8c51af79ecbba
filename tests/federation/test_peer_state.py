"""Per-peer state lives in the database: the signature scheme a peer accepts is learned once and
kept across restarts, and a circuit breaker opened by one process holds in every other."""
import sqlite3
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.backchannel.processes import spawn, stop, wait_for_line
from tests.rig.fake_remote import FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


@dataclass
class Rfc9421Only(FakeRemote):
    """A peer whose inboxes accept RFC 9421 signatures only: a draft-cavage POST gets a 401."""
    refused: list[str] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST" and "Signature-Input" not in request.headers:
            await request.read()
            self.refused.append(request.path)
            return web.Response(status=401)
        return await super()._handle(request)


def scheme_of(node: Node, domain: str) -> str | None:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        rows = db.execute("SELECT signature_scheme FROM instances WHERE domain = ?", (domain,)).fetchall()
    return rows[0][0] if rows else None


def accepted(peer: FakeRemote) -> bool:
    return any(r.body.get("type") == "Accept" for r in peer.received)


def created(peer: FakeRemote, text: str) -> bool:
    return any(r.body.get("type") == "Create" and text in r.body["object"]["content"] for r in peer.received)


def test_the_signature_scheme_learned_once_is_reused_after_a_restart(tmp_path):
    # Given a peer that accepts only RFC 9421, and one of its people following alice
    peer = Rfc9421Only("strict.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme",
                resolve={"strict.test": peer.port}).start()
    try:
        node.create_user("alice")
        token = node.token("alice")
        reader = peer.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        # When the node sends its Accept: draft-cavage is refused once, RFC 9421 goes through
        eventually(lambda: accepted(peer), message="the Accept")
        assert len(peer.refused) == 1
        # (the peer has the Accept a moment before the node has noted the scheme: wait for the note)
        eventually(lambda: scheme_of(node, "strict.test") == "rfc9421", message="the scheme noted")

        # And the node restarts (nothing of the last run is left in memory)
        node.kill()
        node.start()
        node.mastodon(token).status_post("after the restart")
        # Then its next delivery is signed with RFC 9421 at once: no refused attempt
        eventually(lambda: created(peer, "after the restart"), message="the post")
        assert len(peer.refused) == 1
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            assert db.execute("SELECT signature_scheme FROM instances WHERE domain = 'strict.test'"
                              ).fetchall() == [("rfc9421",)]
        # And an admin sees it
        [line] = node.cli("domain", "peers").splitlines()
        assert line.startswith("strict.test  healthy  last answered 2") and line.endswith("signs rfc9421")
    finally:
        node.stop()
        peer.stop()


def test_a_breaker_opened_by_a_worker_holds_in_serve_no_workers_and_a_new_worker(tmp_path, postgres_url):
    # Given one web process (`serve --no-workers`) and one `worker` on PostgreSQL, and a follower on
    # flaky.test
    peer = FakeRemote("flaky.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", database=postgres_url,
                resolve={"flaky.test": peer.port},
                extra_env={"BACKCHANNEL_BREAKER_THRESHOLD": "3", "BACKCHANNEL_BREAKER_OPEN_SECONDS": "120"})
    node.data.mkdir(parents=True)
    worker_log = node.data / "worker.log"
    node.proc = spawn(node, "web", log=node.log_path)
    workers = []
    try:
        node.wait_ready()
        workers.append(spawn(node, "worker", log=worker_log))
        wait_for_line(workers[-1], worker_log, "worker for")
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        reader = peer.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: accepted(peer), message="the Accept")
        # (while the peer is healthy, the web process does look people up there)
        alice.search_v2("someone@flaky.test", resolve=True)
        assert any(path.startswith("/.well-known/webfinger") for path in peer.fetched)

        # When the peer fails three deliveries in a row, made by the worker
        peer.inbox_status = 503
        peer.received.clear()
        peer.fetched.clear()
        alice.status_post("one")
        eventually(lambda: len(peer.received) >= 3, message="three failed attempts")
        time.sleep(1.5)
        assert len(peer.received) == 3, "the open breaker lets no delivery through"

        # Then the web process does not contact the peer either (its lookups fail at once)
        started = time.time()
        alice.search_v2("someone.else@flaky.test", resolve=True)
        assert peer.fetched == [] and time.time() - started < 5

        # And a new worker, started after the first is killed, keeps waiting: the state is stored
        workers[-1].kill()
        workers.append(spawn(node, "worker", log=worker_log))
        eventually(lambda: worker_log.read_text().count("worker for") >= 2, message="the new worker")
        time.sleep(2)
        assert len(peer.received) == 3

        # When the peer speaks to the web process, the breaker closes for the worker too
        peer.inbox_status = 202
        assert post_signed(node.base, node.domain, "/inbox", create(reader, note(reader, "back")), reader)[0] == 202
        alice.status_post("two")
        eventually(lambda: created(peer, "two"), timeout=20, message="the post after its return")
    finally:
        stop(*workers)
        node.stop()
        peer.stop()


async def test_a_peers_software_is_read_from_its_nodeinfo_at_most_daily(tmp_path):
    from backchannel.app import close_runtime, open_runtime
    from backchannel.config import Config
    from backchannel.workers import refresh_peer_software

    # Given a peer that publishes NodeInfo, and a node that has delivered to it (so it is active)
    peer = FakeRemote("mastodon.test").start()
    peer.objects["/.well-known/nodeinfo"] = {"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "http://mastodon.test/nodeinfo/2.0"}]}
    peer.raw["/nodeinfo/2.0"] = (200, {"Content-Type": "application/json"},
                                 b'{"version": "2.0", "software": {"name": "mastodon", "version": "4.3.2"}}')
    rt = await open_runtime(Config(domain="acme.test", data=str(tmp_path), insecure_http=True,
                                   resolve={"mastodon.test": ("127.0.0.1", peer.port)}))
    try:
        await rt.peers.record_success("http://mastodon.test/inbox")
        # When the workers' periodic job runs
        await refresh_peer_software(rt)
        # Then its software is stored with the peer
        state = await rt.peers.state("mastodon.test")
        assert (state.software_name, state.software_version) == ("mastodon", "4.3.2")
        assert peer.fetched == ["/.well-known/nodeinfo", "/nodeinfo/2.0"]
        # And the next runs the same day ask nothing
        await refresh_peer_software(rt)
        await refresh_peer_software(rt)
        assert peer.fetched == ["/.well-known/nodeinfo", "/nodeinfo/2.0"]
    finally:
        await close_runtime(rt)
        peer.stop()
