"""One try of a :class:`~seedfeed.fetch.Fetcher` fetch: redirects, the SSRF and robots.txt checks on each hop, the body.

:class:`Exchange` is the part of the fetcher that talks to the network once; the fetcher holds one (composition,
not a mixin) and wraps it in retries. A try follows at most ``max_redirects`` redirects itself, checking every hop
against the guard and robots.txt, waits for the host's gate, runs under a deadline
:class:`~seedfeed.fetch.deadline._Watchdog`, reads at most ``max_bytes`` of decompressed body, and turns everything
that goes wrong into a :class:`~seedfeed.errors.FetchError` (final) or a :class:`~seedfeed.fetch.http._Transient`
(worth another try) whose message says what happened in words.

Every try ends by its deadline, whichever comes first of: ``policy.deadline`` (30 s, connect to last byte), the
deadline of the exchange it is part of (robots.txt is fetched inside the page's exchange, so a dripping robots.txt
cannot stretch the page's 30 s), and the end of the run's fetch budget (:func:`budget`). A try stopped by the
budget raises :class:`~seedfeed.errors.FetchDeferred`: the page is not slow, the run is out of time.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from ..errors import FetchDeferred, FetchError
from .deadline import _Watchdog
from .http import (
    _CHUNK,
    _REDIRECTS,
    _RETRY_STATUSES,
    _cause,
    _looks_like_html,
    _phrase,
    _Response,
    _seconds,
    _Transient,
    parse_content_type,
    parse_retry_after,
)
from .netguard import BlockedAddressError, check_url, watch_connections

if TYPE_CHECKING:
    from .http import _HostGate
    from .netguard import Guard
    from .policy import FetchPolicy
    from .robots import RobotsCache

_MAX_CRAWL_DELAY = 60.0
# urllib3 logs a warning with a traceback when headers end early, which is what a deadline cutting off dripping
# headers looks like to it; the exchange reports that itself, in words, naming the URL.
logging.getLogger("urllib3.connection").setLevel(logging.ERROR)
_bounds = threading.local()   # this thread's run budget end (``stop_at``) and enclosing exchange deadline (``outer``)


@contextlib.contextmanager
def budget(stop_at: float | None) -> Iterator[None]:
    """Within the block, no exchange in this thread runs past ``stop_at`` (``time.monotonic()``; ``None``: no limit)."""
    previous = getattr(_bounds, "stop_at", None)
    _bounds.stop_at = stop_at
    try:
        yield
    finally:
        _bounds.stop_at = previous


def budget_left() -> float | None:
    """Seconds left in this thread's run budget (``None``: no budget)."""
    stop_at = getattr(_bounds, "stop_at", None)
    return None if stop_at is None else stop_at - time.monotonic()


def deferred_error(url: str) -> FetchDeferred:
    return FetchDeferred(f"{url}: not fetched, the run's fetch budget ran out; deferred to the next run",
                         "nothing to do; raise fetch_budget if many sources are deferred every run")


def blocked_error(url: str, hop: str, e: BlockedAddressError) -> FetchError:
    """The error for a URL (or one of its redirect hops) that the SSRF guard refused."""
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


class Exchange:
    """One try of a fetch. The :class:`~seedfeed.fetch.fetcher.Fetcher` holds one and wraps it in retries; it
    shares the fetcher's policy, guard, session, robots.txt cache and per-host gates."""

    def __init__(self, policy: FetchPolicy, guard: Guard, session: requests.Session, robots: RobotsCache,
                 gate: Callable[[str], _HostGate]) -> None:
        self.policy = policy
        self.guard = guard
        self.session = session
        self.robots = robots
        self._gate = gate

    def run(self, url: str, headers: dict[str, str], max_bytes: int, accept: frozenset[str] | None,
                  robots: bool, *, truncate: bool = False) -> _Response:
        """One try: follow redirects (checking each hop), read the final body. Raises _Transient/FetchError."""
        policy = self.policy
        started = time.monotonic()
        stop_at = getattr(_bounds, "stop_at", None)
        outer = getattr(_bounds, "outer", None)
        deadline = min(t for t in (started + policy.deadline, stop_at, outer) if t is not None)
        by_budget = stop_at is not None and deadline == stop_at < started + policy.deadline
        if deadline <= started:
            raise deferred_error(url) if by_budget or outer is None else FetchError(
                f"{url}: took longer than the {_seconds(policy.deadline)} deadline; stopped",
                "the server is too slow for a feed; seedfeed tries again next run")
        watchdog = _Watchdog(deadline - started)
        chain = [url]
        current = url
        _bounds.outer = deadline
        try:
            with watch_connections(watchdog.register):
                for _hop in range(policy.max_redirects + 1):
                    if current != url:
                        try:
                            check_url(current, self.guard)
                        except BlockedAddressError as e:
                            raise blocked_error(url, current, e) from None
                    if robots:
                        try:
                            verdict = self.robots.check(current)
                        except FetchError as e:
                            blocked = getattr(e, "blocked", None)
                            if blocked is not None:    # robots.txt is on a refused address: so is the page
                                raise blocked_error(url, current, blocked) from None
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
        except FetchError as e:
            if by_budget and getattr(e, "deadline", False):
                raise deferred_error(url) from None   # cut off by the run's budget, not by its own slowness
            raise
        finally:
            _bounds.outer = outer
            watchdog.finish()

    def _one_request(self, url: str, current: str, headers: dict[str, str], deadline: float, max_bytes: int,
                     accept: frozenset[str] | None, watchdog: _Watchdog, truncate: bool) -> _Response | str:
        """Send one request. Returns the final response, or the next URL when it is a redirect."""
        policy = self.policy
        where = url if current == url else f"{url} (redirected to {current})"

        def remaining() -> float:
            return deadline - time.monotonic()

        def deadline_error() -> FetchError:
            err = FetchError(f"{where}: took longer than the {_seconds(policy.deadline)} deadline; stopped",
                             "the server is too slow for a feed; seedfeed tries again next run")
            err.deadline = True   # type: ignore[attr-defined]  # run() tells the budget's cut from the page's own
            return err

        with self._gate(current).slot(until=deadline, late=deadline_error):
            if remaining() <= 0:
                raise deadline_error()
            timeout = (min(policy.connect_timeout, remaining()), min(policy.read_timeout, remaining()))
            try:
                resp = self.session.get(current, headers=headers, stream=True, allow_redirects=False,
                                        timeout=timeout)
            except BlockedAddressError as e:
                raise blocked_error(url, current, e) from None
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
                                 resp.status_code, retry=False) from None
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
        # A timeout is not retried within the run: the schedule is the retry (four tries of 20 s held whole runs)
        if isinstance(e, requests.ConnectTimeout):
            return _Transient(f"could not connect within {_seconds(policy.connect_timeout)}", retry=False)
        if isinstance(e, requests.ReadTimeout):
            return _Transient(f"server did not answer within {_seconds(policy.read_timeout)}", retry=False)
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
