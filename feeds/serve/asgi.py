"""The WSGI and ASGI faces of :class:`~scheduler.serve_app.FeedApp`: server protocols around its core.

Kept apart from the caching core so that ``FeedApp.respond`` reads as HTTP semantics only, and this module as
protocol plumbing only (PEP 3333 environ decoding, ASGI messages, the event loop vs. worker thread split).
``FeedApp`` inherits :class:`_GatewayMixin`, so ``app(environ, start_response)`` and ``app.asgi`` work as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from .http import http_date

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class NeedsRead(Exception):
    """Raised by ``FeedApp.respond(..., may_read=False)`` when the answer needs file I/O (the ASGI face then
    redoes the request in a worker thread, so the event loop never reads files)."""


class _GatewayMixin:
    """WSGI (``__call__``) and ASGI (``asgi``) faces.  The class it is mixed into provides
    ``respond(method, path, header, *, may_read=True) -> Response`` and ``_plain(status, text) -> Response``."""

    # ------------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:  # PEP 3333: PATH_INFO carries the decoded bytes as latin-1
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:
            resp = self._plain(400, "bad request")
        else:
            resp = self.respond(method, path, lambda name: environ.get(_wsgi_key(name)))
        start_response(f"{resp.status} {HTTPStatus(resp.status).phrase}", resp.headers)
        if resp.stream is not None:
            if method == "HEAD":
                resp.close()
                return []
            return resp.stream
        return [resp.body] if resp.body and method != "HEAD" else []

    # ------------------------------------------------------------------- ASGI

    async def asgi(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """ASGI face of the same core (``app.asgi`` is the ASGI application; used with uvicorn).

        Cache hits are answered on the event loop (one ``stat``); a miss (first request after a file
        changed: read, hash, gzip) and large-file streaming run in a worker thread.
        """
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
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        method, path = scope["method"], scope["path"]

        def header(name: str) -> str | None:
            return headers.get(name.lower())

        try:
            resp = self.respond(method, path, header, may_read=False)
        except NeedsRead:
            resp = await asyncio.to_thread(self.respond, method, path, header)
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


_WSGI_KEYS: dict[str, str] = {}


def _wsgi_key(name: str) -> str:
    key = _WSGI_KEYS.get(name)
    if key is None:
        key = _WSGI_KEYS[name] = "HTTP_" + name.upper().replace("-", "_")
    return key


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
