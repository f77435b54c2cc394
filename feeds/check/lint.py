"""Lint one published feed file against its spec, and list its items for the comparison with the previous build.

- RSS 2.0 (RSS Advisory Board): channel ``title``/``link``/``description``; each item a ``title`` or a
  ``description``, and a ``guid`` (seedfeed's promise of identity); RFC 822 dates with a zone.
- Atom 1.0 (RFC 4287): feed ``id``/``title``/``updated``; entry ``id``/``title``/``updated``; an author on the
  feed or on every entry; content or an alternate link; RFC 3339 dates with an offset.
- JSON Feed 1.1: ``version``, ``title``, ``items``; each item an ``id`` and ``content_html`` or ``content_text``.

And for all three: well-formed, no XML-illegal characters, ids unique, links and content URLs absolute, the
self link equal to where the feed is served, and the site link different from the feed's own URL.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lxml import etree

from ..records import field, record
from .rules import Problem, absolute_url, content_urls, illegal_characters, illegal_in, rfc822, rfc3339

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
JSON_VERSIONS = ("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1")


@record
class Seen:
    """One item as the comparison needs it. ``version`` changes when the item does (its date, else its bytes)."""

    id: str
    version: str
    link: str | None
    title: str | None


@record(frozen=False)
class Linted:
    file: str
    problems: list[Problem] = field(default_factory=list)
    items: list[Seen] | None = None      # None: the file could not be read at all
    links: list[tuple[str | None, str, str]] = field(default_factory=list)   # (item, where, URL) in content

    def error(self, message: str, item: str | None = None) -> None:
        self.problems.append(Problem("error", self.file, message, item))

    def warn(self, message: str, item: str | None = None) -> None:
        self.problems.append(Problem("warning", self.file, message, item))


def lint(kind: str, data: bytes, file: str, self_url: str) -> Linted:
    """``kind`` is ``rss``, ``atom`` or ``json``; ``self_url`` is the address the file is served at."""
    return {"rss": _rss, "atom": _atom, "json": _json}[kind](data, Linted(file), self_url)


# ------------------------------------------------------------------------------------------------- XML

def _parse_xml(data: bytes, out: Linted) -> etree._Element | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.error(f"is not UTF-8 (byte {exc.start})")
        return None
    for line, what in illegal_characters(text):
        out.error(f"line {line}: {what} is not allowed in XML")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if not out.problems:
            out.error(f"is not well-formed XML: {exc}")
        return None


def _text(el: etree._Element | None, tag: str) -> str | None:
    found = el.find(tag) if el is not None else None
    return None if found is None else "".join(found.itertext()).strip()


def _html_urls(out: Linted, html: str | None, what: str, item: str | None) -> None:
    if html:
        for url in content_urls(html):
            if absolute_url(url) is not None:
                out.error(f"{what} has a relative URL {url!r}", item)
            else:
                out.links.append((item, what, url))


def _link(out: Linted, value: str | None, what: str, item: str | None = None) -> None:
    problem = absolute_url(value)
    if problem:
        out.error(f"{what}: {problem}", item)


def _self_link(out: Linted, found: str | None, self_url: str, site: str | None) -> None:
    if found is None:
        out.warn(f"has no self link; add one pointing at {self_url}")
    elif found != self_url:
        out.error(f"self link {found!r} is not where the feed is served ({self_url}); rebuild with the right "
                  "base_url, or give check the same --config/--base-url as build")
    if site is not None and site in (self_url, found):
        out.error(f"site link {site!r} is the feed's own URL; it should be the web page the feed is about")


def _unique(out: Linted, ids: list[str]) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            out.error("id is used by more than one item", item_id)
        seen.add(item_id)


def _rss(data: bytes, out: Linted, self_url: str) -> Linted:
    root = _parse_xml(data, out)
    if root is None:
        return out
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        out.error('is not RSS 2.0 (expected <rss version="2.0"><channel>)')
        return out
    for tag in ("title", "link", "description"):
        if not _text(channel, tag):
            out.error(f"channel has no <{tag}>")
    site = _text(channel, "link")
    _link(out, site, "channel <link>")
    selfs = [el.get("href") for el in channel.findall(f"{ATOM}link") if el.get("rel") == "self"]
    _self_link(out, selfs[0] if selfs else None, self_url, site)
    for tag in ("pubDate", "lastBuildDate"):
        if channel.find(tag) is not None and (problem := rfc822(_text(channel, tag))):
            out.error(f"channel <{tag}> {problem}")
    out.items = []
    for n, item in enumerate(channel.findall("item"), 1):
        guid_el = item.find("guid")
        guid = _text(item, "guid")
        name = guid or f"#{n}"
        if not guid:
            out.error("has no <guid>; readers cannot tell it from the others", name)
        elif (guid_el.get("isPermaLink") or "true") == "true":
            _link(out, guid, "<guid> (isPermaLink)", name)
        if not (_text(item, "title") or _text(item, "description")):
            out.error("has neither <title> nor <description>", name)
        if item.find("pubDate") is not None and (problem := rfc822(_text(item, "pubDate"))):
            out.error(f"<pubDate> {problem}", name)
        _link(out, _text(item, "link"), "<link>", name)
        _html_urls(out, _text(item, "description"), "<description>", name)
        _html_urls(out, _text(item, CONTENT_ENCODED), "<content:encoded>", name)
        # RSS has no per-item "updated": the item's bytes stand for its version.
        version = hashlib.sha256(etree.tostring(item, with_tail=False)).hexdigest()
        out.items.append(Seen(name, version, _text(item, "link"), _text(item, "title")))
    _unique(out, [s.id for s in out.items])
    return out


def _atom(data: bytes, out: Linted, self_url: str) -> Linted:
    root = _parse_xml(data, out)
    if root is None:
        return out
    if root.tag != f"{ATOM}feed":
        out.error("is not an Atom feed (expected <feed xmlns=\"http://www.w3.org/2005/Atom\">)")
        return out
    for tag in ("id", "title", "updated"):
        if not _text(root, f"{ATOM}{tag}"):
            out.error(f"feed has no <{tag}>")
    _link(out, _text(root, f"{ATOM}id"), "feed <id>")
    if root.find(f"{ATOM}updated") is not None and (problem := rfc3339(_text(root, f"{ATOM}updated"))):
        out.error(f"feed <updated> {problem}")
    links = root.findall(f"{ATOM}link")
    selfs = [el.get("href") for el in links if el.get("rel") == "self"]
    sites = [el.get("href") for el in links if el.get("rel", "alternate") == "alternate"]
    for el in links:
        _link(out, el.get("href"), f"feed <link rel={el.get('rel', 'alternate')}>")
    _self_link(out, selfs[0] if selfs else None, self_url, sites[0] if sites else None)
    feed_author = _has_author(root)
    out.items = []
    for n, entry in enumerate(root.findall(f"{ATOM}entry"), 1):
        entry_id = _text(entry, f"{ATOM}id")
        name = entry_id or f"#{n}"
        for tag in ("id", "title", "updated"):
            if entry.find(f"{ATOM}{tag}") is None:
                out.error(f"has no <{tag}>", name)
        _link(out, entry_id, "<id>", name)
        for tag in ("updated", "published"):
            if entry.find(f"{ATOM}{tag}") is not None and (problem := rfc3339(_text(entry, f"{ATOM}{tag}"))):
                out.error(f"<{tag}> {problem}", name)
        if not feed_author and not _has_author(entry):
            out.error("has no <author>, and neither has the feed (RFC 4287 needs one)", name)
        entry_links = entry.findall(f"{ATOM}link")
        alternates = [el.get("href") for el in entry_links if el.get("rel", "alternate") == "alternate"]
        if entry.find(f"{ATOM}content") is None and not alternates:
            out.error("has neither <content> nor an alternate <link>", name)
        for el in entry_links:
            _link(out, el.get("href"), "<link>", name)
        for tag in ("content", "summary"):
            el = entry.find(f"{ATOM}{tag}")
            if el is not None and el.get("type") == "html":
                _html_urls(out, el.text, f"<{tag}>", name)
            elif el is not None and el.get("type") == "xhtml":
                _html_urls(out, etree.tostring(el, encoding="unicode"), f"<{tag}>", name)
        out.items.append(Seen(name, _text(entry, f"{ATOM}updated") or "", alternates[0] if alternates else None,
                              _text(entry, f"{ATOM}title")))
    _unique(out, [s.id for s in out.items])
    return out


def _has_author(el: etree._Element) -> bool:
    return any(_text(a, f"{ATOM}name") for a in el.findall(f"{ATOM}author"))


# ------------------------------------------------------------------------------------------------ JSON

def _json(data: bytes, out: Linted, self_url: str) -> Linted:
    try:
        feed: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        out.error(f"is not valid JSON in UTF-8 ({exc})")
        return out
    if not isinstance(feed, dict):
        out.error("is not a JSON object")
        return out
    _strings(out, feed, None)
    if feed.get("version") not in JSON_VERSIONS:
        out.error(f"version {feed.get('version')!r} is not {JSON_VERSIONS[0]}")
    if not isinstance(feed.get("title"), str) or not feed["title"].strip():
        out.error("has no title")
    for key in ("home_page_url", "feed_url", "icon", "favicon"):
        if isinstance(feed.get(key), str):
            _link(out, feed[key], key)
    _self_link(out, feed.get("feed_url"), self_url, feed.get("home_page_url"))
    items = feed.get("items")
    if not isinstance(items, list):
        out.error("has no items list")
        return out
    out.items = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.error("is not an object", f"#{n}")
            continue
        raw_id = item.get("id")
        name = str(raw_id) if raw_id not in (None, "") else f"#{n}"
        if raw_id in (None, ""):
            out.error("has no id", name)
        elif not isinstance(raw_id, str):
            out.warn("id should be a string (JSON Feed 1.1)", name)
        if not (isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)):
            out.error("has neither content_html nor content_text", name)
        for key in ("date_published", "date_modified"):
            if key in item and (problem := rfc3339(item[key] if isinstance(item[key], str) else None)):
                out.error(f"{key} {problem}", name)
        for key in ("url", "external_url", "image", "banner_image"):
            if isinstance(item.get(key), str):
                _link(out, item[key], key, name)
        _html_urls(out, item.get("content_html") if isinstance(item.get("content_html"), str) else None,
                   "content_html", name)
        version = item.get("date_modified") or hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
        out.items.append(Seen(name, str(version), item.get("url"), item.get("title")))
    _unique(out, [s.id for s in out.items])
    return out


def _strings(out: Linted, value: Any, item: str | None) -> None:
    """JSON allows control characters (escaped); anything that turns the item into XML or HTML does not."""
    if isinstance(value, str):
        if (bad := illegal_in(value)) is not None:
            out.error(f"{bad} is not allowed in XML or HTML text", item)
    elif isinstance(value, list):
        for v in value:
            _strings(out, v, item)
    elif isinstance(value, dict):
        if item is None and isinstance(value.get("items"), list):
            for key, v in value.items():
                if key != "items":
                    _strings(out, v, None)
            for n, entry in enumerate(value["items"], 1):
                entry_id = entry.get("id") if isinstance(entry, dict) else None
                _strings(out, entry, str(entry_id) if entry_id not in (None, "") else f"#{n}")
            return
        for v in value.values():
            _strings(out, v, item)
