"""Real Backchannel nodes for tests: `backchannel serve` processes on loopback ports.

Each node has a real-looking domain (acme.test, …); every node is started with --resolve entries
for all the others, so they federate over real HTTP with real signatures on one machine.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
TEST_ENV = {
    # Fast retries, so a test of a peer coming back needs seconds, not minutes.
    "BACKCHANNEL_DELIVERY_RETRY_BASE": "0.3",
    "BACKCHANNEL_DELIVERY_RETRY_CAP": "2",
    "BACKCHANNEL_REQUEST_TIMEOUT": "10",
    "BACKCHANNEL_BREAKER_OPEN_SECONDS": "1",
    "BACKCHANNEL_LOG_LEVEL": "info",
    # Every test client and node shares 127.0.0.1; the rate-limit tests set their own low limits.
    "BACKCHANNEL_RATE_LIMIT_PER_IP": "1000000",
    "BACKCHANNEL_RATE_LIMIT_PER_ACCOUNT": "1000000",
}


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, a node is killed when the test process dies, so a
    test that fails half-way through setting up (before its teardown exists) leaves nothing running."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# Ports for nodes come from below the kernel's ephemeral range (32768-60999 on Linux), so an
# outgoing connection can never take one between free_port() and the node binding it; each pytest
# worker (xdist: gw0, gw1, ...) has a block of its own, so parallel workers never hand out the same
# port, and starts at a random place in it, so two runs side by side rarely meet.
_PORT_BASE, _PORT_BLOCK, _PORT_BLOCKS = 20000, 1500, 8
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_block = int(_worker[2:]) % _PORT_BLOCKS if _worker[2:].isdigit() else _PORT_BLOCKS - 1
_next_port = random.randrange(_PORT_BLOCK)


def free_port() -> int:
    """A loopback port nothing listens on, not handed out by this process recently."""
    global _next_port
    for _ in range(_PORT_BLOCK):
        port = _PORT_BASE + _block * _PORT_BLOCK + _next_port
        _next_port = (_next_port + 1) % _PORT_BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in this worker's block from {_PORT_BASE + _block * _PORT_BLOCK}")


@contextlib.contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Held by one process on this machine at a time (pytest workers, other runs): for a test that
    needs a fixed resource, like the default port 8080."""
    path = Path(tempfile.gettempdir()) / f"backchannel-tests-{name}.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Node:
    domain: str
    port: int
    data: Path
    database: str | None = None
    resolve: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    insecure: bool = True  # False: the node's production mode (https only, no private addresses)
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """Where a client on this machine reaches the node."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data / "node.log"

    def _settings(self) -> list[str]:
        args = ["--data", str(self.data), "--domain", self.domain] + (["--insecure-http"] if self.insecure else [])
        if self.database:
            args += ["--database", self.database]
        return args

    def _env(self) -> dict[str, str]:
        return {**os.environ, **TEST_ENV, **self.extra_env}

    def start(self) -> "Node":
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> "Node":
        """Start the process without waiting for it to answer (start_cluster boots nodes side by side)."""
        self.data.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "backchannel", "serve", *self._settings(),
                "--listen", f"127.0.0.1:{self.port}"]
        for host, port in self.resolve.items():
            args += ["--resolve", f"{host}=127.0.0.1:{port}"]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self._env(),
                                     preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        log.close()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.domain} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/nodeinfo/2.0", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.domain} did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no chance to finish anything in memory."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([sys.executable, "-m", "backchannel", *args, *self._settings()],
                                input=stdin, capture_output=True, text=True, env=self._env(), timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"backchannel {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def create_user(self, name: str, *extra: str, password: str = "correct horse battery") -> str:
        self.cli("user", "create", name, "--password-stdin", *extra, stdin=password + "\n")
        return password

    def token(self, name: str, scopes: str = "read write follow") -> str:
        return self.cli("token", "create", name, "--scopes", scopes).strip()

    def mastodon(self, token: str):  # noqa: ANN201
        from mastodon import Mastodon

        return Mastodon(access_token=token, api_base_url=self.base, request_timeout=30)


def eventually(check: Callable[[], T], *, timeout: float = 30, interval: float = 0.2,
               message: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail with the last value or error."""
    deadline = time.time() + timeout
    last: object = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last  # type: ignore[return-value]
        except Exception as err:  # noqa: BLE001 - keep polling; report the last failure
            last = err
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout}s; last: {last!r}")


def start_cluster(domains: list[str], root: Path, databases: dict[str, str] | None = None,
                  extra_env: dict[str, str] | None = None, also_resolve: dict[str, int] | None = None) -> dict[str, Node]:
    """Nodes that reach each other (and the servers in `also_resolve`, host → port: a FakeRemote)."""
    ports = {d: free_port() for d in domains}
    nodes = {}
    for domain in domains:
        nodes[domain] = Node(domain=domain, port=ports[domain], data=root / domain,
                             database=(databases or {}).get(domain),
                             resolve={**(also_resolve or {}), **{d: p for d, p in ports.items() if d != domain}},
                             extra_env=dict(extra_env or {}))
    try:
        for node in nodes.values():
            node.launch()
        for node in nodes.values():
            node.wait_ready()
    except Exception:
        for node in nodes.values():
            node.stop()
        raise
    return nodes
