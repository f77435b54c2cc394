"""Main content: trafilatura's extraction on a tree whose lazy images are resolved, converted to HTML,
sanitized, and turned into plain text."""

from __future__ import annotations

import copy
import logging
import re

import lxml.html
from lxml import etree

from feeds.sanitize import sanitize_html

from .text import html_to_text

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src",
             "data-full-src", "data-orig-src", "data-actualsrc", "data-echo")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset", "data-original-srcset")
_PLACEHOLDER = re.compile(r"^(data:|about:blank)|(blank|spacer|placeholder|transparent|pixel|lazy)[^/]*\.(gif|png|svg)",
                          re.I)


def resolve_lazy_images(root) -> None:
    """Give lazy-loaded images their real ``src``/``srcset`` (in place)."""
    for el in root.iter("img", "source"):
        src = (el.get("src") or "").strip()
        if not src or _PLACEHOLDER.search(src):
            for attr in _LAZY_SRC:
                value = (el.get(attr) or "").strip()
                if value and not value.startswith("data:"):
                    el.set("src", value)
                    break
        if not (el.get("srcset") or "").strip() or _PLACEHOLDER.search(el.get("srcset") or ""):
            for attr in _LAZY_SRCSET:
                value = (el.get(attr) or "").strip()
                if value:
                    el.set("srcset", value)
                    break
        if el.tag == "img" and not (el.get("src") or "").strip() and el.get("srcset"):
            first = el.get("srcset").split(",")[0].strip().split(" ")[0]
            if first:
                el.set("src", first)


def _trafilatura(tree, url: str | None, **options):
    from trafilatura import bare_extraction

    try:
        return bare_extraction(tree, url=url, include_comments=False, include_tables=True, include_images=True,
                               include_links=True, include_formatting=True, with_metadata=False, **options)
    except Exception:  # noqa: BLE001 - a failure in the library leaves the body to the fallbacks
        return None


def _to_html(body) -> str:
    from trafilatura.htmlprocessing import convert_to_html

    if body is None:
        return ""
    html_root = convert_to_html(copy.deepcopy(body))
    body_el = html_root[0] if len(html_root) else html_root
    parts = [body_el.text or ""] if body_el.text else []
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in body_el]
    return "".join(parts)


def extract_body(tree, url: str | None) -> tuple[str, str, str]:
    """(sanitized body HTML, body text, rule)."""
    doc = _trafilatura(tree, url)
    rule = "trafilatura (no comments, tables)"
    raw = _to_html(doc.body) if doc is not None else ""
    body_html = sanitize_html(raw, url or "")
    body_text = html_to_text(body_html)
    return body_html, body_text, rule


def page_text(tree) -> str:
    """All visible text of the page (used for the too-short check)."""
    root = copy.deepcopy(tree)
    for el in root.xpath("//script|//style|//noscript|//template|//svg|//head"):
        el.drop_tree()
    return " ".join(lxml.html.tostring(root, method="text", encoding="unicode").split())
