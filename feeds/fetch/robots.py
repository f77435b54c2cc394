"""robots.txt, cached per site, interpreted as RFC 9309 says.

The fetcher hands :class:`RobotsCache` a function that fetches a URL through the same guarded, size-capped,
deadline-bound path as pages and returns ``(status, body)`` (raising :class:`~seedfeed.errors.FetchError` when
the server cannot be reached). What the answer means (RFC 9309 section 2.3.1):

* **2xx** -- parse it (``urllib.robotparser``); the rules for our product token ``seedfeed`` apply, else ``*``.
* **4xx** ("unavailable", e.g. 404) -- there are no rules: everything is allowed.
* **5xx, 429 or unreachable** (connection refused, timeout, DNS failure) -- the RFC says the crawler MUST
  assume complete disallow. We do, but only for :attr:`RobotsCache.error_ttl` seconds (10 minutes); the next
  run asks again. A 429 is treated like a 5xx (the server is overloaded), as the major crawlers do.
* Redirects are followed (the fetcher follows up to 5, the RFC asks for at least 5).
* Parsed rules are cached for 24 hours (the RFC's upper bound); "unavailable" also for 24 hours.
* Only the first 512 KiB are read (the RFC requires at least 500 KiB to be parsed).
* ``Crawl-delay`` (not in the RFC, but widely used) is reported so the fetcher can slow down for that site.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from ..errors import FetchDeferred, FetchError
from ..records import record

ROBOTS_MAX_BYTES = 512 * 1024


@record
class RobotsVerdict:
    allowed: bool
    robots_url: str
    reason: str                     # what to tell a person when not allowed
    crawl_delay: float | None = None


@record(frozen=False)
class _Entry:
    parser: urllib.robotparser.RobotFileParser | None   # None: see ``mode``
    mode: str                                            # "rules" | "allow" | "disallow"
    note: str
    expires: float
    body: str = ""   # the text the rules were parsed from ("rules"), so a cache shared elsewhere can keep it

    @classmethod
    def restore(cls, robots_url: str, mode: str, body: str, note: str, expires: float) -> _Entry:
        """An entry kept elsewhere (hosted mode keeps them in PostgreSQL), rules parsed again from its text."""
        return cls(_parse(robots_url, body) if mode == "rules" else None, mode, note, expires, body)


def _parse(robots_url: str, text: str) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser(robots_url)
    parser.parse(text.splitlines())
    return parser


def robots_url_for(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


class RobotsCache:
    """Per-site robots.txt rules. Thread-safe; one fetch per site at a time."""

    def __init__(self, user_agent: str, fetch: Callable[[str], tuple[int, bytes]], *,
                 clock: Callable[[], float] = time.monotonic, ttl: float = 24 * 3600,
                 error_ttl: float = 600) -> None:
        # robotparser matches the product token: "seedfeed/0.1 (+https://...)" -> "seedfeed"
        self.agent = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
        self._fetch = fetch
        self._clock = clock
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def check(self, url: str) -> RobotsVerdict:
        robots_url = robots_url_for(url)
        entry = self._entry(robots_url)
        if entry.mode == "allow":
            return RobotsVerdict(True, robots_url, entry.note)
        if entry.mode == "disallow":
            return RobotsVerdict(False, robots_url, entry.note)
        assert entry.parser is not None
        delay = entry.parser.crawl_delay(self.agent)
        allowed = entry.parser.can_fetch(self.agent, url)
        reason = "" if allowed else f"{robots_url} disallows this page for {self.agent}"
        return RobotsVerdict(allowed, robots_url, reason, float(delay) if delay is not None else None)

    def _entry(self, robots_url: str) -> _Entry:
        with self._guard:
            lock = self._locks.setdefault(robots_url, threading.Lock())
        with lock:
            entry = self._entries.get(robots_url)
            if entry is None or entry.expires <= self._clock():
                entry = self._load(robots_url)
                self._entries[robots_url] = entry
            return entry

    def _load(self, robots_url: str) -> _Entry:
        now = self._clock()
        try:
            status, body = self._fetch(robots_url)
        except FetchDeferred:
            raise   # the run is out of time: no verdict to remember, the page is deferred too
        except FetchError as e:
            if getattr(e, "blocked", None) is not None:
                raise   # the SSRF guard refused the site: that is the page's error, not a robots.txt verdict
            why = e.message.removeprefix(robots_url).removeprefix(": ").replace("; will retry next run", "")
            return _Entry(None, "disallow", f"{robots_url} could not be read ({why}); RFC 9309 says to "
                                            "treat the whole site as disallowed until it can be read",
                          now + self.error_ttl)
        if 200 <= status < 300:
            text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
            return _Entry(_parse(robots_url, text), "rules", "", now + self.ttl, text)
        if status == 429 or status >= 500:
            return _Entry(None, "disallow", f"{robots_url} answered {status}; RFC 9309 says to treat the whole "
                                            "site as disallowed until robots.txt can be read",
                          now + self.error_ttl)
        if 400 <= status < 500:
            return _Entry(None, "allow", f"{robots_url} answered {status}: no rules", now + self.ttl)
        # 1xx/3xx left over (e.g. too many redirects were reported as an error already): no usable rules
        return _Entry(None, "allow", f"{robots_url} answered {status}: no rules", now + self.ttl)
