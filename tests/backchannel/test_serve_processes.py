"""`serve --processes N`: N processes answer on one port (SO_REUSEPORT), the first supervising the
others; a sibling that dies is started again, and all stop with the first."""
from __future__ import annotations

import os
import signal
import urllib.request
from pathlib import Path

import pytest

from backchannel.config import ConfigError, load_config
from tests.rig.nodes import Node, eventually, free_port


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def get(node: Node, path: str) -> int:
    # A new connection each time: SO_REUSEPORT spreads connections, not requests.
    request = urllib.request.Request(node.base + path, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        resp.read()
        return resp.status


@pytest.mark.skipif(not hasattr(__import__("socket"), "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_two_processes_share_the_port_restart_a_dead_one_and_stop_together(tmp_path):
    # Given a node started with two processes
    node = Node("acme.test", free_port(), tmp_path / "acme", extra_env={"BACKCHANNEL_PROCESSES": "2"}).start()
    try:
        sibling = eventually(lambda: children(node.proc.pid), timeout=90, message="the second process")[0]
        # When many clients connect, each with a connection of its own, once the second one listens
        eventually(lambda: "listening" in node.log_path.read_text() and
                   node.log_path.read_text().count("listening on") >= 2, timeout=90, message="both listening")
        before = {pid: cpu_ticks(pid) for pid in (node.proc.pid, sibling)}
        statuses = [get(node, "/api/v1/timelines/public") for _ in range(150)]
        # Then every request is answered, by both processes (each did work)
        assert set(statuses) == {200}
        worked = {pid: cpu_ticks(pid) - ticks for pid, ticks in before.items()}
        assert worked[sibling] > 0, worked

        # When the second process dies
        os.kill(sibling, signal.SIGKILL)
        # Then another takes its place and answers too
        replacement = eventually(lambda: [p for p in children(node.proc.pid) if p != sibling and alive(p)],
                                 timeout=90, message="a new second process")[0]
        eventually(lambda: node.log_path.read_text().count("listening on") >= 3, timeout=90,
                   message="the new process listening")
        assert get(node, "/api/v1/instance") == 200
    finally:
        first = node.proc.pid if node.proc else None
        node.stop()
    # And stopping the first stops the others
    eventually(lambda: not alive(replacement), timeout=20, message="the second process gone")
    assert first is not None and not children(first)


def test_processes_is_a_checked_setting():
    assert load_config({"processes": 4}, environ={}).processes == 4
    with pytest.raises(ConfigError, match="processes"):
        load_config({"processes": 0}, environ={})
