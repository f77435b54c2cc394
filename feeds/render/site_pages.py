"""Site-wide files at the top of ``output/``: the overview of every feed (``index.html``) and ``feeds.opml``.

Both are pure functions of :class:`FeedSummary` records, which carry only what these files show (a feed's
newest few items, not all of them), so writing them after a run that changed one feed stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree

from ..models import Item
from ..records import record
from .base import ATOM_FILE, OPML_FILE, PAGE_FILE
from .html import FORMATS, ICON, alternates, count_text, date, document, esc, footer, item_list

LATEST = 3  # items the overview shows per feed
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@record
class FeedSummary:
    """What the overview and the OPML file know about one feed."""

    folder: str                     # relative path of its output folder from output/: "news/", or ""
    title: str
    description: str
    base_url: str                   # absolute URL of its output folder
    language: str | None
    count: int                      # live items
    latest: tuple[Item, ...]        # the newest few, newest first

    @property
    def updated(self) -> datetime | None:
        return max((i.updated for i in self.latest), default=None)


def render_overview(title: str, base_url: str, feeds: Sequence[FeedSummary]) -> bytes:
    """``output/index.html`` when there are several feeds: each with its newest items and its formats."""
    cards = []
    for feed in feeds:
        page = esc(feed.folder + PAGE_FILE)
        status = f'<p class="meta">{count_text(feed.count)} · updated {date(feed.updated)}</p>' if feed.updated else ""
        latest = item_list(feed.latest, feed.folder, summaries=False) if feed.latest else \
            '<p class="empty">No items yet.</p>'
        formats = " · ".join(f'<a href="{esc(feed.folder + name)}">{label}</a>' for label, name, _ in FORMATS)
        cards.append(
            f'<li><h2 dir="auto"><a href="{page}">{esc(feed.title)}</a></h2>'
            + (f'<p dir="auto">{esc(feed.description)}</p>' if feed.description else "")
            + f'{status}{latest}'
            + f'<p class="formats"><a href="{page}">All items →</a> · Subscribe: {formats}</p></li>')
    n = len(feeds)
    body = [
        "<header>",
        f'<h1 dir="auto">{esc(title)}</h1>',
        f'<p class="lede">{n} feed{"" if n == 1 else "s"}. Open one to read it, or follow it in a feed reader.</p>',
        "</header>",
        f'<section class="box" aria-label="Subscribe to all"><h2>{ICON}Subscribe to all of them</h2>',
        "<p>A feed reader is an app that checks the sites you follow and shows you what is new. Most readers can "
        "import a list of feeds: give yours this OPML file to follow every feed here at once.</p>",
        f'<dl class="urls"><dt><a href="{OPML_FILE}">OPML</a></dt>'
        f'<dd><code class="url">{esc(base_url + OPML_FILE)}</code></dd></dl></section>',
        '<main><ul class="feeds">' + "".join(cards) + "</ul></main>",
        footer(),
    ]
    links = [tag for feed in feeds for tag in alternates(feed.title, feed.base_url)]
    return document(title=title, description=f"{n} feeds: " + ", ".join(f.title for f in feeds), lang=None,
                    links=links, body=body)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(when: datetime) -> str:
    """An RFC 822 date in GMT, English names whatever the locale (``email.utils.format_datetime(usegmt=True)``,
    whose import brings ``socket`` and the rest of ``email`` along)."""
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year:04d} "
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} GMT")


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def render_opml(title: str, feeds: Sequence[FeedSummary], now: datetime) -> bytes:
    """OPML 2.0 subscription list. ``xmlUrl`` is each feed's Atom file (see ``FORMATS`` for why Atom).

    ``dateCreated`` is the newest item update across the feeds rather than the clock, so the file's bytes (and
    its ETag) change only when what it describes does; ``now`` only when no feed has items yet."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _clean(title)
    newest = max((f.updated for f in feeds if f.updated), default=now)
    etree.SubElement(head, "dateCreated").text = rfc822(newest.astimezone(UTC))
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for feed in feeds:
        outline = etree.SubElement(body, "outline", type="rss", text=_clean(feed.title), title=_clean(feed.title),
                                   xmlUrl=feed.base_url + ATOM_FILE, htmlUrl=feed.base_url)
        if feed.description:
            outline.set("description", _clean(feed.description))
        if feed.language:
            outline.set("language", _clean(feed.language))
    etree.indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"
