"""One data folder is one node: its domain and federation mode are recorded by the first start, and
every later process and command is checked against them."""
import sqlite3
import subprocess
import sys

from tests.backchannel.processes import command, spawn
from tests.rig.nodes import Node, free_port


def rows(node: Node, query: str) -> list[tuple]:
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute(query).fetchall()


def serve_exit(node: Node, *extra: str, domain: str | None = None) -> subprocess.CompletedProcess:
    """Start `serve` and let it run at most 30 s (a refusal exits at once)."""
    settings = node._settings()
    if domain is not None:
        settings[settings.index("--domain") + 1] = domain
    return subprocess.run([sys.executable, "-m", "backchannel", "serve", *settings, *extra,
                           "--listen", f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, env=node._env(), timeout=30)


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line a refusing process prints; it exits with 2 and shows no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("backchannel:")]
    assert len(lines) == 1, result.stderr
    assert "listening" not in result.stdout
    return lines[0]


def test_another_domain_is_refused_by_serve_worker_and_every_command(tmp_path):
    # Given a node that has run as acme.test, with a user
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme").start()
    node.create_user("alice")
    node.stop()

    # When it is served, worked or administered under other domains (or none: the default)
    attempts = {
        "serve beta": serve_exit(node, domain="beta.test"),
        "serve gamma": serve_exit(node, domain="Gamma.Test"),
        "worker": command(node, "worker", domain="beta.test"),
        "user create": command(node, "user", "create", "bob", "--password-stdin", domain="localhost:8080",
                               stdin="correct horse battery\n"),
        "token create": command(node, "token", "create", "alice", domain="beta.test"),
        "domain block": command(node, "domain", "block", "spam.example", domain="beta.test"),
        "migrate": command(node, "migrate", domain="beta.test"),
    }
    # Then each refuses with one line that says what the node is
    for what, result in attempts.items():
        line = refused(result)
        assert "acme.test" in line and "--domain acme.test" in line, (what, line)

    # And nothing was created under another name: one node, one instance actor, no bob, no block
    assert rows(node, "SELECT domain FROM node") == [("acme.test",)]
    assert rows(node, "SELECT uri FROM accounts WHERE actor_type = 'Application'") == [("http://acme.test/actor",)]
    assert rows(node, "SELECT count(*) FROM accounts WHERE username = 'bob'") == [(0,)]
    assert rows(node, "SELECT count(*) FROM domain_blocks") == [(0,)]

    # While the node's own domain, in any spelling, still works
    listed = command(node, "domain", "list", domain="ACME.test.")
    assert listed.returncode == 0 and listed.stdout.startswith("federation mode: blocklist"), listed.stderr
    assert command(node, "user", "create", "carol", "--password-stdin",
                   stdin="correct horse battery\n").returncode == 0


def test_a_command_on_an_existing_data_folder_without_domain_is_refused(tmp_path):
    # Given a node recorded as acme.test
    data = tmp_path / "acme"
    first = subprocess.run([sys.executable, "-m", "backchannel", "user", "create", "alice", "--data", str(data),
                            "--domain", "acme.test"], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    # When an admin forgets --domain (the default is localhost:8080)
    result = subprocess.run([sys.executable, "-m", "backchannel", "user", "create", "bob", "--data", str(data)],
                            capture_output=True, text=True, timeout=120)
    # Then nothing is created as @bob@localhost:8080
    line = refused(result)
    assert "belongs to the node acme.test" in line and "not localhost:8080" in line
    with sqlite3.connect(data / "backchannel.sqlite3") as db:
        assert db.execute("SELECT username FROM accounts WHERE domain IS NULL ORDER BY username").fetchall() == [
            ("acme.test",), ("alice",)]


def test_migrate_on_an_empty_database_leaves_the_identity_to_the_first_start(tmp_path):
    # Given an operator who migrates first, without --domain
    data = tmp_path / "acme"
    migrated = subprocess.run([sys.executable, "-m", "backchannel", "migrate", "--data", str(data)],
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    # When the node is then set up as acme.test
    node = Node(domain="acme.test", port=free_port(), data=data)
    assert command(node, "user", "create", "alice", "--password-stdin",
                   stdin="correct horse battery\n").returncode == 0
    # Then it is acme.test
    assert rows(node, "SELECT domain, federation_mode FROM node") == [("acme.test", "blocklist")]


def test_federation_mode_flag_seeds_the_mode_then_must_agree_with_it(tmp_path):
    # Given a node first started with --federation-mode allowlist
    node = Node(domain="acme.test", port=free_port(), data=tmp_path / "acme")
    node.data.mkdir(parents=True)
    node.proc = spawn(node, "serve", log=node.log_path, extra=("--federation-mode", "allowlist"))
    node.wait_ready()
    node.stop()
    assert rows(node, "SELECT federation_mode FROM node") == [("allowlist",)]
    assert command(node, "domain", "mode").stdout.strip() == "federation mode: allowlist"

    # When a process is started with another mode (flag or environment)
    by_flag = serve_exit(node, "--federation-mode", "open")
    by_env = command(node, "worker", env={"BACKCHANNEL_FEDERATION_MODE": "blocklist"})
    # Then it refuses and says how to change the mode; the mode is unchanged
    assert "backchannel domain mode open" in refused(by_flag)
    assert "backchannel domain mode blocklist" in refused(by_env)
    assert rows(node, "SELECT federation_mode FROM node") == [("allowlist",)]

    # When the admin changes it as told (even with the stale variable still set)
    changed = command(node, "domain", "mode", "open", env={"BACKCHANNEL_FEDERATION_MODE": "blocklist"})
    # Then it is stored, and processes without the flag (or with the new one) run in it
    assert changed.returncode == 0 and changed.stdout.strip() == "federation mode: open (was allowlist)"
    assert rows(node, "SELECT federation_mode FROM node") == [("open",)]
    assert command(node, "domain", "list", env={"BACKCHANNEL_FEDERATION_MODE": "open"}).stdout.startswith(
        "federation mode: open")
    bad = command(node, "domain", "mode", "sometimes")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
