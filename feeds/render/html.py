"""The pieces every human-facing page shares: one small stylesheet, the ``<head>``, dates and item lists.

Pages are plain HTML with no script at all, so they read the same from ``file://``, from ``seedfeed serve``
and from any static host. Every value that came from a person (titles, descriptions, summaries, URLs) is
escaped here, and text that may be right-to-left carries ``dir="auto"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from ..models import Item
from .base import ATOM_FILE, JSON_FILE, RSS_FILE, item_title, page_path

# (label, file, media type), in the order pages offer them. Atom first: it is the format feeds.opml lists, so
# a reader that picks the first autodiscovery link ends up with the same subscription as an OPML import.
FORMATS = (("Atom", ATOM_FILE, "application/atom+xml"), ("RSS", RSS_FILE, "application/rss+xml"),
           ("JSON Feed", JSON_FILE, "application/feed+json"))
SUMMARY_CHARS = 280

STYLE = (
    ":root{color-scheme:light dark;--fg:#1c2024;--muted:#5c636b;--bg:#fff;--card:#f5f7f9;--line:#dde2e7;"
    "--link:#0b57d0;--accent:#d9480f}"
    "@media(prefers-color-scheme:dark){:root{--fg:#e4e7eb;--muted:#9aa3ad;--bg:#111418;--card:#1a1f25;"
    "--line:#2c333b;--link:#7cacf8;--accent:#ff8a4c}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);overflow-wrap:anywhere;"
    "font:1.0625rem/1.6 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;-webkit-text-size-adjust:100%}"
    ".page{max-width:44rem;margin:0 auto;padding:1.25rem 1.25rem 3rem}"
    "a{color:var(--link);text-underline-offset:.18em}"
    "nav.top{font-size:.9rem;margin-bottom:1.5rem}"
    "h1{font-size:clamp(1.7rem,6vw,2.4rem);line-height:1.15;margin:0 0 .5rem;letter-spacing:-.01em}"
    "h2{font-size:1.25rem;line-height:1.3;margin:2rem 0 .5rem}"
    ".lede{font-size:1.15rem;color:var(--muted);margin:0 0 .5rem}"
    ".meta,.meta a{color:var(--muted);font-size:.9rem}"
    ".box{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.25rem;"
    "margin:1.5rem 0}"
    ".box h2{font-size:1.05rem;margin:0 0 .25rem}.box p{margin:.25rem 0}"
    ".urls{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.5rem .75rem;margin:.75rem 0 .25rem;"
    "align-items:center}"
    ".urls dt{font-weight:600;font-size:.9rem}.urls dd{margin:0}"
    "@media(max-width:32rem){.page{padding:1rem 1rem 2.5rem}.box,.feeds>li{padding:.9rem 1rem}"
    ".urls{grid-template-columns:1fr;gap:.15rem}.urls dd{margin-bottom:.5rem}}"
    ".icon{width:1em;height:1em;vertical-align:-.12em;margin-right:.4rem;fill:var(--accent)}"
    "code{font:.82rem/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    ".url{display:block;white-space:nowrap;overflow-x:auto;user-select:all;-webkit-user-select:all;"
    "background:var(--bg);border:1px solid var(--line);"
    "border-radius:.4rem;padding:.3rem .5rem}"
    ".items{list-style:none;margin:0;padding:0}"
    ".items>li{padding:1rem 0;border-top:1px solid var(--line)}"
    ".items h3{font-size:1.15rem;line-height:1.35;margin:0 0 .15rem;font-weight:600}"
    ".items h3 a{text-decoration:none}.items h3 a:hover{text-decoration:underline}"
    ".items p{margin:.35rem 0 0}"
    ".feeds{list-style:none;margin:0;padding:0}"
    ".feeds>li{border:1px solid var(--line);border-radius:.75rem;padding:1.1rem 1.25rem;margin:0 0 1.25rem}"
    ".feeds h2{margin:0 0 .25rem}.feeds h2 a{text-decoration:none}"
    ".feeds h2 a:hover{text-decoration:underline}.feeds .items>li{padding:.6rem 0}.feeds .items h3{font-size:1rem}"
    ".formats{margin:.75rem 0 0;font-size:.9rem}.formats a{white-space:nowrap}"
    ".empty{padding:1.5rem;text-align:center;color:var(--muted);border:1px dashed var(--line);border-radius:.75rem}"
    "article img,article video{max-width:100%;height:auto}article pre{overflow:auto}"
    ".tags{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0}"
    ".tags li{background:var(--card);border:1px solid var(--line);border-radius:1rem;padding:0 .6rem;font-size:.85rem}"
    "footer{margin-top:3rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}"
    "footer a{color:var(--muted)}"
)

# Pages need nothing from elsewhere: no scripts, no fonts, no frames; images in item bodies may come from anywhere.
_CSP = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


# The common feed symbol, inline so it needs no request (and no image permission).
ICON = ('<svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><circle cx="3" cy="13" r="2"/>'
        '<path d="M1 6.5v2.2a6.3 6.3 0 0 1 6.3 6.3h2.2A8.5 8.5 0 0 0 1 6.5zM1 1.5v2.2A11.3 11.3 0 0 1 12.3 15h2.2'
        'A13.5 13.5 0 0 0 1 1.5z"/></svg>')


def esc(text: str) -> str:
    return escape(text, quote=True)


def alternates(title: str, base_url: str) -> list[str]:
    """``<link rel="alternate">`` autodiscovery tags for one feed (absolute URLs: readers store them)."""
    return [f'<link rel="alternate" type="{kind}" title="{esc(title)}" href="{esc(base_url + name)}">'
            for _, name, kind in FORMATS]


def document(*, title: str, description: str, lang: str | None, links: Sequence[str], body: Sequence[str]) -> bytes:
    """A whole page: head (charset, viewport, CSP, autodiscovery ``links``, the stylesheet) and ``body`` lines."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(lang)}">' if lang else "<html>",
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f'<meta name="description" content="{esc(description)}">' if description else "",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<link rel="icon" href="data:,">',  # no favicon request (and no 404) from browsers
        *links,
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        '<div class="page">',
        *body,
        "</div>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(p for p in parts if p) + "\n").encode("utf-8")


