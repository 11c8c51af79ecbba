"""Backchannel processes beside tests.rig.nodes.Node: `serve --no-workers`, `worker` and one-off
commands on the same data folder or database, as an operator scaling out would run them."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.rig.nodes import Node, _die_with_parent


def command(node: Node, *args: str, domain: str | None = None, env: dict | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run `backchannel ARGS` on the node's data (and database), with another --domain if given."""
    settings = node._settings()
    if domain is not None:
        settings[settings.index("--domain") + 1] = domain
    return subprocess.run([sys.executable, "-m", "backchannel", *args, *settings], input=stdin,
                          capture_output=True, text=True, env={**node._env(), **(env or {})}, timeout=120)


def spawn(node: Node, kind: str, *, log: Path, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start `serve --no-workers` (kind "web", on node.port), `serve` ("serve") or `worker`."""
    args = {"web": ["serve", "--no-workers"], "serve": ["serve"], "worker": ["worker"]}[kind]
    if kind != "worker":
        args += ["--listen", f"127.0.0.1:{node.port}"]
    for host, port in node.resolve.items():
        args += ["--resolve", f"{host}=127.0.0.1:{port}"]
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "backchannel", *args, *node._settings(), *extra],
                                stdout=out, stderr=subprocess.STDOUT, env=node._env(),
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)


def wait_for_line(proc: subprocess.Popen, log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not seen within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
