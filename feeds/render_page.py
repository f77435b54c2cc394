"""One small, readable HTML page per item, for documents that have no web address of their own.

The body is already sanitized; every other field is escaped here.
"""

from __future__ import annotations

from datetime import UTC
from html import escape

from feeds.models import Item
from feeds.render import ATOM_FILE, JSON_FILE, RSS_FILE, FeedMeta, body_html

_STYLE = (
    "body{max-width:42rem;margin:2rem auto;padding:0 1rem;font:1.05rem/1.6 system-ui,sans-serif;color:#222}"
    "header p,footer{color:#666;font-size:.9rem}img{max-width:100%;height:auto}pre{overflow:auto}"
    "a{color:#0645ad}@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}}"
)


def render_page(item: Item, meta: FeedMeta) -> bytes:
    doc = item.doc
    lang = doc.language or meta.language
    published = item.published.astimezone(UTC)
    byline = f" · {escape(doc.author)}" if doc.author else ""
    updated = ""
    if item.updated > item.published:
        u = item.updated.astimezone(UTC)
        updated = f' · updated <time datetime="{u.isoformat()}">{u:%Y-%m-%d}</time>'
    tags = "".join(f"<li>{escape(t)}</li>" for t in doc.tags)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}">' if lang else "<html>",
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title or '(untitled)')} · {escape(meta.title)}</title>",
        f'<meta name="description" content="{escape(doc.summary)}">' if doc.summary else "",
        f'<link rel="alternate" type="application/atom+xml" title="{escape(meta.title)}" href="{escape(meta.url(ATOM_FILE))}">',
        f'<link rel="alternate" type="application/rss+xml" title="{escape(meta.title)}" href="{escape(meta.url(RSS_FILE))}">',
        f'<link rel="alternate" type="application/feed+json" title="{escape(meta.title)}" href="{escape(meta.url(JSON_FILE))}">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src * data:; "
        "style-src 'unsafe-inline'\">",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<article>",
        "<header>",
        f"<h1>{escape(doc.title or '(untitled)')}</h1>",
        f'<p><time datetime="{published.isoformat()}">{published:%Y-%m-%d}</time>{byline}{updated}</p>',
        "</header>",
        body_html(item, meta),
        f'<ul class="tags">{tags}</ul>' if tags else "",
        "</article>",
        f'<footer><p>From <a href="{escape(meta.site_url)}">{escape(meta.title)}</a> · '
        f'<a href="{escape(meta.url(ATOM_FILE))}">Atom</a> · <a href="{escape(meta.url(RSS_FILE))}">RSS</a> · '
        f'<a href="{escape(meta.url(JSON_FILE))}">JSON Feed</a></p></footer>',
        "</body>",
        "</html>",
    ]
    return ("\n".join(p for p in parts if p) + "\n").encode("utf-8")
