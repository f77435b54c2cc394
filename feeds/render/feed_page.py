"""The page people share for a feed (its folder's ``index.html``): what the feed is, how to subscribe, its items.

The feed files stay pure feeds; this page is where a person who does not know what a feed is lands. Links to
other pages are relative (they work from ``file://``); the URLs to copy and autodiscovery are absolute.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Item
from .base import FeedMeta
from .html import FORMATS, ICON, alternates, count_text, date, document, esc, footer, item_list

READER_NOTE = ("A feed reader is an app that checks the sites you follow and shows you what is new, so you "
               "don't have to visit each one. Paste one of these addresses into yours; any of them works.")


def subscribe_box(meta: FeedMeta, folder: str = "") -> str:
    """The feed URLs to copy (a click selects a whole URL), each also a link to the file."""
    rows = "".join(f'<dt><a href="{esc(folder + name)}">{label}</a></dt>'
                   f'<dd><code class="url">{esc(meta.url(name))}</code></dd>' for label, name, _ in FORMATS)
    return (f'<section class="box" aria-label="Subscribe"><h2>{ICON}Subscribe</h2><p>{READER_NOTE}</p>'
            f'<dl class="urls">{rows}</dl></section>')


def render_feed_page(meta: FeedMeta, items: Sequence[Item], total: int, *, overview: str | None = None) -> bytes:
    """``items``: what the feed shows (newest first); ``total``: live items; ``overview``: link to all feeds."""
    nav = f'<nav class="top"><a href="{esc(overview)}">← All feeds</a></nav>' if overview else ""
    if items:
        shown = (f"the newest {len(items):,} of {count_text(total)}" if total > len(items) else count_text(total))
        status = f"{shown} · updated {date(meta.updated)}"
        listing = item_list(items)
    else:
        status = "no items yet"
        listing = ('<p class="empty">This feed has no items yet. Subscribe anyway: new items will show up here '
                   "and in your feed reader as soon as they are published.</p>")
    site = ""
    if meta.site_url.rstrip("/") != meta.base_url.rstrip("/"):
        site = f' · <a href="{esc(meta.site_url)}">website</a>'
    body = [
        nav,
        "<header>",
        f'<h1 dir="auto">{esc(meta.title)}</h1>',
        f'<p class="lede" dir="auto">{esc(meta.description)}</p>' if meta.description else "",
        f'<p class="meta">{status}{site}</p>',
        "</header>",
        subscribe_box(meta),
        "<main>",
        '<h2>Latest items</h2>' if items else "",
        listing,
        "</main>",
        footer(),
    ]
    return document(title=meta.title, description=meta.description, lang=meta.language,
                    links=alternates(meta.title, meta.base_url), body=body)
