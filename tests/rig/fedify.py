"""The Fedify (TypeScript) peer from the interop tools, on loopback: start it, drive it over its
/_control endpoints. Needs `../shared/interop/setup.sh` (installed in $INTEROP_HOME or
~/.cache/backchannel-interop); `installed()` says whether it is there."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterator

from tests.rig.nodes import eventually, free_port

INTEROP = Path(os.environ.get("INTEROP_HOME", Path.home() / ".cache" / "backchannel-interop"))
PEER = INTEROP / "node" / "fedify_peer.mjs"
NOT_INSTALLED = f"the Fedify peer is not installed in {INTEROP} (run ../shared/interop/setup.sh)"


def installed() -> bool:
    return PEER.exists() and (INTEROP / "node" / "node_modules" / "@fedify").exists() and bool(shutil.which("node"))


def control(port: int, path: str, body: dict | None = None):  # noqa: ANN201
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_control/{path}", data=data,
                                      method="POST" if data else "GET",
                                      headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


@contextlib.contextmanager
def running_peer(log_dir: Path, handle: str = "peer") -> Iterator[int]:
    """A Fedify peer serving http://127.0.0.1:PORT/users/HANDLE; yields PORT."""
    port = free_port()
    log = open(log_dir / "fedify.log", "wb")
    proc = subprocess.Popen(["node", str(PEER), str(port), handle], cwd=PEER.parent, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        eventually(lambda: control(port, "followers") is not None, timeout=30, message="the Fedify peer starts")
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        for leftover in PEER.parent.glob(f"*-{port}.*"):
            leftover.unlink()
