"""Watch seed folders and call back (debounced) when a document is created, changed, moved or deleted.

Filesystem events come from watchdog (inotify on Linux); where the filesystem gives none (network mounts,
some containers) it falls back to polling. Editor temp files and other ignored names never trigger a run.
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
MAX_DELAY = 0.6      # ...but never wait longer than this after the first event


def relevant(path: str, is_directory: bool) -> bool:
    name = os.path.basename(path)
    if is_directory:
        return not name.startswith(".")
    reason = ignore_reason(name)
    # any other file may be one a document links to (an image, a PDF): published under files/, so it counts too
    return reason is None or reason.startswith("unknown extension")


class SeedWatcher:
    """Calls ``on_change()`` from its own thread, at most one call at a time, after a short debounce."""

    def __init__(self, folders: Iterable[Path], on_change: Callable[[], None], *, poll: bool = False) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        self.on_change = on_change
        self._pending = threading.Event()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stop = threading.Event()
        self._observer = None
        self._poll = poll
        self._thread = threading.Thread(target=self._loop, name="seed-watcher", daemon=True)

    # called from watchdog's thread
    def _event(self, src: str, dest: str | None, is_directory: bool) -> None:
        if not (relevant(src, is_directory) or (dest and relevant(dest, is_directory))):
            return
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
                watcher._event(os.fsdecode(event.src_path), os.fsdecode(dest) if dest else None, event.is_directory)

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
                continue
            while not self._stop.is_set():
                now = time.monotonic()
                quiet = now - self._last_event
                waited = now - self._first_event
                if quiet >= DEBOUNCE or waited >= MAX_DELAY:
                    break
                time.sleep(min(DEBOUNCE - quiet, MAX_DELAY - waited, 0.05))
            if self._stop.is_set():
                return
            self._pending.clear()
            try:
                self.on_change()
            except Exception:  # never let the watcher die
                log.exception("seed folder run failed")

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
        if self._thread.is_alive():
            self._thread.join(timeout=2)
