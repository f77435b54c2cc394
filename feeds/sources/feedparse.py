"""Read a source feed (RSS 2.0, RSS 1.0, Atom, JSON Feed) into plain entry records, safely.

feedparser does the reading of RSS and Atom (it knows every dialect, ``xml:base`` and a decade of broken
feeds); JSON Feed 1.0/1.1, which feedparser 6 does not read, is plain JSON mapped here. This module decides
what is *not* a feed and refuses it with a message that says what the server sent:

* an HTML page (an error, login or consent page where the feed should be);
* an XML document that declares entities in its DTD: a "billion laughs" bomb or an external entity
  (``SYSTEM "http://..."`` or ``file:///etc/passwd``) is refused before any parser sees it, so nothing is
  expanded and nothing is fetched. Real feeds do not declare entities; feedparser never fetches a DTD either
  (it turns off external general entities), so an entity-free DOCTYPE is harmless;
* anything feedparser cannot find a feed in (not XML, not JSON, no entries and no feed title).

Entry problems are not fatal: each is a warning naming the entry, and the entry is kept when it can be.
"""

from __future__ import annotations

import calendar
import html
import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from ..records import field, record
from ..urls import normalize_url

#: A date more than this far ahead of the run is not believed (a clock or time zone mistake at the source).
FUTURE_SLACK = timedelta(days=1)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.I | re.S)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


class NotAFeed(ValueError):
    """The document is not a feed we will read; the message says what it is instead."""


@record
class FeedEntry:
    """One entry as the source feed tells it."""

    key: str                      # identity key: the normalised link, or the entry id when there is no link
    link: str | None              # absolute URL of the article
    entry_id: str | None          # the entry's own id when it is a stable URI (guid, Atom id, JSON Feed id)
    title: str
    content_html: str             # the feed's body: full content if given, else the summary (raw, unsanitized)
    summary_html: str
    published: datetime | None
    updated: datetime | None
    author: str | None
    tags: tuple[str, ...] = ()


@record(frozen=False)
class ParsedFeed:
    version: str                  # feedparser's name: rss20, rss10, atom10, json11 ...
    title: str
    entries: list[FeedEntry] = field(default_factory=list)
    next_url: str | None = None   # rel="next" (RFC 5005 paged feeds) or JSON Feed next_url
    warnings: list[str] = field(default_factory=list)


def _prolog(data: bytes) -> bytes:
    """The bytes before the root element (where a DTD lives), as ASCII-compatible bytes."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16", "replace").encode("utf-8", "replace")
    match = _ROOT_START.search(data)
    return data[: match.start()] if match else data


def refuse_unsafe(data: bytes, url: str) -> None:
    """Raise :class:`NotAFeed` for an HTML page or an XML document declaring entities."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        raise NotAFeed(f"{url}: is an HTML page, not a feed (the server may have sent an error, login or "
                       "consent page); check the feed URL in a browser")
    if _ENTITY_DECL.search(_prolog(data)):
        raise NotAFeed(f"{url}: the XML declares entities in its DTD (an entity-expansion bomb or an external "
                       "entity); refused without expanding or fetching anything. Ask the publisher for a plain feed")


def _date(struct, raw: str | None, what: str, label: str, now: datetime, warnings: list[str]) -> datetime | None:  # noqa: ANN001
    if struct is None:
        if raw:
            warnings.append(f"{label}: unreadable {what} date {raw[:60]!r}; using the time it was first seen")
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (OverflowError, ValueError, OSError):
        warnings.append(f"{label}: impossible {what} date {raw!r}; using the time it was first seen")
        return None
    if value > now + FUTURE_SLACK:
        warnings.append(f"{label}: {what} date {value.isoformat()} is in the future; using the time it was first seen")
        return None
    return value


def _absolute_http(link: str | None) -> str | None:
    if not link:
        return None
    try:
        normalize_url(link)
    except ValueError:
        return None
    return link


def parse(data: bytes, url: str, content_type: str | None, now: datetime, max_entries: int) -> ParsedFeed:
    """Parse a fetched feed; at most the ``max_entries`` newest entries, in the feed's order (newest first
    for nearly every feed; entries are sorted by date when they all have one)."""
    import feedparser

    if b"json" in (content_type or "").encode() or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _finish(_parse_json(data, url, now), max_entries)
    refuse_unsafe(data, url)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(data, response_headers=headers, resolve_relative_uris=True, sanitize_html=True)
    if not parsed.version and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise NotAFeed(f"{url}: not a feed (no RSS, Atom or JSON Feed found"
                       + (f": {problem}" if problem else "") + "); check the URL points at the feed itself")
    result = ParsedFeed(parsed.version or "unknown", parsed.feed.get("title", ""))
    if parsed.bozo and parsed.entries:
        result.warnings.append(f"{url}: the feed is not well-formed ({parsed.get('bozo_exception')}); read leniently")
    for link in parsed.feed.get("links", []):
        if link.get("rel") == "next" and link.get("href"):
            result.next_url = link["href"]
    if parsed.feed.get("next_url"):
        result.next_url = parsed.feed["next_url"]
    seen: set[str] = set()
    for position, raw in enumerate(parsed.entries):
        label = f"{url}: entry {position + 1}"
        _add(result, _entry(raw, label, now, result.warnings), label, seen)
    return _finish(result, max_entries)


