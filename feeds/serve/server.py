"""`seedfeed serve`: serve the output folder to feed readers with correct HTTP caching.

Layers (so the caching logic is testable without any server):

* :class:`FeedApp` -- the server-independent core.  ``respond(method, path, header)`` maps a decoded
  URL path and the request headers to a :class:`Response` (status, headers, body).  It confines paths
  to the output folder, picks the Content-Type, computes strong ETags from a content hash, handles
  ``If-None-Match`` / ``If-Modified-Since`` (RFC 9110 section 13.2.2 precedence), negotiates gzip and
  keeps pre-compressed responses in memory keyed by (inode, mtime_ns, size).
* ``FeedApp.__call__`` is the WSGI face of that core; :func:`make_app` builds one.
* ``FeedApp.asgi`` is its ASGI face.
* :class:`FeedServer` (this module) runs the core under uvicorn (chosen by measurement, see docs/serving.md and
  bench/serve.py) in a background thread or in the foreground, and stops it cleanly.  If uvicorn is not
  installed it falls back to the stdlib ``ThreadingHTTPServer`` driving the same core.

Modules:

* :mod:`scheduler.serve` (this one) -- the public entry: :class:`FeedServer`, :func:`parse_listen`, and
  re-exports of the names other code imports from ``scheduler.serve``;
* :mod:`scheduler.serve_app` -- :class:`FeedApp`, :class:`Response`, :func:`make_app` and the cache tuning constants;
* :mod:`scheduler.serve_gateway` -- the WSGI and ASGI faces of ``FeedApp``, :class:`NeedsRead`;
* :mod:`scheduler.serve_http` -- content types, HTTP dates, ``Accept-Encoding`` and ``If-None-Match`` rules;
* :mod:`scheduler.serve_backends` -- the uvicorn and stdlib server backends, :data:`BACKENDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from .app import FeedApp, Health, MaxAge, Response, default_max_age, make_app
from .asgi import NeedsRead
from .backends import BACKENDS, DEFAULT_BACKEND, StdlibBackend, UvicornBackend, _Backend, _pick_backend
from .http import accepts_gzip, content_type_for, etag_matches, http_date, parse_http_date

log = logging.getLogger(__name__)

__all__ = [
    "BACKENDS", "DEFAULT_BACKEND", "FeedApp", "FeedServer", "Health", "MaxAge", "NeedsRead", "Response",
    "StdlibBackend", "UvicornBackend", "accepts_gzip", "content_type_for", "default_max_age", "etag_matches",
    "http_date", "make_app", "parse_http_date", "parse_listen",
]


def parse_listen(spec: str) -> tuple[str, int]:
    """``"HOST:PORT"``, ``":PORT"``, ``"PORT"``, ``"HOST"``, ``"[::1]:8000"`` -> (host, port).

    A missing host means 127.0.0.1, a missing port 8000.
    """
    spec = spec.strip()
    host, port_text = "127.0.0.1", ""
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError(f"unterminated IPv6 address in {spec!r}")
        host, rest = spec[1:end], spec[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"expected ':PORT' after ']' in {spec!r}")
            port_text = rest[1:]
    elif spec.isdigit():
        port_text = spec
    elif spec.count(":") == 1:
        host_part, port_text = spec.split(":")
        host = host_part or host
        if not port_text:
            raise ValueError(f"missing port in {spec!r}")
    elif ":" in spec:
        raise ValueError(f"IPv6 addresses must be bracketed, e.g. [::1]:8000, got {spec!r}")
    elif spec:
        host = spec
    if not host:
        raise ValueError(f"empty host in {spec!r}")
    if port_text == "":
        return host, 8000
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"invalid port in {spec!r}")
    return host, int(port_text)


class FeedServer:
    """HTTP server for the output folder; runs in a background thread or in the foreground."""

    def __init__(
        self,
        output_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        max_age: MaxAge | None = None,
        health: Health | None = None,
        backend: str | None = None,
        threads: int = 8,
    ) -> None:
        self.app = make_app(Path(output_dir), max_age=max_age, health=health)
        self.host = host
        self.port = port
        self._backend_cls = _pick_backend(backend)
        self._threads = threads
        self._backend: _Backend | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Listen, then serve from a daemon thread; returns once the socket accepts connections."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("FeedServer already started")
            backend = self._backend_cls(self.app, self.host, self.port, self._threads)
            backend.bind()
            self._backend = backend
            self.port = backend.port
            self._done.clear()
            self._thread = threading.Thread(target=self._run, args=(backend,), name="seedfeed-serve", daemon=True)
            self._thread.start()
            while not backend.ready():
                if self._done.wait(0.005):
                    self._backend = self._thread = None
                    raise RuntimeError(f"HTTP server on {self.url} failed to start")
        log.debug("serving %s on %s", self.app.root, self.url)

    def _run(self, backend: _Backend) -> None:
        try:
            backend.run()
        except BaseException:  # incl. SystemExit, which uvicorn raises when start-up fails
            log.exception("HTTP server crashed")
        finally:
            self._done.set()

    def serve_forever(self) -> None:
        """Serve in the foreground until :meth:`stop` is called (from another thread) or Ctrl-C."""
        if self._thread is None:
            self.start()
        try:
            while not self._done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self, timeout: float = 5) -> None:
        """Stop listening, finish or drop in-flight requests and join the thread. Idempotent."""
        with self._lock:
            backend, thread = self._backend, self._thread
            self._backend = self._thread = None
        if backend is None or thread is None:
            return
        deadline = time.monotonic() + timeout
        try:
            backend.shutdown(timeout)
        finally:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                backend.force()
                thread.join(1.0)
            if thread.is_alive():
                log.warning("HTTP server thread did not stop within %.1fs", timeout)
            self._done.set()

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