def date(value: datetime) -> str:
    """A ``<time>`` a person can read ("1 Mar 2026") with the exact instant in its attribute."""
    utc = value.astimezone(UTC)
    return f'<time datetime="{utc.isoformat()}">{utc.day} {utc:%b %Y}</time>'


def item_href(item: Item, folder: str = "") -> str:
    """Where a list entry links: the item's own address, else its page relative to the linking page."""
    return item.doc.link or folder + page_path(item)


def short(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` cut at a word boundary near ``limit`` characters, so one long summary cannot swamp a list."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[limit // 2:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def item_list(items: Sequence[Item], folder: str = "", *, summaries: bool = True) -> str:
    """An ``<ol>`` of items, newest first: linked title, date, summary."""
    rows = []
    for item in items:
        doc = item.doc
        summary = f'<p dir="auto">{esc(short(doc.summary))}</p>' if summaries and doc.summary else ""
        author = f' · <span dir="auto">{esc(doc.author)}</span>' if doc.author else ""
        rows.append(f'<li><h3 dir="auto"><a href="{esc(item_href(item, folder))}">{esc(item_title(item) or "(untitled)")}</a>'
                    f'</h3><div class="meta">{date(item.published)}{author}</div>{summary}</li>')
    return '<ol class="items">' + "".join(rows) + "</ol>"


def count_text(n: int) -> str:
    return f"{n:,} item{'' if n == 1 else 's'}"


def footer(extra: str = "") -> str:
    return f'<footer><p>{extra}Published with <a href="https://github.com/seedfeed/seedfeed">seedfeed</a>.</p></footer>'
