"""The operator's commands end to end: accounts and tokens (user …, token …), the queues (queue …),
and start-up failures told in one line."""
import socket
import subprocess
import sys

import pytest

from tests.backchannel.processes import command
from tests.rig.databases import postgres_admin_url, postgres_available
from tests.rig.fake_remote import FakeRemote, follow, post_signed
from tests.rig.http import api
from tests.rig.nodes import TEST_ENV, Node, eventually, free_port


def test_a_deleted_user_is_deleted_everywhere_and_a_revoked_token_stops_at_once(tmp_path):
    # Given alice on acme.test with a follower on globex.test, and bob with a token in use
    peer = FakeRemote("globex.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"globex.test": peer.port}).start()
    try:
        # (a node started without accounts says how to make the first)
        eventually(lambda: "No accounts yet: make the first admin with `backchannel user create NAME --admin`"
                   in node.log_path.read_text(), message="the first step")
        node.create_user("alice")
        node.create_user("bob")
        reader = peer.add_actor("reader")
        assert post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"),
                           reader)[0] == 202
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")
        alice_token = node.token("alice")
        for text in ("first", "second"):
            assert api(node.base, alice_token, "POST", "/api/v1/statuses", {"status": text})[0] == 200
        bob_token = node.token("bob")
        assert api(node.base, bob_token, "GET", "/api/v1/accounts/verify_credentials")[0] == 200

        # When the operator revokes bob's token by the id `token list` shows
        listing = command(node, "token", "list", "bob")
        assert listing.returncode == 0 and "@bob" in listing.stdout and "@alice" not in listing.stdout
        assert len(listing.stdout.splitlines()) == 1
        token_id = listing.stdout.split()[0].lstrip("#")
        revoked = command(node, "token", "revoke", token_id)
        assert revoked.returncode == 0 and f"revoked token #{token_id} of @bob" in revoked.stdout
        # Then the very next request with it is refused, and the token is no longer listed
        assert api(node.base, bob_token, "GET", "/api/v1/accounts/verify_credentials")[0] == 401
        assert "@bob" not in command(node, "token", "list").stdout
        again = command(node, "token", "revoke", token_id)
        assert again.returncode == 1 and again.stderr.count("\n") == 1

        # When the operator imports bob's follows from Mastodon's CSV file, one address naming nobody
        following = tmp_path / "following_accounts.csv"
        following.write_text("Account address,Show boosts,Notify on new posts,Languages\n"
                             "alice@acme.test,true,false,\nnobody@acme.test,true,false,\n")
        imported = command(node, "user", "import", "bob", str(following))
        # Then bob follows alice, the progress went to stderr, and the line not done is named
        assert imported.returncode == 0, imported.stderr
        assert "importing following: 2/2" in imported.stderr
        assert imported.stdout.splitlines() == ["@bob: 1 of 2 lines imported (following)",
                                                "  not done: nobody@acme.test: not found"]
        assert api(node.base, alice_token, "GET", "/api/v1/accounts/lookup?acct=bob")[1]["following_count"] == 1

        # When the operator deletes alice (without --yes it is refused)
        assert command(node, "user", "delete", "alice").returncode == 1
        deleted = command(node, "user", "delete", "alice", "--yes")
        assert deleted.returncode == 0, deleted.stderr
        assert "deleting posts: 2/2" in deleted.stderr  # progress, on stderr
        assert api(node.base, alice_token, "GET", "/api/v1/accounts/verify_credentials")[0] == 401
        # Then her follower's server receives a Delete of her actor
        eventually(lambda: any(r.body.get("type") == "Delete" and r.body.get("object") == "http://acme.test/users/alice"
                               for r in peer.received), message="Delete of the actor delivered")
        # and her login is gone (her name stays taken by the tombstone)
        users = command(node, "user", "list").stdout
        assert "alice" not in users and "bob" in users
        assert command(node, "user", "create", "alice").returncode == 1
    finally:
        node.stop()
        peer.stop()


def test_password_reset_and_role_change_apply_to_the_next_request(tmp_path):
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme").start()
    try:
        node.create_user("carol", password="old password 1")
        token = node.token("carol", "read write follow admin:read")
        # Given carol is a plain user: the admin API refuses her
        assert api(node.base, token, "GET", "/api/v1/admin/accounts")[0] == 403
        # When she is made an admin, Then the same token is let in
        made = command(node, "user", "role", "carol", "admin")
        assert made.returncode == 0 and "is now an admin" in made.stdout
        assert api(node.base, token, "GET", "/api/v1/admin/accounts")[0] == 200
        assert "carol                admin" in command(node, "user", "list").stdout
        # When she is made a moderator, Then accounts are hers to see, domains not
        made = command(node, "user", "role", "carol", "moderator")
        assert made.returncode == 0 and "is now a moderator" in made.stdout
        assert api(node.base, token, "GET", "/api/v1/admin/accounts")[0] == 200
        assert api(node.base, token, "GET", "/api/v1/admin/domain_blocks")[0] == 403
        assert "carol                moderator" in command(node, "user", "list").stdout
        assert command(node, "user", "role", "carol", "user").returncode == 0
        assert api(node.base, token, "GET", "/api/v1/admin/accounts")[0] == 403

        # When her password is reset, Then only the new one signs in (the OAuth password grant)
        short = command(node, "user", "password", "carol", "--password-stdin", stdin="short\n")
        assert short.returncode == 1 and "8 characters" in short.stderr
        reset = command(node, "user", "password", "carol")
        assert reset.returncode == 0
        new_password = reset.stdout.split("password: ", 1)[1].strip()
        assert _password_grant(node, "carol", "old password 1") != 200
        assert _password_grant(node, "carol", new_password) == 200
        missing = command(node, "user", "password", "nobody")
        assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0
    finally:
        node.stop()


