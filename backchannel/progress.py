"""Progress of a long command on standard error: a bar redrawn in place on a terminal, a plain line
per step (at most one per tenth of the way) when the output is a file or a pipe."""
from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def __call__(self, done: int, total: int, note: str = "") -> None:
        total = max(total, 1)
        done = min(done, total)
        if self.tty:
            filled = WIDTH * done // total
            self.stream.write(f"\r{self.label} [{'#' * filled}{' ' * (WIDTH - filled)}] {done}/{total} {note}"
                              .ljust(WIDTH + len(self.label) + 30))
            if done == total:
                self.stream.write("\n")
        else:
            tenth = 10 * done // total
            if tenth == self._last_tenth and done != total:
                return
            self._last_tenth = tenth
            self.stream.write(f"{self.label}: {done}/{total}{' ' + note if note else ''}\n")
        self.stream.flush()
