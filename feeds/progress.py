"""A progress bar on stderr for long work: reading many documents, fetching many URLs.

Hand-written rather than ``tqdm``: seedfeed needs one bar, one line, no nesting, and it is off in every place
seedfeed usually runs (cron, systemd, pipes), so a dependency would buy nothing a user sees. The bar appears
only when stderr is a terminal, ``-q`` was not given, ``TERM`` is not ``dumb``, and the work is long enough to
be worth watching (:data:`LONG_DOCUMENTS`, :data:`LONG_URLS`). It redraws at most ten times a second and erases
itself when done, so the log lines around it stay clean.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO

LONG_DOCUMENTS = 200   # more documents to read than this: show a bar (a cold build of a big folder)
LONG_URLS = 5          # more URLs to fetch than this: show a bar (network time is slow and uneven)


class Tracker(Protocol):
    def advance(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


#: ``(label, total, long_at) -> Tracker``: what the pipeline asks for before a long loop.
ProgressFactory = Callable[[str, int, int], Tracker]


class NoProgress:
    """The tracker used whenever no bar should be drawn."""

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(label: str, total: int, long_at: int) -> Tracker:
    return NoProgress()


class Bar:
    """One line, redrawn in place: ``reading documents  [#####.....]  512/1024``. Thread-safe (fetches run in
    a pool)."""

    def __init__(self, label: str, total: int, stream: TextIO, width: int = 30, interval: float = 0.1) -> None:
        self.label, self.total, self.stream, self.width, self.interval = label, max(total, 1), stream, width, interval
        self.done = 0
        self._last = 0.0
        self._lock = threading.Lock()
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done = min(self.done + n, self.total)
            self._draw(force=self.done == self.total)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        filled = self.width * self.done // self.total
        self.stream.write(f"\r{self.label}  [{'#' * filled}{'.' * (self.width - filled)}]  {self.done}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        with self._lock:
            line = len(self.label) + self.width + 2 * len(str(self.total)) + 8
            self.stream.write("\r" + " " * line + "\r")
            self.stream.flush()


def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
    """Should long work show a bar? Only for a person watching a terminal."""
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not quiet and os.environ.get("TERM", "") != "dumb"


def factory(quiet: bool, stream: TextIO | None = None) -> ProgressFactory:
    """The progress factory for a command: real bars on a terminal, nothing otherwise."""
    if not wanted(quiet, stream):
        return no_progress
    out = stream or sys.stderr

    def make(label: str, total: int, long_at: int) -> Tracker:
        return Bar(label, total, out) if total > long_at else NoProgress()

    return make
