"""What a fetch is asked to do and what it gives back: the policy (limits, politeness, safety), a job, a result.

Plain records, kept apart from :class:`~seedfeed.fetch.fetcher.Fetcher` so that the exchange and the fetcher can
both use them without importing each other.
"""

from __future__ import annotations

from .. import __version__
from ..records import record

DEFAULT_USER_AGENT = f"seedfeed/{__version__} (+https://github.com/seedfeed/seedfeed)"


#: What a feed fetch asks for (RFC 9110 content negotiation); HTML last, so an error page is recognised.
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, application/rdf+xml;q=0.9, */*;q=0.1")


@record
class FetchResult:
    url: str              # as requested
    final_url: str        # after redirects
    status: int           # 200 or 304
    body: bytes           # b"" on 304
    content_type: str     # e.g. "text/html"
    charset: str | None   # declared in Content-Type header
    etag: str | None
    last_modified: str | None


@record
class FetchPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10
    read_timeout: float = 20
    deadline: float = 30                 # seconds for one whole exchange, connect to last byte (issue #11)
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


@record
class FetchJob:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    respect_robots: bool | None = None
    feed: bool = False               # a feed document (RSS, Atom, JSON Feed), not an HTML page
    max_bytes: int | None = None     # a smaller cap than the policy's, for this job
