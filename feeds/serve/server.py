"""Run the server: :class:`FeedServer` serves the output folder under uvicorn, in a background thread or in the
foreground, and stops it cleanly; :func:`parse_listen` reads ``--listen``.

uvicorn (with uvloop and httptools) was chosen by measurement against waitress, cheroot, granian and the stdlib
server (docs/serving.md, bench/serve.py); it is the only server the product ships.  It drives
:class:`~.asgi.AsgiApp`, the ASGI face of the caching core :class:`~.app.FeedApp`, through
:class:`~.guard.GuardedProtocol` (header timeout, head size and connection caps: slow clients cannot hold it).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import uvicorn

from .app import Health, MaxAge, make_app
from .asgi import AsgiApp
from .guard import GuardedProtocol

log = logging.getLogger("seedfeed.serve")


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
    """HTTP server for the output folder; runs in a background thread or in the foreground.

    It binds the socket itself, so a busy port fails in :meth:`start` and ``port=0`` is known at once, then runs
    ``uvicorn.Server.run(sockets=[sock])`` in a daemon thread.  Off the main thread uvicorn installs no signal
    handlers; ``should_exit`` makes its loop close listeners and connections and return.
    """

    #: uvicorn's event loop and HTTP protocol ("auto": uvloop, and httptools guarded by :class:`GuardedProtocol`;
    #: bench/serve.py sets "h11" to measure pure-Python uvicorn, which is then unguarded).
    loop = "auto"
    http = "auto"

    def __init__(
        self,
        output_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        max_age: MaxAge | None = None,
        health: Health | None = None,
    ) -> None:
        self.app = make_app(Path(output_dir), max_age=max_age, health=health)
        self.asgi = AsgiApp(self.app)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
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
            sock = self._bind()
            server = uvicorn.Server(self._config())
            self._server = server
            self.port = sock.getsockname()[1]
            self._done.clear()
            self._thread = threading.Thread(target=self._run, args=(server, sock), name="seedfeed-serve", daemon=True)
            self._thread.start()
            while not server.started:
                if self._done.wait(0.005):
                    self._server = self._thread = None
                    raise RuntimeError(f"HTTP server on {self.url} failed to start")
        log.debug("serving %s on %s", self.app.root, self.url)

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.asgi,
            interface="asgi3",
            loop=self.loop,
            http=GuardedProtocol if self.http == "auto" else self.http,
            lifespan="off",
            log_config=None,  # leave the daemon's logging configuration alone
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,  # the ASGI app sends its own, never older than Last-Modified
            headers=[("server", "seedfeed")],
            ws="none",
        )

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(1024)
        except BaseException:
            sock.close()
            raise
        return sock

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException:  # incl. SystemExit, which uvicorn raises when start-up fails
            log.exception("HTTP server crashed")
        finally:
            sock.close()
            self._done.set()

    def serve_forever(self) -> None:
        """Serve in the foreground until :meth:`stop` is called (from another thread) or Ctrl-C (also one that comes
        while the server is starting)."""
        try:
            if self._thread is None:
                self.start()
            while not self._done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self, timeout: float = 5) -> None:
        """Stop listening, finish or drop in-flight requests and join the thread. Idempotent."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        deadline = time.monotonic() + timeout
        try:
            server.config.timeout_graceful_shutdown = max(0.1, timeout - 0.5)  # type: ignore[assignment]
            server.should_exit = True
        finally:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                server.force_exit = True
                thread.join(1.0)
            if thread.is_alive():
                log.warning("HTTP server thread did not stop within %.1fs", timeout)
            self._done.set()

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
