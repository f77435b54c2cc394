"""HTTP-level helpers for :mod:`seedfeed.fetch`: reading response headers, classifying answers, pacing per host.

Small pieces the fetcher is built from, kept out of :class:`~seedfeed.fetch.Fetcher` so each can be read (and tested)
on its own: ``Retry-After`` and ``Content-Type`` parsing, which statuses are redirects or worth a retry, sniffing
an untyped body for HTML, digging the real cause out of nested requests/urllib3 exceptions, the internal
:class:`_Transient` / :class:`_Response` records passed between one try and the retry loop, and
:class:`_HostGate`, the per-host concurrency limit and spacing between request starts.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from http import HTTPStatus
from typing import TypeVar

import requests

from ..records import record

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524, 525, 526, 529})
_CHUNK = 64 * 1024
E = TypeVar("E", bound=BaseException)


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 10 else f"{round(value)} s"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """("text/html", "utf-8") from "text/html; charset=UTF-8"; ("", None) when missing."""
    if not value:
        return "", None
    msg = email.message.Message()
    msg["content-type"] = value
    mime = value.split(";", 1)[0].strip().lower()
    charset = msg.get_param("charset")
    if isinstance(charset, tuple):   # RFC 2231 form
        charset = charset[2]
    charset = str(charset).strip().strip("\"'") if charset else None
    return mime, (charset or None)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")) or b"<html" in head


def _cause(e: BaseException, kind: type[E]) -> E | None:
    """The exception of type ``kind`` behind a requests/urllib3 exception (they nest several deep)."""
    seen: set[int] = set()
    todo: list[object] = [e]
    while todo:
        x = todo.pop()
        if not isinstance(x, BaseException) or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, kind):
            return x
        todo += [getattr(x, "reason", None), x.__cause__, x.__context__, *x.args]
    return None


class _Transient(Exception):
    """Worth another try: connection trouble, 5xx, 429. ``retry=False``: worth another *run*, not another try now
    (a timeout: a server that did not answer in 20 s is not likely to in the next 20, and the schedule retries)."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None, *,
                 retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.retry = retry


@record(frozen=False)
class _Response:
    status: int
    final_url: str
    headers: requests.structures.CaseInsensitiveDict
    body: bytes = b""
    skipped_type: str | None = None      # set when the body was not read because of its content type


class _HostGate:
    """Per-host concurrency limit and spacing between request starts."""

    def __init__(self, concurrency: int, delay: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self._sem = threading.BoundedSemaphore(max(1, concurrency))
        self._lock = threading.Lock()
        self._next = float("-inf")
        self.delay = delay
        self._clock = clock
        self._sleep = sleep

    @contextlib.contextmanager
    def slot(self, until: float | None = None, late: Callable[[], Exception] = TimeoutError) -> Iterator[None]:
        """Wait for a turn. ``until`` (``time.monotonic()``): when no turn starts before it, raise ``late()`` at
        once, so waiting for a busy or slow host never takes a request past its deadline."""
        if not self._sem.acquire(timeout=None if until is None else max(0.0, until - time.monotonic())):
            raise late()
        try:
            with self._lock:
                now = self._clock()
                start = max(now, self._next)
                if until is not None and start - now > until - time.monotonic():
                    raise late()
                self._next = start + self.delay
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            self._sem.release()
