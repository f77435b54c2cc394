"""Fetch: one HTTP exchange per web page, polite, bounded and safe.

Takes URLs (with the ETag / Last-Modified remembered for them). Gives out a :class:`FetchResult` (200 or 304,
bounded body) or a :class:`~seedfeed.errors.FetchError` that names the URL. Inside: the fetcher and its retries,
one exchange (:mod:`.exchange`), HTTP helpers, the deadline watchdog, the SSRF guard and robots.txt.
"""

from .fetcher import DEFAULT_USER_AGENT, Fetcher, FetchJob, FetchPolicy, FetchResult

__all__ = ["DEFAULT_USER_AGENT", "FetchJob", "FetchPolicy", "FetchResult", "Fetcher"]
