"""What every renderer needs to know about a feed, and where its files and item pages live."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from html import escape, unescape
from urllib.parse import quote, unquote, urljoin

from .. import __version__
from ..models import Item
from ..records import record

RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
ITEMS_DIR = "items"
FILES_DIR = "files"        # local files seed documents link to (seedfeed.sources.links), beside items/
DOC_MARKER = "seedfeed:doc/"   # a link to another seed document, by key, until its item page is known
ARCHIVE_DIR = "archive"    # RFC 5005 archive documents: archive/rss-1.xml, archive/atom-1.xml, archive/feed-1.json
FEED_FILES = (RSS_FILE, ATOM_FILE, JSON_FILE)
PAGE_FILE = "index.html"   # the feed's page for people, in its output folder
OPML_FILE = "feeds.opml"   # every feed, for a reader to import, at the top of output/
# Characters of HTML per item in a feed. libxml2 (and so lxml and most readers built on it) refuses a text node
# over 10,000,000 characters, and the default max_bytes lets a 10 MiB document through: a longer body is cut
# in the feeds, with a link to the whole document (its item page keeps everything).
FEED_BODY_LIMIT = 1_000_000
GENERATOR = ("seedfeed", __version__, "https://github.com/seedfeed/seedfeed")


@record
class FeedMeta:
    id: str                   # stable feed id, minted once
    title: str
    description: str
    site_url: str             # the site the feed is about (RSS <link>, Atom rel=alternate)
    base_url: str             # absolute URL of this feed's output folder, ending in "/"
    updated: datetime         # the newest real change
    language: str | None = None
    author: str | None = None
    hub: str | None = None
    ttl_minutes: int | None = None   # how often the feed can change (shortest schedule)
    # key -> (slug, own link) of the feed's documents, for links between them; called only when a body has one
    doc_links: Callable[[], Mapping[str, tuple[str, str | None]]] | None = None

    def url(self, name: str) -> str:
        return self.base_url + name


def archive_file(feed_file: str, page: int) -> str:
    """``rss.xml``, 3 -> ``archive/rss-3.xml``: archive page ``page`` of a subscription document."""
    stem, _, ext = feed_file.rpartition(".")
    return f"{ARCHIVE_DIR}/{stem}-{page}.{ext}"


def archive_page(rel_path: str) -> tuple[str, int] | None:
    """``archive/rss-3.xml`` -> (``rss.xml``, 3); ``None`` for any other path (the inverse of archive_file)."""
    folder, _, name = rel_path.rpartition("/")
    stem, _, ext = name.rpartition(".")
    stem, _, number = stem.rpartition("-")
    if folder.rpartition("/")[2] != ARCHIVE_DIR or not number.isdigit() or f"{stem}.{ext}" not in FEED_FILES:
        return None
    return f"{stem}.{ext}", int(number)


def page_path(item: Item) -> str:
    """The item page's path relative to the feed's output folder."""
    return f"{ITEMS_DIR}/{item.slug}.html"


def item_link(item: Item, meta: FeedMeta) -> str:
    """The item's own address when it has one (a web page, front matter ``link``), else its page."""
    return item.doc.link or meta.url(page_path(item))


def item_title(item: Item) -> str:
    """The title as every format and page publishes it: no element, no comment, however a reader parses it.

    Extraction already strips markup from titles; this also covers items stored before it did."""
    from ..extraction.sanitize import safe_title  # here, not at the top: a no-change build never renders

    return safe_title(item.doc.title)


_DOC_LINK = re.compile(r'href="' + re.escape(DOC_MARKER) + r'([^"#]*)(#[^"]*)?"')
_ROOT_RELATIVE = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')


def _doc_url(meta: FeedMeta, key: str) -> str:
    """Where a link to the seed document ``key`` goes: its own address, else its item page. A document that is
    not published gets a link into files/ that does not exist there, which ``seedfeed check`` reports."""
    slug, own = (meta.doc_links() if meta.doc_links else {}).get(key, (None, None))
    return own or meta.url(f"{ITEMS_DIR}/{slug}.html" if slug else f"{FILES_DIR}/{quote(key)}")


def body_html(item: Item, meta: FeedMeta) -> str:
    """The item's sanitized body with every URL absolute.

    Seed documents have no address until they are published, so relative links in their bodies are resolved
    here, against the item's link: a new ``base_url`` changes the links without changing the content hash.
    Links to other seed documents go to their item pages, and root-relative links (``/docs/``) to the feed's
    site link, when one is configured.
    """
    body = item.doc.body_html
    if DOC_MARKER in body:
        body = _DOC_LINK.sub(lambda m: 'href="' + escape(_doc_url(meta, unquote(m.group(1))) + unescape(m.group(2) or ""))
                             + '"', body)
    if meta.site_url != meta.base_url and '="/' in body:
        body = _ROOT_RELATIVE.sub(lambda m: f'{m.group(1)}="{escape(urljoin(meta.site_url, unescape(m.group(2))))}"', body)
    from ..extraction.sanitize import absolutize

    return absolutize(body, item_link(item, meta))


def feed_body_html(item: Item, meta: FeedMeta) -> str:
    """:func:`body_html`, cut to :data:`FEED_BODY_LIMIT` characters (at a tag, re-balanced) when longer."""
    body = body_html(item, meta)
    if len(body) <= FEED_BODY_LIMIT:
        return body
    cut = body[:FEED_BODY_LIMIT]
    cut = cut[: cut.rfind("<")] if "<" in cut else cut   # never inside a tag
    link = escape(item_link(item, meta))
    from ..extraction.sanitize import sanitize_html

    return sanitize_html(cut) + f'\n<p><a href="{link}">The rest of this document is on its page.</a></p>'
