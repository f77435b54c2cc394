"""Connection hygiene for ``seedfeed serve``: the limits nginx has and uvicorn does not (issue #11, item 9).

:class:`GuardedProtocol` is uvicorn's httptools protocol with four additions, so that slow or hostile clients
cannot take the feeds offline:

* a **header timeout**: a connection must deliver a complete request head (request line and headers) within
  :data:`HEADER_TIMEOUT` seconds of opening, or of its previous response; otherwise it is closed (with a
  ``408`` when it had sent part of a request). uvicorn's keep-alive timeout only runs *after* a response, so a
  socket that sends nothing, half a request line, or headers without the final blank line was held forever;
* a **cap on the request head**: more than :data:`MAX_HEAD_BYTES` bytes, or more than :data:`MAX_HEADERS`
  header lines, is answered ``431`` at once and closed. The parser buffers an unfinished header line whole,
  so 20 clients sending 8 MB each took the server from 35 MB to 229 MB;
* a **cap on connections** below the open-file limit (:func:`connection_cap`): at the cap, a new connection
  closes the connection that has waited longest for a request head (idle or trickling), rather than the
  server running out of file descriptors and failing every ``accept`` -- so well-behaved readers, who send
  their request at once, keep being served while a slowloris holds the rest;
* **answers the parser would otherwise turn into a bare 400**: an unknown method is ``501``, an HTTP version
  other than 1.x is ``505``, and every error the server writes itself carries a ``Date`` (RFC 9110 §6.6.1).

The request checks that need the parsed head (``Host`` count, ``HTTP/2.0`` parsed as a version) are made by
:class:`~.asgi.AsgiApp`. Only the httptools protocol is guarded (it is what ``http="auto"`` picks, and a hard
dependency); the hooks used (``data_received``, ``on_header``, ``on_headers_complete``, ``on_response_complete``,
``send_400_response``) are the ones uvicorn's httptools protocol has had since 0.30.
"""

from __future__ import annotations

import asyncio
import re
import resource
import time
from collections.abc import Sequence
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .http import http_date

#: Seconds a connection has to deliver a complete request head (nginx: client_header_timeout 60 s; the issue: 10 s).
HEADER_TIMEOUT = 10.0
#: Bytes of request line plus headers (nginx: 4 x 8 KB large_client_header_buffers; a feed reader sends < 2 KB).
MAX_HEAD_BYTES = 32 * 1024
#: Header lines in one request (Apache's LimitRequestFields default).
MAX_HEADERS = 100

#: "METHOD target HTTP/x.y": a well-formed request line, whose method the parser merely does not know (501, not 400)
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP/\d\.\d\r?\n")
_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large",
            501: "Not Implemented", 505: "HTTP Version Not Supported"}


def connection_cap(reserve: int = 32) -> int:
    """Connections to keep at most: the soft open-file limit, less room for the files being served, the
    listening socket and the daemon's own (``reserve``, or an eighth of the limit if that is more)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(8, soft - max(reserve, soft // 8))


def error_bytes(status: int, text: str, *, keep_headers: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """A complete ``text/plain`` error response that closes the connection, with a ``Date``."""
    body = f"{text}\n".encode()
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}".encode()]
    head += [name + b": " + value for name, value in keep_headers]
    head += [b"Date: " + http_date(time.time()).encode(), b"Content-Type: text/plain; charset=utf-8",
             b"Content-Length: " + str(len(body)).encode(), b"Cache-Control: no-store",
             b"X-Content-Type-Options: nosniff", b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, head size/count caps, a connection cap, and exact
    error statuses (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0          # bytes received while waiting for the current request head
        self._waiting = True          # waiting for a request head (new connection, or after a response)
        self._since = time.monotonic()
        self._header_count = 0
        self._reject: tuple[int, str] | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    # -- connection lifecycle ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = getattr(self.server_state, "seedfeed_cap", None)
        if cap is None:
            cap = self.server_state.seedfeed_cap = connection_cap()  # type: ignore[attr-defined]
        if len(self.connections) > cap:
            self._evict()
        if not self.transport.is_closing():
            self._wait_for_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _evict(self) -> None:
        """At the cap: close the connection that has waited longest for a request head (this one if none has)."""
        waiting = [c for c in self.connections if isinstance(c, GuardedProtocol) and c._waiting and c is not self]
        victim = min(waiting, key=lambda c: c._since) if waiting else self
        victim._close(408 if victim._head_bytes else None, "request timeout")

    def _wait_for_head(self) -> None:
        self._waiting = True
        self._since = time.monotonic()
        self._head_bytes = 0
        self._stop_timer()
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT, self._head_timeout)

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self._waiting:
            self._close(408 if self._head_bytes else None, "request timeout: the request headers took too long")

    def _close(self, status: int | None, text: str) -> None:
        self._stop_timer()
        self._waiting = False
        if self.transport is None or self.transport.is_closing():
            return
        if status is not None:
            self.transport.write(error_bytes(status, text, keep_headers=self.server_state.default_headers))
        self.transport.close()

    # -- parsing ----------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._waiting:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            if _REQUEST_LINE.match(data):
                self._close(501, "method not implemented: this server answers GET and HEAD")
            else:
                self._close(400, "bad request")
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if self._reject is not None:
                self._close(*self._reject)
            elif "version" in str(exc).lower():
                self._close(505, "HTTP version not supported: use HTTP/1.1")
            else:
                self._close(400, "bad request")
            return
        if self._waiting and self._head_bytes > MAX_HEAD_BYTES:
            self._close(431, f"request headers too large (more than {MAX_HEAD_BYTES // 1024} KB)")

    def on_message_begin(self) -> None:
        self._header_count = 0
        self._reject = None
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._reject = (431, f"too many request headers (more than {MAX_HEADERS})")
            raise ValueError("too many headers")   # httptools stops parsing; data_received answers 431
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._waiting and self._head_bytes > MAX_HEAD_BYTES:
            self._reject = (431, f"request headers too large (more than {MAX_HEAD_BYTES // 1024} KB)")
            raise ValueError("head too large")
        self._waiting = False
        self._stop_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # the next request head is awaited only when no pipelined request is still being answered
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._wait_for_head()

    def send_400_response(self, msg: str) -> None:
        self._close(400, "bad request")
