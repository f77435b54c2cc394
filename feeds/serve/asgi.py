"""The ASGI face of the caching core: :class:`AsgiApp` holds a core and speaks ASGI 3 for it (used with uvicorn).

Kept apart from the core so that ``FeedApp.respond`` reads as HTTP semantics only, and this module as protocol
plumbing only: ASGI messages, decoding the request path, the event loop vs. worker thread split, the ``Date``
header.  It needs only something with ``respond(method, path, header, *, may_read)``, not :mod:`.app` itself.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .http import http_date
from .response import NeedsRead, Response, plain

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Core(Protocol):
    def respond(
        self, method: str, path: str, header: Callable[[str], str | None], *, may_read: bool = True
    ) -> Response: ...


class AsgiApp:
    """ASGI application answering every request with ``core.respond``.

    Cache hits are answered on the event loop (one ``stat``); a miss (first request after a file changed: read,
    hash, gzip) and large-file streaming run in a worker thread.
    """

    def __init__(self, core: Core) -> None:
        self.core = core

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        hosts = 0
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
            hosts += name == "host"
        method, path = scope["method"], request_path(scope)
        version = scope.get("http_version", "1.1")

        def header(name: str) -> str | None:
            return headers.get(name.lower())

        if version not in ("1.0", "1.1"):   # the parser reads "HTTP/2.0" on an HTTP/1 request line as a version
            resp = plain(505, "HTTP version not supported: use HTTP/1.1", [("Connection", "close")])
        elif hosts > 1 or (hosts == 0 and version == "1.1"):   # RFC 9112 section 3.2: MUST answer 400
            resp = plain(400, "bad request: exactly one Host header is required")
        elif path is None:
            resp = plain(400, "bad request: the path is not valid UTF-8")
        else:
            try:
                resp = self.core.respond(method, path, header, may_read=False)
            except NeedsRead:
                resp = await asyncio.to_thread(self.core.respond, method, path, header)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": resp.status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers]
                    + [(b"date", _date_header())],
                }
            )
            if resp.stream is not None and method != "HEAD":
                while (chunk := await asyncio.to_thread(next, resp.stream, b"")) != b"":
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": resp.body if method != "HEAD" else b""})
        finally:
            resp.close()


def request_path(scope: dict[str, Any]) -> str | None:
    """The percent-decoded URL path of an ASGI ``http`` scope, or None if it is not valid UTF-8.

    Decoded from ``raw_path`` (the bytes on the request line): servers decode ``path`` leniently, so
    ``/%C3(`` would arrive there as ``/\\ufffd(``, a name that merely does not exist, instead of a bad request.
    """
    raw = scope.get("raw_path")
    if raw is None:  # optional in the ASGI spec
        return scope["path"]
    try:
        return urllib.parse.unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
    except UnicodeDecodeError:
        return None


_date_cache: list[int | bytes] = [0, b""]


def _date_header() -> bytes:
    """The ``Date`` of a response, read from the clock as it is sent (once per second is formatted).

    uvicorn's own Date is refreshed by a timer and can lag a second behind the clock; ``Last-Modified``
    (clamped to the clock when a file claims a future time) would then be later than ``Date``, which RFC 9110
    section 8.8.2.1 forbids. So the server's Date is off (``date_header=False``) and this one is sent instead.
    """
    now = int(time.time())
    if now != _date_cache[0]:
        _date_cache[:] = [now, http_date(now).encode("latin-1")]
    return _date_cache[1]