def _add(result: ParsedFeed, entry: FeedEntry | None, label: str, seen: set[str]) -> None:
    """Keep ``entry`` unless it repeats an earlier entry's id or link (the first one wins, with a warning)."""
    if entry is None:
        return
    duplicate = entry.key if entry.key in seen else entry.entry_id if entry.entry_id in seen else None
    if duplicate:
        result.warnings.append(f"{label}: duplicate id or link {duplicate!r}; only the first entry is used")
        return
    seen.update(k for k in (entry.key, entry.entry_id) if k)
    result.entries.append(entry)


def _finish(result: ParsedFeed, max_entries: int) -> ParsedFeed:
    if all(e.published or e.updated for e in result.entries):
        result.entries.sort(key=lambda e: (e.updated or e.published), reverse=True)  # type: ignore[arg-type, return-value]
    del result.entries[max_entries:]
    return result


def _parse_json(data: bytes, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) into the same records as RSS and Atom."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotAFeed(f"{url}: not a feed (not valid JSON: {exc}); check the URL points at the feed itself") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise NotAFeed(f"{url}: JSON, but not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\"); "
                       "check the URL points at the feed itself")
    result = ParsedFeed("json" + str(doc["version"]).rsplit("/", 1)[-1].replace(".", ""), str(doc.get("title", "")))
    if isinstance(doc.get("next_url"), str):
        result.next_url = urljoin(url, doc["next_url"])
    authors = doc.get("authors") or ([doc["author"]] if isinstance(doc.get("author"), dict) else [])
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    seen: set[str] = set()
    for position, raw in enumerate(items):
        if not isinstance(raw, dict):
            result.warnings.append(f"{url}: item {position + 1} is not a JSON object; skipped")
            continue
        item_authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else authors)
        names = [a.get("name") for a in item_authors if isinstance(a, dict) and a.get("name")]
        text = raw.get("content_text")
        entry_like = {
            "id": str(raw.get("id", "")), "link": urljoin(url, raw["url"]) if isinstance(raw.get("url"), str) else None,
            "title": str(raw.get("title") or ""), "summary": str(raw.get("summary") or ""),
            "content": [{"value": str(raw.get("content_html") or (html.escape(text) if isinstance(text, str) else ""))}],
            "published": raw.get("date_published"), "updated": raw.get("date_modified"),
            "published_parsed": _rfc3339(raw.get("date_published")), "updated_parsed": _rfc3339(raw.get("date_modified")),
            "author": ", ".join(names) or None,
            "tags": [{"term": str(t)} for t in raw.get("tags") or [] if isinstance(t, str | int | float)],
        }
        label = f"{url}: item {position + 1}"
        _add(result, _entry(entry_like, label, now, result.warnings), label, seen)
    return result


def _rfc3339(value: object) -> time.struct_time | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).timetuple()


def _entry(raw, label: str, now: datetime, warnings: list[str]) -> FeedEntry | None:  # noqa: ANN001
    raw_id = (raw.get("id") or "").strip()
    stable_id = raw_id if _URI.match(raw_id) else None
    link = _absolute_http(raw.get("link"))
    title = raw.get("title", "")
    label = f"{label} ({title[:50]!r})" if title else label
    if link is None and raw.get("link"):
        warnings.append(f"{label}: link {raw.get('link')!r} is not an http(s) URL; the feed's own content is used")
    if link is None:
        if not stable_id:
            warnings.append(f"{label}: has neither a link nor an id; skipped (nothing would keep its identity)")
            return None
        if not raw.get("link"):
            warnings.append(f"{label}: has no link; published with the feed's own content")
    try:
        key = normalize_url(link) if link else stable_id
    except ValueError:
        key = stable_id
    if key is None:
        return None
    content = raw.get("content") or []
    body = max((c.get("value", "") for c in content), key=len, default="") or raw.get("summary", "")
    tags = tuple(t.get("term") or t.get("label") or "" for t in raw.get("tags", []) if t.get("term") or t.get("label"))
    published = _date(raw.get("published_parsed"), raw.get("published"), "published", label, now, warnings)
    # dict.get: feedparser's own .get maps a missing "updated" to "published" (with a DeprecationWarning)
    updated = _date(dict.get(raw, "updated_parsed"), dict.get(raw, "updated"), "updated", label, now, warnings)
    return FeedEntry(key=key, link=link, entry_id=stable_id, title=title, content_html=body,
                     summary_html=raw.get("summary", ""), published=published, updated=updated,
                     author=raw.get("author") or None, tags=tags)
