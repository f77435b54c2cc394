"""Watch seed folders and call back (debounced) when a document is created, changed, moved or deleted.

Filesystem events come from watchdog (inotify on Linux); where the filesystem gives none (network mounts,
some containers) it falls back to polling. Editor temp files and other ignored names never trigger a run.
The callback gets the paths the events named, so a run looks at those files only instead of walking a
folder of 100,000; a folder created, moved or deleted, and a timer (``FULL_WALK_EVERY``), ask for a full walk
(``None``) as a safety net for anything events missed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..sources.walk import ignore_reason

log = logging.getLogger(__name__)

DEBOUNCE = 0.15      # seconds of quiet before a run: a file written in pieces is read once it is complete
SETTLED = 0.02       # ...or this, when every file written since the last run has been closed (inotify says so)
MAX_DELAY = 0.6      # ...but never wait longer than this after the first event
FULL_WALK_EVERY = 600.0   # seconds between full walks when events alone drive the runs


def relevant(path: str, is_directory: bool) -> bool:
    name = os.path.basename(path)
    if is_directory:
        return not name.startswith(".")
    reason = ignore_reason(name)
    # any other file may be one a document links to (an image, a PDF): published under files/, so it counts too
    return reason is None or reason.startswith("unknown extension")


class SeedWatcher:
    """Calls ``on_change(paths)`` from its own thread, at most one call at a time, after a short debounce.

    ``paths`` is the set of changed file paths, or ``None`` for "walk everything"."""

    def __init__(self, folders: Iterable[Path], on_change: Callable[[set[str] | None], None], *,
                 poll: bool = False, full_every: float = FULL_WALK_EVERY) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        self.on_change = on_change
        self.full_every = full_every
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._writing: set[str] = set()   # files opened for writing and not closed yet
        self._full = False
        self._last_full = time.monotonic()   # the daemon's first run walks everything
        self._pending = threading.Event()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stop = threading.Event()
        self._observer = None
        self._poll = poll
        self._thread = threading.Thread(target=self._loop, name="seed-watcher", daemon=True)

    # called from watchdog's thread
    def _event(self, src: str, dest: str | None, is_directory: bool, kind: str = "modified") -> None:
        if not (relevant(src, is_directory) or (dest and relevant(dest, is_directory))):
            return
        with self._lock:
            if is_directory:
                if kind not in ("created", "deleted", "moved"):
                    return   # a file inside changed: that file's own event names it
                self._full = True
            else:
                self._paths.update(p for p in (src, dest) if p)
                if kind in ("created", "modified"):
                    self._writing.add(src)
                elif kind == "closed":
                    self._writing.discard(src)
        now = time.monotonic()
        if not self._pending.is_set():
            self._first_event = now
        self._last_event = now
        self._pending.set()

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                dest = getattr(event, "dest_path", None) or None
                watcher._event(os.fsdecode(event.src_path), os.fsdecode(dest) if dest else None, event.is_directory,
                               event.event_type)

        self._observer = self._make_observer(Handler())
        self._thread.start()

    def _make_observer(self, handler):  # noqa: ANN001, ANN202 - watchdog types
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        if not self._poll:
            try:
                observer = Observer()
                for folder in self.folders:
                    observer.schedule(handler, str(folder), recursive=True)
                observer.start()
                return observer
            except OSError as exc:  # e.g. inotify watch limit reached
                log.warning("file events unavailable (%s); polling seed folders every second instead", exc)
        observer = PollingObserver(timeout=1.0)
        for folder in self.folders:
            observer.schedule(handler, str(folder), recursive=True)
        observer.start()
        return observer

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self._pending.wait(timeout=0.5):
                if time.monotonic() - self._last_full >= self.full_every:
                    self._call(None)
                continue
            while not self._stop.is_set():
                now = time.monotonic()
                quiet = now - self._last_event
                waited = now - self._first_event
                debounce = DEBOUNCE if self._writing else SETTLED
                if quiet >= debounce or waited >= MAX_DELAY:
                    break
                time.sleep(max(0.005, min(debounce - quiet, MAX_DELAY - waited, 0.05)))
            if self._stop.is_set():
                return
            self._pending.clear()
            with self._lock:
                paths, full = self._paths, self._full
                self._paths, self._full, self._writing = set(), False, set()
            self._call(None if full else paths)

    def _call(self, paths: set[str] | None) -> None:
        if paths is None:
            self._last_full = time.monotonic()
        try:
            self.on_change(paths)
        except Exception:  # never let the watcher die
            log.exception("seed folder run failed")

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
        if self._thread.is_alive():
            self._thread.join(timeout=2)
