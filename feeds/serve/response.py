"""What the caching core answers with: a :class:`Response`, or :class:`NeedsRead` when it may not touch the disk.

Shared by the core (:mod:`.app`) and its ASGI face (:mod:`.asgi`); both import this module and neither imports
the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class NeedsRead(Exception):
    """Raised by ``FeedApp.respond(..., may_read=False)`` when the answer needs file I/O (the ASGI face then
    redoes the request in a worker thread, so the event loop never reads files)."""


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    #: Streamed body for files too large for the memory cache (None when ``body`` holds it all).
    stream: Iterator[bytes] | None = None

    def close(self) -> None:
        if self.stream is not None:
            close = getattr(self.stream, "close", None)
            if close is not None:
                close()


def plain(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Response:
    """A short ``text/plain`` answer that no cache keeps (errors, redirects)."""
    body = text.encode() + b"\n"
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
        *(extra or []),
    ]
    return Response(status, headers, body)
