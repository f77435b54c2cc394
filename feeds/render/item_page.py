"""One small, readable HTML page per item, for documents that have no web address of their own.

The body is already sanitized; every other field is escaped here. The ``<head>`` carries the item's id and dates
(:func:`page_metas`), so a lost state can be recovered from the published pages. The page links back to its feed's page
(``../index.html``, relative so it works from ``file://``) and carries the feed's autodiscovery tags.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from ..models import Item
from .base import PAGE_FILE, FeedMeta, body_html, item_title
from .html import FORMATS, alternates, date, document, esc, footer


def source_hash(key: str) -> str:
    """A short hash of a document's source key: identifies the document in its page without showing its path."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def page_metas(item_id: str, published: datetime, updated: datetime, key: str) -> list[str]:
    """``<meta>`` lines with the item's id, dates and source hash: the backup :mod:`seedfeed.state.recover` reads
    when the state is lost, so items that scrolled out of the feeds keep their ids too."""
    values = (("id", item_id), ("published", published.isoformat()), ("updated", updated.isoformat()),
              ("source", source_hash(key)))
    return [f'<meta name="seedfeed:{name}" content="{esc(value)}">' for name, value in values]


def render_page(item: Item, meta: FeedMeta) -> bytes:
    doc = item.doc
    title = item_title(item) or "(untitled)"
    byline = f' · <span dir="auto">{esc(doc.author)}</span>' if doc.author else ""
    updated = f" · updated {date(item.updated)}" if item.updated > item.published else ""
    tags = "".join(f'<li dir="auto">{esc(t)}</li>' for t in doc.tags)
    home = f"../{PAGE_FILE}"
    formats = " · ".join(f'<a href="../{name}">{label}</a>' for label, name, _ in FORMATS)
    body = [
        f'<nav class="top"><a href="{home}" dir="auto">← {esc(meta.title)}</a></nav>',
        "<main>",
        '<article dir="auto">',
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{date(item.published.astimezone(UTC))}{byline}{updated}</p>',
        "</header>",
        body_html(item, meta),
        f'<ul class="tags">{tags}</ul>' if tags else "",
        "</article>",
        "</main>",
        footer(f'From <a href="{home}" dir="auto">{esc(meta.title)}</a> · Subscribe: {formats}. '),
    ]
    return document(title=f"{title} · {meta.title}", description=doc.summary, lang=doc.language or meta.language,
                    links=[*page_metas(item.id, item.published, item.updated, doc.key), *alternates(meta.title, meta.base_url)],
                    body=body)
