"""Misbehaving HTTP servers on 127.0.0.1 for the hang and run-budget tests (issue #11), and ``bench/run_budget.py``.

Raw sockets, one thread per connection, because the misbehaviour is below what an HTTP framework lets a handler
do: a body dripped one byte at a time after ``Content-Length`` and ``Connection: close``, a chunk, a gzip stream
or a TLS record that never ends, headers that never end, a robots.txt that drips, a request never answered.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
from collections.abc import Callable

HTML = "<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>" \
       "<p>This page answers at once. It is the {title} of the run-budget test, and it has a paragraph.</p>" \
       "</article></body></html>"

#: the ways a page can drip (issue #11, item 1), each on its own server
DRIP_MODES = ("length-close", "chunked", "gzip", "headers", "tls-handshake", "robots")


class Server:
    """Accepts connections on 127.0.0.1 and runs ``handler(conn, request, stop)`` for each, in a thread."""

    def __init__(self, handler: Callable[[socket.socket, bytes, threading.Event], None], *,
                 read_request: bool = True) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.read_request = read_request
        self.requests: list[str] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn) if self.read_request else b""
            if self.read_request:
                self.requests.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
            self.handler(conn, request, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    conn.settimeout(None)
    return data


def _path(request: bytes) -> str:
    parts = request.split(b" ", 2)
    return parts[1].decode("latin-1") if len(parts) > 1 else ""


def _answer(conn: socket.socket, status: str, body: bytes = b"", extra: str = "") -> None:
    conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                 f"{extra}Connection: close\r\n\r\n".encode() + body)


def drip(conn: socket.socket, data: bytes, interval: float, stop: threading.Event) -> None:
    """Send ``data`` one byte every ``interval`` seconds: every read is quick, the whole is never done."""
    for i in range(len(data)):
        if stop.wait(interval):
            return
        conn.sendall(data[i:i + 1])


def dripping(mode: str, interval: float = 0.5) -> Callable[[socket.socket, bytes, threading.Event], None]:
    """A handler whose page (or robots.txt, for ``robots``) drips in the way ``mode`` names."""
    body = b"<html><body><p>" + os.urandom(50_000).hex().encode() + b"</p></body></html>"

    def handler(conn: socket.socket, request: bytes, stop: threading.Event) -> None:
        robots = _path(request) == "/robots.txt"
        if mode == "robots":
            if robots:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100100\r\n"
                             b"Connection: close\r\n\r\n")
                drip(conn, b"# " + b"x" * 100098, interval, stop)
            else:
                _answer(conn, "200 OK", HTML.format(title="Behind a dripping robots.txt").encode())
            return
        if robots:
            _answer(conn, "404 Not Found")
            return
        if mode == "length-close":     # the exact case of issue #11: build ran for more than 500 s
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100100\r\n"
                         b"Connection: close\r\n\r\n")
            drip(conn, body[:100100], interval, stop)
        elif mode == "chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
                         b"Connection: close\r\n\r\n" + b"%x\r\n" % len(body))
            drip(conn, body, interval, stop)
        elif mode == "gzip":
            packed = gzip.compress(body)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(packed))
            drip(conn, packed, interval, stop)
        elif mode == "headers":
            drip(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"y" * 60000 + b"\r\n\r\n",
                 interval, stop)
        else:
            raise ValueError(mode)
    return handler


def tls_handshake_drip(conn: socket.socket, request: bytes, stop: threading.Event, interval: float = 0.5) -> None:
    """Answer a ClientHello with a TLS handshake record that announces 16,000 bytes and drips them."""
    conn.recv(4096)   # the ClientHello
    conn.sendall(b"\x16\x03\x03\x3e\x80")   # handshake record, TLS 1.2, length 16000
    drip(conn, b"\x02" + b"\x00" * 15999, interval, stop)


def bad_host(drip_interval: float = 1.0, ok_pages: int = 11) -> Server:
    """One host serving about 20 URLs, as in issue #11 item 2: one never answers, one drips, four answer 500, two
    503 with ``Retry-After: 30``, one 429 with ``Retry-After: 3600``; ``/ok-N`` answer at once."""
    def handler(conn: socket.socket, request: bytes, stop: threading.Event) -> None:
        path = _path(request)
        if path == "/robots.txt":
            _answer(conn, "404 Not Found")
        elif path.startswith("/ok-"):
            _answer(conn, "200 OK", HTML.format(title=f"Good page {path[4:]}").encode())
        elif path == "/never":
            stop.wait(600)
        elif path == "/drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100100\r\n"
                         b"Connection: close\r\n\r\n")
            drip(conn, b"<p>" + b"x" * 100097, drip_interval, stop)
        elif path.startswith("/e500-"):
            _answer(conn, "500 Internal Server Error", b"oops")
        elif path.startswith("/busy-"):
            _answer(conn, "503 Service Unavailable", b"busy", "Retry-After: 30\r\n")
        elif path == "/limited":
            _answer(conn, "429 Too Many Requests", b"slow down", "Retry-After: 3600\r\n")
        else:
            _answer(conn, "404 Not Found")
    return Server(handler)


def bad_host_paths(ok_pages: int = 11) -> list[str]:
    """The paths of :func:`bad_host`, bad ones first (so they are fetched while the good ones wait)."""
    return (["/never", "/drip", "/e500-1", "/e500-2", "/e500-3", "/e500-4", "/busy-1", "/busy-2", "/limited"]
            + [f"/ok-{n}" for n in range(1, ok_pages + 1)])
