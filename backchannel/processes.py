"""`serve --processes N`: the first process starts N - 1 more that listen on the same port.

Python answers requests on one core per process; with SO_REUSEPORT the kernel spreads incoming
connections over every process bound to the port, so reads scale with the cores without a proxy in
front. The first process migrates the database before any other starts, and is the only one running
the queue workers (when `workers` is on); the others are `serve --no-workers` processes. Everything
they must agree on already lives in the database (rate limits aside: each process limits on its own).

A sibling that dies is started again (after a pause, so one that cannot start does not spin); all of
them stop with the first, and on Linux the kernel stops them if the first is killed outright.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import signal
import sys

log = logging.getLogger(__name__)
RESTART_PAUSE = 2.0  # seconds before a sibling that exited is started again
STOP_GRACE = 10.0  # seconds a sibling has to finish its requests after SIGTERM


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the kernel sends SIGTERM to this process when the one that started it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Siblings:
    def __init__(self, count: int, argv: list[str]):
        self.count = max(0, count)
        self.command = [sys.executable, "-m", "backchannel", *argv]
        self.procs: list[asyncio.subprocess.Process | None] = [None] * self.count
        self.tasks: list[asyncio.Task] = []
        self.stopping = False

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self._keep(n), name=f"serve-sibling-{n}") for n in range(self.count)]

    async def _keep(self, n: int) -> None:
        while not self.stopping:
            proc = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
            self.procs[n] = proc
            code = await proc.wait()
            if self.stopping:
                return
            log.warning("serve process %d (pid %d) exited with %s; starting it again", n + 2, proc.pid, code)
            await asyncio.sleep(RESTART_PAUSE)

    async def stop(self) -> None:
        self.stopping = True
        running = [p for p in self.procs if p is not None and p.returncode is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
