"""One small, readable HTML page per item, for documents that have no web address of their own.

The body is already sanitized; every other field is escaped here. The page links back to its feed's page
(``../index.html``, relative so it works from ``file://``) and carries the feed's autodiscovery tags.
"""

from __future__ import annotations

from datetime import UTC

from ..models import Item
from .base import PAGE_FILE, FeedMeta, body_html, item_title
from .html import FORMATS, alternates, date, document, esc, footer


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
                    links=alternates(meta.title, meta.base_url), body=body)
