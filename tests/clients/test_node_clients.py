"""masto.js and megalodon (TypeScript clients, run with node) against a real node: log in, post,
read the home timeline and notifications; masto.js also reads the user stream over WebSocket, and
megalodon signs in with the authorisation-code flow through the HTML page.

They are looked up where interop/setup.sh installs them ($INTEROP_HOME/node/node_modules, by default
~/.cache/backchannel-interop); the tests are skipped, saying so, when node or a package is missing.
The node's domain is its loopback address (127.0.0.1:PORT), so every URL it announces (NodeInfo,
streaming, OAuth endpoints) is one these clients can follow without a resolver of their own.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.rig.nodes import eventually

HERE = Path(__file__).parent / "node"
INTEROP_HOME = Path(os.environ.get("INTEROP_HOME", Path.home() / ".cache" / "backchannel-interop"))
NODE_MODULES = INTEROP_HOME / "node" / "node_modules"
NODE = shutil.which("node")
PASSWORD = "correct horse battery"


def _needs(package: str):  # noqa: ANN202
    if NODE is None:
        return pytest.mark.skip(reason="node is not installed")
    if not (NODE_MODULES / package / "package.json").exists():
        return pytest.mark.skip(reason=f"npm package {package!r} is not installed in {NODE_MODULES} "
                                       "(run /work/shared/interop/setup.sh or npm install it there)")
    return pytest.mark.skipif(False, reason="")


@pytest.fixture(scope="module")
def acme(on_loopback):  # noqa: ANN001, ANN201
    """The loopback node, where bob has welcomed alice."""
    on_loopback.mastodon(on_loopback.token("bob")).status_post("@alice welcome")
    return on_loopback


def _script(tmp_path: Path, name: str) -> Path:
    """The script next to a link to the installed packages, so node resolves its imports there."""
    target = tmp_path / name
    shutil.copy(HERE / name, target)
    if not (tmp_path / "node_modules").exists():
        (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return target


@_needs("masto")
def test_masto_js_session(acme, tmp_path):
    script = _script(tmp_path, "masto_session.mjs")
    result = subprocess.run([NODE, str(script), acme.base, "alice", PASSWORD],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["acct"] == "alice"
    assert seen["streamingApiUrl"] == f"ws://127.0.0.1:{acme.port}"
    assert seen["streamed"] == {"stream": ["user"], "id": seen["posted"]}
    assert seen["home"][0] == seen["posted"]
    assert ["mention", "bob"] in seen["notifications"]


@_needs("megalodon")
def test_megalodon_session_with_authorization_code(acme, tmp_path):
    script = _script(tmp_path, "megalodon_session.mjs")
    proc = subprocess.Popen([NODE, str(script), acme.base], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first, proc.stderr.read()
        app = json.loads(first)
        assert app["sns"] == "mastodon"  # megalodon's detector read our NodeInfo

        # The user opens the URL megalodon gave, signs in, approves, and pastes the code back.
        page = requests.get(app["url"], timeout=10)
        assert page.status_code == 200, page.text
        form = {k: html.unescape(v) for k, v in
                re.findall(r"<input type=hidden name='([^']+)' value='([^']*)'>", page.text)}
        action = re.search(r"<form method=post action='([^']+)'", page.text).group(1)
        shown = requests.post(urljoin(page.url, action), timeout=10, data={
            **form, "username": "alice", "password": PASSWORD, "decision": "approve"})
        assert shown.status_code == 200, shown.text
        code = html.unescape(re.search(r"<code>([^<]+)</code>", shown.text).group(1))
        out, err = proc.communicate(code + "\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["acct"] == "alice"
    assert seen["posted"] in seen["home"]
    assert ["mention", "bob"] in seen["notifications"]
    alice = acme.mastodon(acme.token("alice", "read"))
    eventually(lambda: any("hello from megalodon" in s.content for s in alice.timeline_home()),
               message="megalodon's post in the home timeline")
