"""Fetch web pages for URL sources: politely, boundedly, and safely.

One :class:`Fetcher` owns one ``requests.Session``. Every request:

* goes through the SSRF guard (:mod:`feeds.netguard`): only http/https, only public addresses, checked again
  on every redirect hop, and the socket connects to exactly the address that was checked;
* is conditional when the caller has validators (``If-None-Match`` / ``If-Modified-Since``); a 304 comes back
  as a :class:`FetchResult` with ``status == 304`` and an empty body;
* has a connect timeout, a read timeout (per socket read) and a total *deadline* for each try (connect, TLS
  handshake, every redirect hop, headers and body). A watchdog thread shuts the socket down when the deadline
  passes, so a server that drips one byte a second -- in the headers or in the body -- is cut off. A try cut
  off by the deadline is not retried;
* reads at most ``max_bytes`` of *decompressed* body (streamed in 64 KiB chunks, so a gzip bomb is stopped
  after ``max_bytes``, not after it has filled memory). Larger pages are an error, not silently truncated;
* follows at most ``max_redirects`` redirects itself, so each hop is checked; a loop is reported as a loop;
* is retried with exponential backoff and jitter on connection errors, timeouts, 5xx and 429, honouring
  ``Retry-After`` (seconds or HTTP date): at most ``retries`` more tries and at most ``max_retry_wait``
  seconds asleep in total. A ``Retry-After`` longer than that is not waited for: the fetch fails now and the
  next run tries again. A host name that does not exist, an invalid TLS certificate and 4xx answers are not
  retried;
* waits its turn per host: at most ``per_host_concurrency`` requests in flight to one host and at least
  ``per_host_delay`` seconds between request starts (raised to the site's ``Crawl-delay``, capped at 60 s);
* respects robots.txt unless told not to (see :mod:`feeds.robots` for the RFC 9309 policy).

Only HTML and XHTML are returned. The body stays bytes; ``charset`` is what the Content-Type header declared,
to be passed to ``feeds.decode.decode(body, charset, html=True)`` by the caller.

Everything that goes wrong is a :class:`~feeds.errors.FetchError` whose message starts with the URL and says
what happened in words, with ``status`` set when the server answered.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import heapq
import http.client
import itertools
import logging
import random
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from http import HTTPStatus
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from . import __version__
from .errors import FetchError
from .netguard import BlockedAddressError, Guard, GuardedAdapter, check_url, watch_connections
from .robots import ROBOTS_MAX_BYTES, RobotsCache

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"seedfeed/{__version__} (+https://github.com/seedfeed/seedfeed)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524, 525, 526, 529})
_CHUNK = 64 * 1024
E = TypeVar("E", bound=BaseException)
_MAX_CRAWL_DELAY = 60.0


@dataclass(frozen=True)
class FetchResult:
    url: str              # as requested
    final_url: str        # after redirects
    status: int           # 200 or 304
    body: bytes           # b"" on 304
    content_type: str     # e.g. "text/html"
    charset: str | None   # declared in Content-Type header
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10
    read_timeout: float = 20
    deadline: float = 60                 # seconds for one whole exchange: redirects, headers and body
    max_bytes: int = 10 * 1024 * 1024    # decompressed body
    max_redirects: int = 5
    retries: int = 3                     # extra tries after the first
    backoff_base: float = 1.0            # first wait; doubles each retry, with jitter
    max_retry_wait: float = 120          # never sleep longer than this; a longer Retry-After gives up
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0          # between request starts to one host
    allow_private: bool = False          # turn the SSRF guard off (sources on your own network)
    respect_robots: bool = True
    max_workers: int = 8                 # threads in fetch_many (hosts fetched in parallel)
    allowed_networks: tuple[str, ...] = ()   # CIDRs let through the guard, e.g. ("127.0.0.0/8",) in tests


@dataclass(frozen=True)
class FetchJob:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    respect_robots: bool | None = None


# --- helpers -------------------------------------------------------------------------------------------------


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
    """Worth another try: connection trouble, timeouts, 5xx, 429."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass
