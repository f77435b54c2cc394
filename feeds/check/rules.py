"""The small rules ``seedfeed check`` applies everywhere: dates, URLs, characters. Pure functions on text.

Each returns ``None`` when the value is fine, or a message saying what is wrong in words.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from ..records import record

# XML 1.0 Char production: anything else may not appear in a document, not even as &#...; (readers reject it).
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?(?P<zone>[Zz]|[+-]\d\d:\d\d)?$")
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_RFC822 = re.compile(r"^\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d{1,2}\s+(?:" + _MONTHS + r")\s+(?:\d{4}|\d{2})\s+"
                     r"\d\d:\d\d(?::\d\d)?(?:\s+(?P<zone>UT|GMT|[ECMP][SD]T|[A-IK-Za-ik-z]|[+-]\d{4}))?\s*$")


@record
class Problem:
    """One thing wrong with a published file. ``error`` fails the check; ``warning`` only with ``--strict``."""

    level: str               # "error" | "warning"
    file: str                # as shown to the user, e.g. "output/news/atom.xml"
    message: str
    item: str | None = None  # the item's id, when the problem is in one item

    def line(self) -> str:
        where = f"{self.file}: item {self.item}" if self.item else self.file
        return f"{self.level}: {where}: {self.message}"


def rfc3339(value: str | None) -> str | None:
    """Atom and JSON Feed dates: RFC 3339, with a time zone (``Z`` or an offset)."""
    if value is None or not value.strip():
        return "is empty"
    match = _RFC3339.match(value.strip())
    if not match:
        return f"{value!r} is not an RFC 3339 date (like 2026-03-01T12:00:00Z)"
    if not match.group("zone"):
        return f"{value!r} has no time zone (add Z or an offset like +01:00)"
    try:
        datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return f"{value!r} is not a real date"
    return None


def rfc822(value: str | None) -> str | None:
    """RSS dates: RFC 822 (four-digit years allowed, as everyone writes them), with a time zone."""
    if value is None or not value.strip():
        return "is empty"
    match = _RFC822.match(value)
    if not match:
        return f"{value!r} is not an RFC 822 date (like Sun, 01 Mar 2026 12:00:00 +0000)"
    if not match.group("zone"):
        return f"{value!r} has no time zone (add +0000 or GMT)"
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a real date"
    return None


def absolute_url(value: str | None) -> str | None:
    """Links and content URLs must be absolute: a reader resolves relative ones against the wrong address."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return f"{value!r} is not a URL"
    if not parts.scheme:
        return f"{value!r} is a relative URL"
    if parts.scheme in ("http", "https") and not parts.netloc:
        return f"{value!r} has no host"
    return None


def illegal_characters(text: str) -> list[tuple[int, str]]:
    """(line, description) of every character XML 1.0 forbids, raw or as a character reference."""
    found: list[tuple[int, str]] = []
    for match in ILLEGAL_XML.finditer(text):
        found.append((text.count("\n", 0, match.start()) + 1, f"U+{ord(match.group()):04X}"))
    for match in _CHAR_REF.finditer(text):
        ref = match.group(1)
        try:
            code = int(ref[1:], 16) if ref[0] == "x" else int(ref)
            bad = code > 0x10FFFF or bool(ILLEGAL_XML.match(chr(code)))
        except ValueError:
            bad = True
        if bad:
            found.append((text.count("\n", 0, match.start()) + 1, f"&#{ref};"))
    return found


def illegal_in(value: str) -> str | None:
    """For JSON strings: the first XML-illegal character, described, or ``None``."""
    match = ILLEGAL_XML.search(value)
    return f"U+{ord(match.group()):04X}" if match else None


class _Links(HTMLParser):
    ATTRS = {"href", "src", "poster", "cite", "action", "data", "background", "longdesc"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in self.ATTRS:
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [part.strip().split()[0] for part in value.split(",") if part.strip()]


def content_urls(html: str) -> list[str]:
    """Every URL in an HTML fragment's ``href``/``src``/``srcset`` (and the rarer URL attributes)."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.urls


def relative_urls(html: str) -> list[str]:
    """The relative URLs in an HTML fragment's ``href``/``src``/``srcset`` (and the rarer URL attributes)."""
    return [url for url in content_urls(html) if absolute_url(url) is not None]
