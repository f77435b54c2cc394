"""The deadline watchdog of :mod:`seedfeed.fetch`: a total time limit for each try, whatever the server does.

Socket timeouts bound each read, not the whole exchange: a server that drips one byte a second never trips them.
So every try gets a :class:`_Watchdog` with the policy's ``deadline``.  It learns the connection each request is
sent on and the socket it uses (via :func:`seedfeed.fetch.netguard.watch_connections`), and when the deadline passes
it shuts that socket down, which wakes the blocked read in the fetching thread. It keeps the socket itself, not
just the connection: after a ``Connection: close`` answer http.client sets ``conn.sock`` to ``None`` while the body
is still being read from that socket, and a watchdog that looked only at ``conn.sock`` found nothing to shut
(issue #11: a page dripping one byte a second with ``Content-Length`` and ``Connection: close`` hung ``build``).
One daemon thread for the whole process fires the expired watchdogs from a heap, rather than a
``threading.Timer`` (a thread) per request.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time


class _DeadlineThread:
    """One daemon thread for the whole process that fires expired watchdogs (cheaper than a Timer each)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, when: float, watchdog: _Watchdog) -> None:
        with self._cond:
            if len(self._heap) > 4096:   # finished exchanges are dropped lazily; compact now and then
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (when, next(self._counter), watchdog))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="seedfeed-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    when, _n, watchdog = self._heap[0]
                    delay = when - time.monotonic()
                    if delay <= 0:
                        heapq.heappop(self._heap)
                        break
                    self._cond.wait(delay)
            watchdog.expire()


_DEADLINES = _DeadlineThread()


class _Watchdog:
    """Shuts down the socket of the current exchange when its deadline passes."""

    _lock = threading.Lock()

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.done = False
        self._conn = None
        self._sock: socket.socket | None = None
        _DEADLINES.add(time.monotonic() + max(seconds, 0.0), self)

    def register(self, conn, sock: socket.socket | None = None) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            if conn is not self._conn:
                self._sock = None
            self._conn = conn
            if sock is not None:
                self._sock = sock
            conn._seedfeed_owner = self  # a pooled connection belongs to whoever sent on it last
            late = self.expired and not self.done
        if late:   # the deadline passed before this socket existed (a slow DNS lookup): cut it off at once
            self.expire()

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            conn = self._conn
            if conn is None or getattr(conn, "_seedfeed_owner", None) is not self:
                return
            sock = getattr(conn, "sock", None) or self._sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # wakes a blocked recv in the other thread

    def finish(self) -> None:
        with self._lock:
            self.done = True
