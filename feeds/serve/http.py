"""HTTP vocabulary for ``seedfeed serve``: content types, HTTP dates, gzip negotiation, entity-tag comparison.

Pure functions of header values and file names, with no file system or server state, so each rule (RFC 9110
date formats, ``Accept-Encoding`` q-values, ``If-None-Match`` lists) can be read and tested on its own.
:mod:`.app` builds its responses from them.
"""

from __future__ import annotations

import calendar
import email.utils
import math
import mimetypes
import os
import re
import time
from collections.abc import Iterator

FEED_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json",
}
EXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".json": "application/json",
    ".opml": "text/x-opml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
COMPRESSIBLE_HINTS = ("xml", "json", "javascript", "svg")


def content_type_for(name: str) -> str:
    """Content-Type for a file name (the last path segment)."""
    if name in FEED_TYPES:
        return FEED_TYPES[name]
    ext = os.path.splitext(name)[1].lower()
    if ext in EXT_TYPES:
        return EXT_TYPES[ext]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if guessed and not encoding:
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
    return "application/octet-stream"


def is_compressible(ctype: str) -> bool:
    return ctype.startswith("text/") or any(hint in ctype for hint in COMPRESSIBLE_HINTS)


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                        "Dec"), 1)}
_TIME = r"(\d\d):(\d\d):(\d\d)"
_MON = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HTTP_DATES = (   # RFC 9110 section 5.6.7: IMF-fixdate, then the two obsolete forms a recipient must accept
    (re.compile(rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) {_MON} (\d{{4}}) {_TIME} GMT"), "dmy"),
    (re.compile(rf"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-{_MON}-(\d\d) {_TIME} GMT"),
     "dmy2"),
    (re.compile(rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MON} ([ \d]\d) {_TIME} (\d{{4}})"), "mdy"),
)


def parse_http_date(value: str) -> int | None:
    """Epoch seconds of one HTTP-date (IMF-fixdate, RFC 850 or asctime, exactly), or None.

    Strict on purpose: RFC 9110 section 13.1.3 says an ``If-Modified-Since`` that is not one valid HTTP-date is
    ignored, and a lenient parser turned a list of dates, two header lines joined with a comma, or
    ``25:61:61`` into some date, and so into a wrong 304."""
    value = value.strip(" \t")
    for pattern, order in _HTTP_DATES:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        groups = match.groups()
        if order == "mdy":
            month, day, hh, mm, ss, year = groups
        else:
            day, month, year, hh, mm, ss = groups
        y = int(year)
        if order == "dmy2":   # two-digit year: RFC 9110 says a year more than 50 years ahead is in the past
            y += 2000 if y + 2000 <= _this_year() + 50 else 1900
        h, m, s, d, mon = int(hh), int(mm), int(ss), int(day), _MONTHS[month]
        if h > 23 or m > 59 or s > 60 or not 1 <= d <= calendar.monthrange(y, mon)[1]:
            return None
        return calendar.timegm((y, mon, d, h, m, min(s, 59), 0, 0, 0))
    return None


def _this_year() -> int:
    return time.gmtime().tm_year


def _parse_qvalue(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if math.isfinite(q) else 0.0
    return 1.0


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip: an explicit gzip/x-gzip q-value wins over ``*``."""
    if not accept_encoding:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in accept_encoding.split(","):
        coding, *params = item.split(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            q = _parse_qvalue(params)
            explicit = q if explicit is None else max(explicit, q)
        elif coding == "*":
            wildcard = _parse_qvalue(params)
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0


def _split_etags(value: str) -> Iterator[str]:
    """Entity-tags of an If-None-Match list (quoted strings may contain commas)."""
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            return
        start = i
        if value.startswith("W/", i):
            i += 2
        if i < n and value[i] == '"':
            end = value.find('"', i + 1)
            i = n if end < 0 else end + 1
        else:
            while i < n and value[i] != ",":
                i += 1
        yield value[start:i].strip()


def etag_matches_strong(if_match: str, etag: str) -> bool:
    """Strong comparison (RFC 9110 section 13.1.1) of ``etag`` against an ``If-Match`` value: weak tags never match."""
    if etag.startswith("W/"):
        return False
    return any(tag == "*" or tag == etag for tag in _split_etags(if_match))


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 section 8.8.3.2) of ``etag`` against an If-None-Match value."""
    opaque = etag[2:] if etag.startswith("W/") else etag
    for tag in _split_etags(if_none_match):
        if tag == "*":
            return True
        if (tag[2:] if tag.startswith("W/") else tag) == opaque:
            return True
    return False