def _password_grant(node: Node, username: str, password: str) -> int:
    import json
    import urllib.parse

    from tests.rig.fake_remote import raw_request

    status, text = raw_request(node.base + "/api/v1/apps", "POST", {"Content-Type": "application/json"},
                               json.dumps({"client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                           "scopes": "read"}).encode())
    app = json.loads(text)
    form = urllib.parse.urlencode({"grant_type": "password", "username": f"{username}@acme.test",
                                   "password": password, "client_id": app["client_id"],
                                   "client_secret": app["client_secret"], "scope": "read"}).encode()
    return raw_request(node.base + "/oauth/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                       form)[0]


def test_queue_status_shows_dead_letters_and_retry_sends_them(tmp_path):
    # Given a follower whose server refuses deliveries for good (410), so they become dead letters
    peer = FakeRemote("globex.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme", resolve={"globex.test": peer.port}).start()
    try:
        # (a node started without accounts says how to make the first)
        eventually(lambda: "No accounts yet: make the first admin with `backchannel user create NAME --admin`"
                   in node.log_path.read_text(), message="the first step")
        node.create_user("alice")
        token = node.token("alice")
        reader = peer.add_actor("reader")
        post_signed(node.base, node.domain, "/inbox", follow(reader, "http://acme.test/users/alice"), reader)
        eventually(lambda: any(r.body.get("type") == "Accept" for r in peer.received), message="Accept")
        peer.inbox_status = 410
        api(node.base, token, "POST", "/api/v1/statuses", {"status": "refused at first"})

        def dead():
            out = command(node, "queue", "status").stdout
            row = next(line for line in out.splitlines() if line.startswith("delivery"))
            return int(row.split()[-1]) == 1 and out
        status = eventually(dead, message="a dead letter", timeout=60)
        # Then `queue status` names it with its inbox and its error
        assert "dead letters (1" in status and "http://globex.test/inbox" in status and "410" in status

        # When the peer is back and the operator retries every dead letter
        peer.inbox_status = 202
        retried = command(node, "queue", "retry", "--all-dead")
        assert retried.returncode == 0 and "delivery: 1 queued again" in retried.stdout
        # Then it is delivered
        eventually(lambda: any(r.body.get("type") == "Create" and peer.inbox_status == 202
                               and r.body["object"]["content"].find("refused at first") >= 0
                               for r in peer.received[-3:]), message="delivered after retry")
        assert "no dead letters" in command(node, "queue", "retry", "--all-dead").stdout
        gone = command(node, "queue", "retry", "--id", "987654")  # an id that is not a dead letter: a failure
        assert gone.returncode == 1 and gone.stderr == "backchannel: no dead letter #987654\n"
    finally:
        node.stop()
        peer.stop()


def _serve(tmp_path, *args: str, data: str | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "backchannel", "serve", "--domain", "acme.test",
                           "--data", data or str(tmp_path / "data"), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **TEST_ENV})


def _one_line(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backchannel: "), result.stderr
    assert all(word in lines[0] for word in expected), lines[0]
    assert "Traceback" not in result.stderr and "listening" not in result.stdout


def test_a_port_in_use_is_one_line_and_listening_is_never_claimed(tmp_path):
    # Given a node already set up (its first start would also log the migration)
    migrated = subprocess.run([sys.executable, "-m", "backchannel", "migrate", "--domain", "acme.test", "--data",
                               str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line(_serve(tmp_path, "--listen", f"127.0.0.1:{port}"), "cannot listen on", str(port), "in use")


def test_an_unwritable_data_folder_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("")  # a folder inside a file cannot be made, even by root
    _one_line(_serve(tmp_path, "--listen", f"127.0.0.1:{free_port()}", data=str(tmp_path / "a-file" / "data")),
              "data folder", "cannot be written")
    listing = subprocess.run([sys.executable, "-m", "backchannel", "user", "list", "--data",
                              str(tmp_path / "a-file" / "data")], capture_output=True, text=True, timeout=60)
    _one_line(listing, "data folder")


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path):
    nobody_listens = free_port()
    _one_line(_serve(tmp_path, "--listen", f"127.0.0.1:{free_port()}", "--database",
                     f"postgresql://postgres@127.0.0.1:{nobody_listens}/test"), "cannot use the database",
              str(nobody_listens))


def test_a_database_that_refuses_is_one_line(tmp_path):
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    server = postgres_admin_url().rsplit("@", 1)[1].rsplit("/", 1)[0]
    for url, words in ((f"postgresql://no_such_role@{server}/test", ("no_such_role",)),
                       (f"postgresql://postgres@{server}/no_such_database", ("no_such_database",))):
        _one_line(_serve(tmp_path, "--listen", f"127.0.0.1:{free_port()}", "--database", url),
                  "cannot use the database", *words)
