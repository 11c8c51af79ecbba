"""Scaling out on PostgreSQL: processes started together on an empty database all come up, and a web
process and a worker started from one stored policy apply the same policy, changes included."""
import time


from tests.backchannel.processes import command, spawn, stop, wait_for_line
from tests.rig.databases import _run
from tests.rig.fake_remote import FakeRemote, create, follow, note, post_signed
from tests.rig.nodes import Node, eventually, free_port


def query(url: str, sql: str) -> list[tuple]:
    import asyncpg

    async def run() -> list[tuple]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return _run(run())


def test_three_processes_started_together_on_an_empty_database_all_come_up(tmp_path, postgres_url):
    # Given an empty PostgreSQL database and three processes of one node: two web, one worker
    webs = [Node(domain="acme.test", port=free_port(), data=tmp_path / f"web{i}", database=postgres_url)
            for i in range(2)]
    for web in webs:
        web.data.mkdir(parents=True)
    worker_log = tmp_path / "worker.log"
    # When they are started at the same moment
    webs[0].proc = spawn(webs[0], "serve", log=webs[0].log_path)
    webs[1].proc = spawn(webs[1], "web", log=webs[1].log_path)
    worker = spawn(webs[0], "worker", log=worker_log)
    try:
        # Then all three come up (none crashes on the concurrent migration)
        for web in webs:
            web.wait_ready(timeout=90)
        wait_for_line(worker, worker_log, "worker for", timeout=90)
        # And they are one node: one identity, one instance actor, the schema at its head once
        assert query(postgres_url, "SELECT domain, federation_mode FROM node") == [("acme.test", "blocklist")]
        assert query(postgres_url, "SELECT uri FROM accounts WHERE actor_type = 'Application'") == [
            ("http://acme.test/actor",)]
        assert len(query(postgres_url, "SELECT version_num FROM alembic_version")) == 1
    finally:
        stop(worker)
        for web in webs:
            web.stop()


def followers_only_posts(peer: FakeRemote, text: str) -> list:
    return [r for r in peer.received if r.body.get("type") == "Create"
            and text in str(r.body.get("object", {}).get("content", ""))]


def test_a_web_process_and_a_worker_follow_the_stored_allowlist(tmp_path, postgres_url):
    # Given a node scaled out on PostgreSQL (`serve --no-workers` + `worker`), with a follower on
    # friend.test and one on stranger.test
    friend, stranger = FakeRemote("friend.test").start(), FakeRemote("stranger.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", database=postgres_url,
                resolve={"friend.test": friend.port, "stranger.test": stranger.port})
    node.data.mkdir(parents=True)
    worker_log = node.data / "worker.log"
    workers = []

    def start_processes() -> None:
        node.proc = spawn(node, "web", log=node.log_path)
        node.wait_ready()
        workers.append(spawn(node, "worker", log=worker_log))
        eventually(lambda: worker_log.read_text().count("worker for") >= len(workers), message="the worker")

    try:
        start_processes()
        node.create_user("alice")
        alice = node.mastodon(node.token("alice"))
        readers = {peer.domain: peer.add_actor("reader") for peer in (friend, stranger)}
        for peer in (friend, stranger):
            reader = readers[peer.domain]
            post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
            eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")

        # When the admin allows only friend.test and switches to allowlist mode with the CLI
        assert command(node, "domain", "allow", "friend.test").returncode == 0
        changed = command(node, "domain", "mode", "allowlist")
        switched = time.time()
        assert changed.returncode == 0, changed.stderr

        # Then the web process refuses stranger.test within a second
        def stranger_refused() -> bool:
            reader = readers["stranger.test"]
            return post_signed(node.base, node.domain, "/inbox", create(reader, note(reader, "hi")), reader)[0] == 403
        eventually(stranger_refused, timeout=5, interval=0.05, message="the web process refusing stranger.test")
        assert time.time() - switched <= 1.0 + 0.5  # one second of cache, plus one signed request's time

        # And a followers-only post made a second later reaches friend.test and never stranger.test
        time.sleep(max(0.0, switched + 1.0 - time.time()))
        alice.status_post("for followers", visibility="private")
        eventually(lambda: followers_only_posts(friend, "for followers"), message="delivery to friend.test")
        time.sleep(2)
        assert followers_only_posts(stranger, "for followers") == []

        # When both processes are restarted (no mode given: they read the stored one)
        stop(*workers)
        node.stop()
        start_processes()
        alice.status_post("again for followers", visibility="private")
        # Then the allowlist still holds
        eventually(lambda: followers_only_posts(friend, "again for followers"), message="friend.test again")
        time.sleep(2)
        assert followers_only_posts(stranger, "followers") == []
        assert query(postgres_url, "SELECT count(*) FROM deliveries WHERE inbox_url LIKE '%stranger.test%'"
                     ) == [(0,)]
    finally:
        stop(*workers)
        node.stop()
        friend.stop()
        stranger.stop()

