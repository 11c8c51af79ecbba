"""Federation with bovine-herd (Python): opaque actor ids, signed GETs required, manual accepts.

Needs the interop tools (`../shared/interop/setup.sh`); skipped, saying so, where they are absent.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.rig.nodes import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
HERD = ROOT.parent / "shared" / "interop" / "herd"
INTEROP = Path(os.environ.get("INTEROP_HOME", Path.home() / ".cache" / "backchannel-interop"))
PYTHON = INTEROP / "venv-bovine" / "bin" / "python"

pytestmark = pytest.mark.skipif(not (HERD.exists() and PYTHON.exists()),
                                reason="bovine-herd is not installed (run ../shared/interop/setup.sh)")
ENV = {**os.environ, "BUTCHER_ALLOW_HTTP": "1", "INTEROP_HOME": str(INTEROP)}


@pytest.fixture
def herd(tmp_path):
    port = free_port()
    home = tmp_path / "herd"
    subprocess.run(["bash", str(HERD / "setup_herd.sh"), str(home), str(port), "bob"], check=True,
                   env=ENV, capture_output=True, timeout=120)
    log = open(home / "herd.log", "wb")
    proc = subprocess.Popen([str(PYTHON), str(HERD / "run_herd.py"), str(port)], cwd=home, env=ENV,
                            stdout=log, stderr=subprocess.STDOUT)

    def client(*args: str) -> str:
        result = subprocess.run([str(PYTHON), str(HERD / "herd_client.py"), f"http://127.0.0.1:{port}",
                                 str(home / "key.txt"), *args], env=ENV, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    try:
        actor = eventually(lambda: json.loads(client("actor")), timeout=30, message="bovine-herd starts")
        yield port, actor, client
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_follow_and_exchange_posts_with_bovine(node, herd):
    port, bob_actor, bob = herd
    alice = node.mastodon(node.token("alice"))

    found = alice.search(f"bob@127.0.0.1:{port}", resolve=True, result_type="accounts").accounts
    assert len(found) == 1 and found[0].uri == bob_actor["id"]  # an opaque id, found through WebFinger
    alice.account_follow(found[0].id)
    # bovine never accepts by itself: bob accepts what is in his inbox.
    eventually(lambda: "accepted" in bob("accept-follows"), message="bob sees the Follow")
    eventually(lambda: alice.account_relationships(found[0].id)[0].following, message="the Accept arrives")

    bob("note", "hello from bovine")
    eventually(lambda: any("hello from bovine" in s.content for s in alice.timeline_home()),
               message="bob's post in alice's home")

    bob("follow", f"{node.base}/users/alice")
    eventually(lambda: alice.account_verify_credentials().followers_count == 1, message="bob follows alice")
    alice.status_post("hello bovine, from Backchannel")
    eventually(lambda: "hello bovine, from Backchannel" in bob("inbox-full", "10"),
               message="alice's post in bob's inbox")
