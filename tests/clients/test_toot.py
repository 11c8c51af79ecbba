"""toot (the command-line Mastodon client) against real nodes: log in with e-mail and password, post,
read the home timeline, follow an account on another node, read notifications.

toot runs with a throw-away HOME and XDG_CONFIG_HOME, so it never reads or writes the real user's
configuration.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rig.nodes import eventually, start_cluster

TOOT = shutil.which("toot", path=str(Path(sys.executable).parent)) or shutil.which("toot")
pytestmark = pytest.mark.skipif(TOOT is None, reason="toot is not installed (pip install -e '.[test]')")
PASSWORD = "correct horse battery"


@pytest.fixture
def cluster(tmp_path, database_factory):  # noqa: ANN001, ANN201
    domains = ["acme.test", "globex.test"]
    nodes = start_cluster(domains, tmp_path / "nodes", databases={d: database_factory() for d in domains})
    yield nodes
    for node in nodes.values():
        node.stop()


class Toot:
    def __init__(self, home: Path):
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                    "TERM": "dumb", "COLUMNS": "120", "NO_COLOR": "1"}

    def __call__(self, *args: str) -> str:
        result = subprocess.run([TOOT, *args], env=self.env, capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"toot {' '.join(args)}: {result.stdout}\n{result.stderr}"
        return result.stdout

    def json(self, *args: str):  # noqa: ANN201
        return json.loads(self(*args, "--json"))


def test_toot_session_across_two_nodes(cluster, tmp_path):
    acme, globex = cluster["acme.test"], cluster["globex.test"]
    acme.create_user("alice")
    globex.create_user("guru")
    guru = globex.mastodon(globex.token("guru"))
    toot = Toot(tmp_path / "home")

    assert "Successfully logged in" in toot("login_cli", "-i", acme.base, "-e", "alice@acme.test",
                                            "-p", PASSWORD)
    config = json.loads((tmp_path / "home" / ".config" / "toot" / "config.json").read_text())
    assert config["active_user"].startswith("alice@")

    posted = toot.json("post", "hello from toot #cli")
    assert posted["url"] and posted["visibility"] == "public"
    # Home timelines are filled by the fan-out worker, just after the post is answered.
    eventually(lambda: posted["id"] in [s["id"] for s in toot.json("timelines", "home", "--no-pager", "--no-clear")],
               message="the post in alice's home via toot")

    # toot resolves the address with /api/v2/search?resolve=true and follows the exact match.
    assert "now following guru@globex.test" in toot("follow", "guru@globex.test")
    eventually(lambda: guru.account_verify_credentials().followers_count == 1, message="guru followed")
    alice = acme.mastodon(acme.token("alice", "read"))
    guru_at_acme = alice.account_lookup("guru@globex.test")
    eventually(lambda: alice.account_relationships(guru_at_acme.id)[0].following,
               message="globex's Accept reached acme")

    mention = guru.status_post("@alice@acme.test welcome aboard")
    notes = eventually(lambda: [n for n in toot.json("notifications") if n["type"] == "mention"],
                       message="alice's mention via toot")
    assert notes[0]["account"]["acct"] == "guru@globex.test"
    assert notes[0]["status"]["uri"] == mention.uri
    fresh = eventually(lambda: [s for s in toot.json("timelines", "home", "--no-pager", "--no-clear")
                                if s["uri"] == mention.uri], message="guru's post in alice's home")
    assert fresh[0]["account"]["acct"] == "guru@globex.test"
    assert "@alice" in toot("whoami")