class _Response:
    status: int
    final_url: str
    headers: requests.structures.CaseInsensitiveDict
    body: bytes = b""
    skipped_type: str | None = None      # set when the body was not read because of its content type


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
        _DEADLINES.add(time.monotonic() + max(seconds, 0.0), self)

    def register(self, conn) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self._conn = conn
            conn._seedfeed_owner = self  # a pooled connection belongs to whoever sent on it last

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            conn = self._conn
            if conn is None or getattr(conn, "_seedfeed_owner", None) is not self:
                return
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # wakes a blocked recv in the other thread

    def finish(self) -> None:
        with self._lock:
            self.done = True


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
    def slot(self) -> Iterator[None]:
        with self._sem:
            with self._lock:
                now = self._clock()
                start = max(now, self._next)
                self._next = start + self.delay
            if start > now:
                self._sleep(start - now)
            yield


# --- the fetcher ---------------------------------------------------------------------------------------------


class Fetcher:
    """Fetches HTML pages. Thread-safe; use one per run (``with Fetcher(policy) as f: ...``)."""

    def __init__(self, policy: FetchPolicy | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, resolver: Callable[..., list] | None = None,
                 rng: random.Random | None = None) -> None:
        self.policy = policy = policy or FetchPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.guard = Guard.build(policy.allow_private, policy.allowed_networks, resolver)
        session = requests.Session()
        session.trust_env = False   # no proxies / netrc from the environment: a proxy would bypass the guard
        session.max_redirects = policy.max_redirects
        session.headers.update({
            "User-Agent": policy.user_agent or DEFAULT_USER_AGENT,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        })
        pool = max(2, policy.per_host_concurrency + 1)
        adapter = GuardedAdapter(self.guard, pool_connections=max(16, policy.max_workers * 2),
                                 pool_maxsize=pool, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session = session
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self.robots = RobotsCache(policy.user_agent or DEFAULT_USER_AGENT, self._fetch_robots, clock=clock)

    # -- public API --

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              respect_robots: bool | None = None) -> FetchResult:
        """Fetch one HTML page. Raises :class:`FetchError` with the URL and a reason."""
        robots = self.policy.respect_robots if respect_robots is None else respect_robots
        try:
            return self._fetch(url, etag, last_modified, robots)
        except FetchError:
            raise
        except Exception as e:  # a bug; report it as this URL's failure instead of killing the run
            log.exception("unexpected error fetching %s", url)
            raise FetchError(f"{url}: unexpected error ({type(e).__name__}: {e})",
                             "this is a bug in seedfeed; please report it") from e

    def fetch_many(self, jobs: Sequence[FetchJob]) -> list[FetchResult | FetchError]:
        """Fetch all jobs; results in job order. Different hosts run in parallel, each host within its limits."""
        results: list[FetchResult | FetchError | None] = [None] * len(jobs)
        by_host: dict[str, deque[int]] = {}
        for i, job in enumerate(jobs):
            by_host.setdefault(self._host_key(job.url), deque()).append(i)

        def drain(queue: deque[int]) -> None:
            while True:
                try:
                    i = queue.popleft()
                except IndexError:
                    return
                job = jobs[i]
                try:
                    results[i] = self.fetch(job.url, etag=job.etag, last_modified=job.last_modified,
                                            respect_robots=job.respect_robots)
                except FetchError as e:
                    results[i] = e

        # per_host_concurrency drainers per host, submitted round-robin so no host waits behind another
        tasks: list[deque[int]] = []
        for _round in range(max(1, self.policy.per_host_concurrency)):
            tasks.extend(q for q in by_host.values())
        workers = max(1, min(self.policy.max_workers, len(tasks)))
        if jobs:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seedfeed-fetch") as pool:
                for future in [pool.submit(drain, q) for q in tasks]:
                    future.result()
        return results  # type: ignore[return-value]

    # -- internals --

    @staticmethod
    def _host_key(url: str) -> str:
        try:
            parts = urlsplit(url)
            return (parts.hostname or "") + ":" + str(parts.port or "")
        except ValueError:
            return url

    def _gate(self, url: str) -> _HostGate:
        key = self._host_key(url)
        with self._gates_lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = _HostGate(self.policy.per_host_concurrency, self.policy.per_host_delay,
                                                    self._clock, self._sleep)
            return gate

    def _fetch(self, url: str, etag: str | None, last_modified: str | None, robots: bool) -> FetchResult:
        url = url.strip()
        try:
            urlsplit(url).port   # noqa: B018 - raises ValueError for a bad port
            check_url(url, self.guard)
        except BlockedAddressError as e:
            raise self._blocked(url, url, e) from None
        except ValueError as e:
            raise FetchError(f"{url}: not a valid URL ({e})", "check the URL") from None
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        resp = self._with_retries(url, lambda: self._exchange(url, headers, self.policy.max_bytes,
                                                              HTML_TYPES, robots))
        where = url if resp.final_url == url else f"{url} (redirected to {resp.final_url})"
        status = resp.status
        if status == 304:
            return FetchResult(url, resp.final_url, 304, b"", parse_content_type(resp.headers.get("Content-Type"))[0],
                               None, resp.headers.get("ETag") or etag,
                               resp.headers.get("Last-Modified") or last_modified)
        if status in (200, 203):
            mime, charset = parse_content_type(resp.headers.get("Content-Type"))
            if resp.skipped_type is not None:
                raise FetchError(f"{where}: is {resp.skipped_type or 'of unknown type'}, not an HTML page",
                                 "point the source at an HTML page (feeds and files are not web sources)",
                                 status)
            if not mime:
                mime = "text/html"
            return FetchResult(url, resp.final_url, 200, resp.body, mime, charset,
                               resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        raise self._status_error(where, status)

    def _status_error(self, where: str, status: int) -> FetchError:
        hints = {
            401: ("the site asks for a login", "seedfeed fetches public pages only; remove this source"),
            403: ("the site refuses access (403 Forbidden; login or bot blocking)",
                  "check the page opens in a browser; the site may block automated readers"),
            404: ("server answered 404 Not Found", "check the URL; the page may have moved"),
            410: ("server answered 410 Gone: the page was removed", "remove this source or fix its URL"),
            451: ("server answered 451 Unavailable For Legal Reasons", "remove this source"),
        }
        reason, hint = hints.get(status, (f"server answered {_phrase(status)}", "check the URL in a browser"))
        if 300 <= status < 400:
            reason = f"server answered {_phrase(status)} without a usable Location"
        return FetchError(f"{where}: {reason}", hint, status)

    def _blocked(self, url: str, hop: str, e: BlockedAddressError) -> FetchError:
        via = "" if hop == url else f"redirected to {hop}, but "
        message = f"{url}: {via}{e.host} {e.reason}; refused"
        if "scheme" in e.reason or "host name" in e.reason or "proxy" in e.reason:
            err = FetchError(message, "use an http:// or https:// URL")
        else:
            err = FetchError(message + " (SSRF guard)",
                             "if this source is on your own network, set allow_private: true for it")
        err.blocked = e   # type: ignore[attr-defined]  # lets a robots.txt refusal surface as the page's
        err.blocked_hop = hop   # type: ignore[attr-defined]
        return err

    def _with_retries(self, url: str, attempt: Callable[[], _Response], retries: int | None = None) -> _Response:
        retries = self.policy.retries if retries is None else retries
        tries = 0
        waited = 0.0
        while True:
            tries += 1
            try:
                return attempt()
            except _Transient as t:
                plural = "try" if tries == 1 else "tries"
                if t.retry_after is not None and t.retry_after > self.policy.max_retry_wait:
                    raise FetchError(
                        f"{url}: {t.reason} and asked to wait {_seconds(t.retry_after)} (Retry-After), more than "
                        f"the {_seconds(self.policy.max_retry_wait)} limit; will retry next run",
                        "nothing to do; the site is busy", t.status) from None
                if t.retry_after is not None:
                    wait = t.retry_after
                else:
                    wait = self.policy.backoff_base * 2 ** (tries - 1)
                    wait = wait / 2 + self._rng.uniform(0, wait / 2)   # "equal jitter"
                # bounded: at most `retries` more tries, and at most max_retry_wait seconds asleep in total
                if tries > retries or waited + wait > self.policy.max_retry_wait:
                    raise FetchError(f"{url}: {t.reason} after {tries} {plural}; will retry next run",
                                     "nothing to do if it is temporary; check the URL if it keeps failing",
                                     t.status) from None
                waited += wait
                self._sleep(wait)

    def _exchange(self, url: str, headers: dict[str, str], max_bytes: int, accept: frozenset[str] | None,
                  robots: bool, *, truncate: bool = False) -> _Response:
        """One try: follow redirects (checking each hop), read the final body. Raises _Transient/FetchError."""
        policy = self.policy
        started = time.monotonic()
        deadline = started + policy.deadline
        watchdog = _Watchdog(policy.deadline)
        chain = [url]
        current = url
        try:
            with watch_connections(watchdog.register):
                for _hop in range(policy.max_redirects + 1):
                    if current != url:
                        try:
                            check_url(current, self.guard)
                        except BlockedAddressError as e:
                            raise self._blocked(url, current, e) from None
                    if robots:
                        try:
                            verdict = self.robots.check(current)
                        except FetchError as e:
                            blocked = getattr(e, "blocked", None)
                            if blocked is not None:    # robots.txt is on a refused address: so is the page
                                raise self._blocked(url, current, blocked) from None
                            raise
                        if verdict.crawl_delay:
                            gate = self._gate(current)
                            gate.delay = max(gate.delay, min(verdict.crawl_delay, _MAX_CRAWL_DELAY))
                        if not verdict.allowed:
                            raise FetchError(f"{url}: {verdict.reason}; not fetched",
                                             "respect the site's wishes, or set respect_robots: false for this "
                                             "source if you have the owner's permission")
                    result = self._one_request(url, current, headers, deadline, max_bytes, accept, watchdog,
                                               truncate)
                    if isinstance(result, _Response):
                        return result
                    nxt = result
                    if nxt in chain:
                        loop = " -> ".join([*chain[chain.index(nxt):], nxt])
                        err = FetchError(f"{url}: redirect loop ({loop})", "the site is misconfigured; "
                                         "check the URL in a browser")
                        err.redirects = True   # type: ignore[attr-defined]
                        raise err
                    chain.append(nxt)
                    current = nxt
            err = FetchError(f"{url}: more than {policy.max_redirects} redirects ({' -> '.join(chain)})",
                             "use the final address of the page as the source URL")
            err.redirects = True   # type: ignore[attr-defined]
            raise err
        finally:
            watchdog.finish()

    def _one_request(self, url: str, current: str, headers: dict[str, str], deadline: float, max_bytes: int,
                     accept: frozenset[str] | None, watchdog: _Watchdog, truncate: bool) -> _Response | str:
        """Send one request. Returns the final response, or the next URL when it is a redirect."""
        policy = self.policy
        where = url if current == url else f"{url} (redirected to {current})"

        def remaining() -> float:
            return deadline - time.monotonic()

        def deadline_error() -> FetchError:
            return FetchError(f"{where}: took longer than the {_seconds(policy.deadline)} deadline; stopped",
                              "the server is very slow; raise the deadline if this page is worth waiting for")

        with self._gate(current).slot():
            if remaining() <= 0:
                raise deadline_error()
            timeout = (min(policy.connect_timeout, remaining()), min(policy.read_timeout, remaining()))
            try:
                resp = self.session.get(current, headers=headers, stream=True, allow_redirects=False,
                                        timeout=timeout)
            except BlockedAddressError as e:
                raise self._blocked(url, current, e) from None
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                    requests.exceptions.MissingSchema, urllib3.exceptions.LocationParseError) as e:
                raise FetchError(f"{where}: not a valid URL ({e})", "check the URL") from None
            except requests.RequestException as e:
                if watchdog.expired or remaining() <= 0:
                    raise deadline_error() from None
                dns = _cause(e, socket.gaierror)
                if dns is not None and dns.errno != socket.EAI_AGAIN:
                    host = urlsplit(current).hostname
                    raise FetchError(f"{where}: host name {host} could not be found (DNS: {dns.strerror})",
                                     "check the URL for typos; the site may be gone") from None
                cert = _cause(e, ssl.SSLCertVerificationError)
                if cert is not None:
                    raise FetchError(f"{where}: the site's TLS certificate is not valid ({cert.verify_message})",
                                     "the site's HTTPS is misconfigured; try again when it is fixed") from None
                raise self._transient(e, policy) from None
            except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as e:
                if watchdog.expired or remaining() <= 0:
                    raise deadline_error() from None
                raise _Transient(f"connection failed ({type(e).__name__})") from None
            try:
                status = resp.status_code
                if status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if location:
                        self._discard(resp)
                        return urljoin(current, location.strip())
                if status in _RETRY_STATUSES:
                    raise _Transient(f"server answered {_phrase(status)}", status,
                                     parse_retry_after(resp.headers.get("Retry-After")))
                if status not in (200, 203):
                    self._discard(resp)
                    return _Response(status, current, resp.headers)
                mime, _charset = parse_content_type(resp.headers.get("Content-Type"))
                if accept is not None and mime and mime not in accept:
                    return _Response(status, current, resp.headers, skipped_type=mime)
                length = resp.headers.get("Content-Length", "")
                if (length.isdigit() and int(length) > max_bytes and not truncate
                        and not resp.headers.get("Content-Encoding", "").strip()):
                    raise self._too_large(where, max_bytes, status)
                body = self._read_body(resp, where, max_bytes, deadline, watchdog, deadline_error, truncate)
                if accept is not None and not mime and not _looks_like_html(body):
                    return _Response(status, current, resp.headers, skipped_type="")
                return _Response(status, current, resp.headers, body)
            finally:
                resp.close()

    def _read_body(self, resp: requests.Response, where: str, max_bytes: int, deadline: float,
                   watchdog: _Watchdog, deadline_error: Callable[[], FetchError], truncate: bool) -> bytes:
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise deadline_error()
                # decode_content=True: count *decompressed* bytes; urllib3 inflates at most _CHUNK per read
                data = resp.raw.read(_CHUNK, decode_content=True)
                if not data:
                    break
                total += len(data)
                if total > max_bytes:
                    if truncate:
                        chunks.append(data[: len(data) - (total - max_bytes)])
                        break
                    raise self._too_large(where, max_bytes, resp.status_code)
                chunks.append(data)
        except FetchError:
            raise
        except urllib3.exceptions.DecodeError:
            raise FetchError(f"{where}: the compressed response is corrupt",
                             "the server sent a broken gzip/deflate body; try again later",
                             resp.status_code) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError,
                http.client.HTTPException) as e:
            if watchdog.expired or time.monotonic() >= deadline:
                raise deadline_error() from None
            if isinstance(e, urllib3.exceptions.ReadTimeoutError | TimeoutError):
                raise _Transient(f"server stopped sending the page for {_seconds(self.policy.read_timeout)}",
                                 resp.status_code) from None
            raise _Transient(f"connection broke while reading the page ({type(e).__name__})",
                             resp.status_code) from None
        if watchdog.expired:
            raise deadline_error()
        return b"".join(chunks)

    @staticmethod
    def _discard(resp: requests.Response) -> None:
        """Read away a small unwanted body so the connection can be reused (304s, redirects, 404s)."""
        length = resp.headers.get("Content-Length", "")
        if resp.status_code == 304 or resp.status_code == 204 or (length.isdigit() and int(length) <= _CHUNK):
            with contextlib.suppress(Exception):
                resp.raw.drain_conn()

    @staticmethod
    def _too_large(where: str, max_bytes: int, status: int) -> FetchError:
        size = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
        return FetchError(f"{where}: page is larger than {size} (after decompression); not read",
                          "raise max_bytes if this page really is that large", status)

    @staticmethod
    def _transient(e: requests.RequestException, policy: FetchPolicy) -> _Transient:
        if isinstance(e, requests.ConnectTimeout):
            return _Transient(f"could not connect within {_seconds(policy.connect_timeout)}")
        if isinstance(e, requests.ReadTimeout):
            return _Transient(f"server did not answer within {_seconds(policy.read_timeout)}")
        text = str(e)
        if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return _Transient("host name could not be resolved (DNS)")
        if "Connection refused" in text:
            return _Transient("connection refused")
        if isinstance(e, requests.exceptions.SSLError):
            return _Transient("TLS/certificate error (the site's HTTPS certificate could not be verified)")
        if isinstance(e, requests.ConnectionError):
            return _Transient("connection failed (reset or closed by the server)")
        return _Transient(f"request failed ({type(e).__name__})")

    def _fetch_robots(self, robots_url: str) -> tuple[int, bytes]:
        try:
            check_url(robots_url, self.guard)
        except BlockedAddressError as e:
            raise self._blocked(robots_url, robots_url, e) from None
        try:
            resp = self._with_retries(robots_url, lambda: self._exchange(robots_url, {}, ROBOTS_MAX_BYTES,
                                                                            None, False, truncate=True),
                                      retries=1)
        except FetchError as e:
            if getattr(e, "redirects", False):
                return 404, b""   # RFC 9309: more than five redirects MAY be treated as unavailable
            if getattr(e, "blocked", None) is not None and getattr(e, "blocked_hop", robots_url) != robots_url:
                # robots.txt redirected into a refused network: no rules we may read, so disallow the site
                # (RobotsCache does that for a plain FetchError) rather than blaming the page's own address
                raise FetchError(e.message, e.hint) from None
            if e.status is not None:
                return e.status, b""
            raise
        return resp.status, resp.body


__all__ = ["DEFAULT_USER_AGENT", "FetchJob", "FetchPolicy", "FetchResult", "Fetcher", "parse_retry_after"]
