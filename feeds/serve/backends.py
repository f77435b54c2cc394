"""HTTP server libraries that :class:`~scheduler.serve.FeedServer` can drive: uvicorn, and the stdlib fallback.

Each backend wraps one library behind the small ``bind()`` / ``run()`` / ``shutdown()`` interface of
:class:`_Backend`, so ``FeedServer`` starts and stops them all the same way and bench/serve.py can register more
candidates in :data:`BACKENDS` to measure them.  uvicorn is the default, chosen by measurement (docs/serving.md);
the stdlib ``ThreadingHTTPServer`` is used when uvicorn is not installed.
"""

from __future__ import annotations

import logging
import socket
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import FeedApp

# the public module's name, so log records (and filters on them) are the same as before the split into modules
log = logging.getLogger("scheduler.serve")


class _Backend:
    """One HTTP server library: ``bind()`` listens (sets ``port``), ``run()`` serves until
    ``shutdown()`` is called from another thread."""

    port: int

    def bind(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        """True once requests are being served (``bind()`` already queues connections)."""
        return True

    def shutdown(self, timeout: float) -> None:
        raise NotImplementedError

    def force(self) -> None:
        """Called if ``run()`` has not returned within the stop timeout."""


class UvicornBackend(_Backend):
    """uvicorn (uvloop + httptools when installed) on a socket we bind ourselves, so a busy port
    fails in ``start()`` and ``port=0`` is known at once.  Off the main thread uvicorn installs no
    signal handlers; ``should_exit`` makes its loop close listeners and connections and return."""

    loop = "auto"
    http = "auto"

    def __init__(self, app: FeedApp, host: str, port: int, threads: int = 0) -> None:
        import uvicorn

        self.app, self.host, self.requested_port = app, host, port
        self.config = uvicorn.Config(
            app.asgi,
            interface="asgi3",  # a bound coroutine method; uvicorn's guess would say ASGI2
            loop=self.loop,
            http=self.http,
            lifespan="off",
            log_config=None,  # leave the daemon's logging configuration alone
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,  # the gateway sends its own, never older than Last-Modified
            headers=[("server", "seedfeed")],
            ws="none",
        )
        self.server = uvicorn.Server(self.config)
        self.sock: socket.socket | None = None

    def bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(1024)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.port = sock.getsockname()[1]

    def run(self) -> None:
        assert self.sock is not None
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def ready(self) -> bool:
        return bool(self.server.started)

    def shutdown(self, timeout: float) -> None:
        self.config.timeout_graceful_shutdown = max(0.1, timeout - 0.5)  # type: ignore[assignment]
        self.server.should_exit = True

    def force(self) -> None:
        self.server.force_exit = True


class _StdlibHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "seedfeed"
    timeout = 30  # idle keep-alive seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    app: FeedApp

    def _handle(self) -> None:
        target = self.path
        if "://" in target.split("/", 1)[0] + "/":  # absolute-form request target
            target = urllib.parse.urlsplit(target).path or "/"
        raw = target.split("?", 1)[0].split("#", 1)[0]
        try:
            path = urllib.parse.unquote(raw, errors="strict")
        except UnicodeDecodeError:
            resp = FeedApp._plain(400, "bad request")
        else:
            resp = self.app.respond(self.command, path, self.headers.get)
        try:
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and resp.status != 304:
                if resp.stream is not None:
                    for chunk in resp.stream:
                        self.wfile.write(chunk)
                elif resp.body:
                    self.wfile.write(resp.body)
        finally:
            resp.close()

    def version_string(self) -> str:
        return self.server_version

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # client went away: not our problem
            log.debug("connection from %s dropped", client_address)
        else:
            log.exception("error while serving %s", client_address)


class StdlibBackend(_Backend):
    def __init__(self, app: FeedApp, host: str, port: int, threads: int = 0) -> None:
        handler = type("Handler", (_StdlibHandler,), {"app": app})
        server_cls = _ThreadingServer
        if ":" in host:
            server_cls = type("Server6", (_ThreadingServer,), {"address_family": socket.AF_INET6})
        self.server = server_cls((host, port), handler, bind_and_activate=False)

    def bind(self) -> None:
        try:
            self.server.server_bind()
            self.server.server_activate()
        except BaseException:
            self.server.server_close()
            raise
        self.port = self.server.server_address[1]

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.25)

    def shutdown(self, timeout: float) -> None:
        self.server.shutdown()
        self.server.server_close()


#: Server libraries FeedServer can drive (bench/serve.py registers more candidates for measuring).
BACKENDS: dict[str, type[_Backend]] = {
    "uvicorn": UvicornBackend,
    "stdlib": StdlibBackend,
}
DEFAULT_BACKEND = "uvicorn"


def _pick_backend(name: str | None) -> type[_Backend]:
    if name is not None:
        return BACKENDS[name]
    try:
        import uvicorn  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn is a declared dependency
        log.warning("uvicorn is not installed; serving with the stdlib ThreadingHTTPServer")
        return StdlibBackend
    return BACKENDS[DEFAULT_BACKEND]

