"""Fetch web pages for URL sources: politely, boundedly, and safely.

One :class:`Fetcher` owns one ``requests.Session``. Every request:

* goes through the SSRF guard (:mod:`seedfeed.fetch.netguard`): only http/https, only public addresses, checked again
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
* is retried with exponential backoff and jitter on connection errors, 5xx and 429, honouring
  ``Retry-After`` (seconds or HTTP date): at most ``retries`` more tries and at most ``max_retry_wait``
  seconds asleep in total. A ``Retry-After`` longer than that is not waited for: the fetch fails now and the
  next run tries again. Timeouts, a host name that does not exist, an invalid TLS certificate and 4xx answers
  are not retried: the schedule is the retry;
* stays within the run's fetch budget (``fetch_many(..., stop_at=...)``): no try runs past it, no retry waits
  past it, and a job not finished when it ends is a :class:`~seedfeed.errors.FetchDeferred`;
* waits its turn per host: at most ``per_host_concurrency`` requests in flight to one host and at least
  ``per_host_delay`` seconds between request starts (raised to the site's ``Crawl-delay``, capped at 60 s);
* respects robots.txt unless told not to (see :mod:`seedfeed.fetch.robots` for the RFC 9309 policy).

Only HTML and XHTML are returned. The body stays bytes; ``charset`` is what the Content-Type header declared,
to be passed to ``seedfeed.sources.decode.decode(body, charset, html=True)`` by the caller.

Everything that goes wrong is a :class:`~seedfeed.errors.FetchError` whose message starts with the URL and says
what happened in words, with ``status`` set when the server answered.

Modules: this one holds the public records and :class:`Fetcher` (entry points and the retry loop);
:mod:`seedfeed.fetch.exchange` one try (redirects, per-hop checks, reading the body); :mod:`seedfeed.fetch.deadline`
the deadline watchdog; :mod:`seedfeed.fetch.http` header parsing, answer classification and the per-host gate.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from ..errors import FetchError
from .exchange import Exchange, blocked_error, budget, budget_left, deferred_error
from .http import HTML_TYPES, _HostGate, _phrase, _Response, _seconds, _Transient, parse_content_type, parse_retry_after
from .netguard import BlockedAddressError, Guard, GuardedAdapter, check_url
from .policy import DEFAULT_USER_AGENT, FEED_ACCEPT, FetchJob, FetchPolicy, FetchResult
from .robots import ROBOTS_MAX_BYTES, RobotsCache

log = logging.getLogger(__name__)

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
        self.exchange = Exchange(policy, self.guard, session, self.robots, self._gate)

    # -- public API --

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              respect_robots: bool | None = None, feed: bool = False, max_bytes: int | None = None) -> FetchResult:
        """Fetch one HTML page (``feed``: a feed document of any type). Raises :class:`FetchError` with the URL
        and a reason."""
        robots = self.policy.respect_robots if respect_robots is None else respect_robots
        log.debug("fetching %s", url)   # -vv: which URL a slow run is waiting for
        try:
            return self._fetch(url, etag, last_modified, robots, feed, max_bytes)
        except FetchError:
            raise
        except Exception as e:  # a bug; report it as this URL's failure instead of killing the run
            log.exception("unexpected error fetching %s", url)
            raise FetchError(f"{url}: unexpected error ({type(e).__name__}: {e})",
                             "this is a bug in seedfeed; please report it") from e

    def fetch_many(self, jobs: Sequence[FetchJob], on_done: Callable[[], None] | None = None,
                   stop_at: float | None = None) -> list[FetchResult | FetchError]:
        """Fetch all jobs; results in job order. Different hosts run in parallel, each host within its limits.

        ``on_done`` is called (from a worker thread) after each job, for a progress bar. ``stop_at`` (a
        ``time.monotonic()`` value) is the end of the run's fetch budget: no exchange runs past it, and every job
        not done by then comes back as a :class:`~seedfeed.errors.FetchDeferred`, so a host that never answers
        or drips can delay the run by the budget at most, never hold it."""
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
                    if stop_at is not None and time.monotonic() >= stop_at:
                        raise deferred_error(job.url.strip())
                    with budget(stop_at):
                        results[i] = self.fetch(job.url, etag=job.etag, last_modified=job.last_modified,
                                                respect_robots=job.respect_robots, feed=job.feed,
                                                max_bytes=job.max_bytes)
                except FetchError as e:
                    results[i] = e
                if on_done is not None:
                    on_done()

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

    def _fetch(self, url: str, etag: str | None, last_modified: str | None, robots: bool, feed: bool = False,
               max_bytes: int | None = None) -> FetchResult:
        url = url.strip()
        try:
            urlsplit(url).port   # noqa: B018 - raises ValueError for a bad port
            check_url(url, self.guard)
        except BlockedAddressError as e:
            raise blocked_error(url, url, e) from None
        except ValueError as e:
            raise FetchError(f"{url}: not a valid URL ({e})", "check the URL") from None
        headers = {"Accept": FEED_ACCEPT} if feed else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = min(max_bytes or self.policy.max_bytes, self.policy.max_bytes)
        # A feed may come as any type (servers label feeds text/plain, application/octet-stream ...): the
        # feed parser decides, and says "an HTML page, not a feed" itself.
        resp = self._with_retries(url, lambda: self.exchange.run(url, headers, limit, None if feed else HTML_TYPES,
                                                              robots))
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
                # bounded: at most `retries` more tries, at most max_retry_wait seconds asleep in total, never a
                # wait that ends after the run's fetch budget, and no second try after a timeout
                left = budget_left()
                if (not t.retry or tries > retries or waited + wait > self.policy.max_retry_wait
                        or (left is not None and wait >= left)):
                    raise FetchError(f"{url}: {t.reason} after {tries} {plural}; will retry next run",
                                     "nothing to do if it is temporary; check the URL if it keeps failing",
                                     t.status) from None
                waited += wait
                self._sleep(wait)

    def _fetch_robots(self, robots_url: str) -> tuple[int, bytes]:
        try:
            check_url(robots_url, self.guard)
        except BlockedAddressError as e:
            raise blocked_error(robots_url, robots_url, e) from None
        try:
            resp = self._with_retries(robots_url, lambda: self.exchange.run(robots_url, {}, ROBOTS_MAX_BYTES,
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
