"""Plain text of a sanitized HTML fragment: one paragraph per block, blank lines between blocks, headings and
list items on their own lines, table cells separated so that words never glue together."""

from __future__ import annotations

import re

import lxml.html

_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "figure", "figcaption", "table",
           "ul", "ol", "dl", "header", "footer", "aside", "nav", "details", "summary", "address", "hr",
           "h1", "h2", "h3", "h4", "h5", "h6", "tr", "li", "dt", "dd", "caption", "thead", "tbody", "tfoot"}
_LINES = {"li", "dt", "dd", "tr", "caption"}
_CELLS = {"td", "th"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(fragment: str) -> str:
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - malformed fragment: fall back on the regex version
        from .sanitize import html_to_text as fallback

        return fallback(fragment)
    parts: list[str] = []
    _walk(root, parts)
    text = "".join(parts)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def _walk(el, parts: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "br":
        parts.append("\n")
    elif tag == "img":
        pass
    else:
        if tag in _BLOCKS:
            parts.append("\n" if tag in _LINES else "\n\n")
        elif tag in _CELLS:
            parts.append(" \t ")
        if tag != "pre" and el.text:
            parts.append(el.text.replace("\n", " "))
        elif el.text:
            parts.append(el.text)
        for child in el:
            _walk(child, parts)
        if tag in _BLOCKS:
            parts.append("\n" if tag in _LINES else "\n\n")
        elif tag in _CELLS:
            parts.append(" \t ")
    if el.tail:
        parts.append(el.tail.replace("\n", " "))
