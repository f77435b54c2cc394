"""Turn a :class:`RawDoc` into a :class:`Document`: one function per format.

Plain text and Markdown are handled here; HTML (seed files and web pages alike) goes to
:mod:`seedfeed.extraction`, imported lazily because it pulls in BeautifulSoup, lxml and trafilatura.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any

from ..errors import DocumentError
from ..models import Document, RawDoc
from ..sources.decode import decode
from .frontmatter import DATE_HINT, FrontMatterError, parse_date_text, read_front_matter
from .sanitize import (
    NAME_LIMIT,
    TEXT_LIMIT,
    TITLE_LIMIT,
    html_to_text,
    http_url,
    language_tag,
    plain_text,
    sanitize_html,
    strip_xml_illegal,
    title_text,
)

SUMMARY_LIMIT = 400  # characters; longer first paragraphs are cut at a sentence boundary
_FIRST_PARAGRAPH = re.compile(r"<p[ >].*?</p>", re.S)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")


def extract(raw: RawDoc, *, default_tz: tzinfo = UTC) -> tuple[Document, list[str]]:
    """Extract one document. Returns it with any warnings; raises :class:`DocumentError` if unusable."""
    if not raw.data.strip():
        raise DocumentError(f"{raw.origin}: empty document", "add some text, or remove the file")
    try:
        decoded = decode(raw.data, raw.charset, html=raw.kind == "html")
    except ValueError as exc:
        raise DocumentError(f"{raw.origin}: {exc}", "seedfeed reads UTF-8 text, Markdown and HTML") from None
    warnings = [f"{raw.origin}: {decoded.warning}; save it as UTF-8 to be sure"] if decoded.warning else []
    text = decoded.text
    if raw.kind == "txt":
        doc = extract_text(raw, text)
    elif raw.kind == "md":
        doc = extract_markdown(raw, text, default_tz, warnings)
    else:
        doc = extract_html_document(raw, text, default_tz, warnings)
    if not doc.title and not html_to_text(doc.body_html):
        raise DocumentError(f"{raw.origin}: no title and no text found", "check the file is a document")
    return doc, warnings


def summarize(paragraph: str, limit: int = SUMMARY_LIMIT) -> str:
    """The paragraph, cut at the last sentence end before ``limit`` (or a word boundary) if longer."""
    paragraph = " ".join(paragraph.split())
    if len(paragraph) <= limit:
        return paragraph
    head = paragraph[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] > limit // 3:
        return head[: ends[-1]].strip()
    return head.rsplit(" ", 1)[0].rstrip(",;:") + "…"


# ------------------------------------------------------------------------------------------------ text

def extract_text(raw: RawDoc, text: str) -> Document:
    """First non-empty line is the title; paragraphs are separated by blank lines."""
    lines = strip_xml_illegal(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    title = title_text(lines.pop(0)) if lines else ""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]
    body = "\n".join(f"<p>{htmllib.escape(p, quote=False)}</p>" for p in paragraphs)
    return Document(
        key=raw.key, origin=raw.origin, title=title,
        summary=summarize(paragraphs[0]) if paragraphs else "",
        body_html=body,
        provenance=MappingProxyType({"title": "first line", "summary": "first paragraph", "body": "paragraphs"}),
    )


# -------------------------------------------------------------------------------------------- markdown

_FRONT_KEYS = {"title", "date", "updated", "summary", "description", "author", "tags", "id", "link", "draft",
               "image", "lang", "language", "categories"}


def _markdown(text: str) -> str:
    """CommonMark + GitHub tables/strikethrough/autolinks via cmark-gfm (C): about 7x faster than
    markdown-it-py on our benchmark documents. Raw HTML is let through here and sanitized afterwards."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # No "tagfilter" extension: it would turn <script> into visible text; the sanitizer drops it instead.
    return cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE,
                                                     extensions=["table", "strikethrough", "autolink"])


# Greedy, with the closing #s removed by _heading_text: "(.+?)[ \t#]*$" took quadratic time on a long heading.
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+)$", re.M)


def _heading_text(text: str) -> str:
    """An ATX heading's text without its optional closing sequence ("## Title ##" -> "Title")."""
    text = text.rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return text


def _date(meta: dict[str, Any], field: str, raw: RawDoc, default_tz: tzinfo, warnings: list[str]) -> datetime | None:
    """The front matter date ``field``, or None with a warning naming the file and the value when it cannot be read:
    the document is then published as if it gave no date (its file time at first sight)."""
    value, problem = parse_date_text(meta.get(field), default_tz)
    if problem:
        fallback = "the file's time at first sight" if field == "date" else "no update date"
        warnings.append(f"{raw.origin}: front matter {field}: {problem}; published with {fallback} ({DATE_HINT})")
    return value


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v)
    return str(value)


def extract_markdown(raw: RawDoc, text: str, default_tz: tzinfo = UTC, warnings: list[str] | None = None) -> Document:
    """CommonMark body (cmark-gfm); title, dates and the rest from optional YAML (---) or TOML (+++) front matter.

    A date that cannot be read is appended to ``warnings`` and left out; the document is still published."""
    warnings = [] if warnings is None else warnings
    try:
        meta, body_md = read_front_matter(text.lstrip("\ufeff"))
    except FrontMatterError as exc:
        raise DocumentError(f"{raw.origin}: {exc}", "fix the block between the --- (YAML) or +++ (TOML) lines") from None
    meta = {k: v for k, v in meta.items() if k in _FRONT_KEYS}
    provenance = {"body": "markdown (CommonMark)"}
    title = title_text(_as_text(meta.get("title")) or "")
    if title:
        provenance["title"] = "front matter title"
    else:
        heading = _ATX_HEADING.search(body_md)
        setext = re.search(r"^(\S.*)\n(=+|-+)[ \t]*$", body_md, re.M)
        if heading or setext:
            first = min((m for m in (heading, setext) if m), key=lambda m: m.start())
            text = _heading_text(first.group(1)) if first is heading else first.group(1)
            title = title_text(html_to_text(_markdown(text[:TITLE_LIMIT * 4])))
            provenance["title"] = "first heading"
            body_md = body_md[: first.start()] + body_md[first.end():]  # the title is not repeated in the body
    body_html = sanitize_html(_markdown(body_md), http_url(_as_text(meta.get("link"))) or "")
    summary = plain_text(_as_text(meta.get("summary") or meta.get("description")) or "", TEXT_LIMIT)
    if summary:
        provenance["summary"] = "front matter summary"
    else:
        para = _FIRST_PARAGRAPH.search(body_html)
        first_para = html_to_text(para.group(0) if para else body_html).split("\n\n", 1)[0]
        summary = summarize(first_para)
        provenance["summary"] = "first paragraph"
    tags = meta.get("tags") or meta.get("categories") or []
    if isinstance(tags, str):
        tags = [t for t in re.split(r"\s*,\s*", tags) if t]
    published = _date(meta, "date", raw, default_tz, warnings)
    if published:
        provenance["published"] = "front matter date"
    link = _as_text(meta.get("link")) or None
    if link is not None and not http_url(link):
        raise DocumentError(f"{raw.origin}: front matter link = {link.strip()[:100]!r} is not an absolute http(s) URL",
                            "write it like link: https://example.org/post, or remove it")
    link = http_url(link)
    explicit_id = _as_text(meta.get("id"))
    return Document(
        key=raw.key, origin=raw.origin, title=title, summary=summary, body_html=body_html,
        published=published, updated=_date(meta, "updated", raw, default_tz, warnings),
        author=plain_text(_as_text(meta.get("author")) or "", NAME_LIMIT) or None,
        tags=tuple(dict.fromkeys(plain_text(str(t), NAME_LIMIT) for t in tags if t is not None and str(t).strip())),
        link=link,
        image=http_url(_as_text(meta.get("image")), link or "") if meta.get("image") else None,
        language=language_tag(_as_text(meta.get("language") or meta.get("lang"))),
        explicit_id=explicit_id.strip() if explicit_id else None,
        provenance=MappingProxyType(provenance),
    )


# ------------------------------------------------------------------------------------------------ html

def extract_html_document(raw: RawDoc, text: str, default_tz: tzinfo = UTC, warnings: list[str] | None = None
                          ) -> Document:
    from .page import extract_page

    page = extract_page(text, raw.url, default_tz=default_tz)
    if warnings is not None:
        warnings += [f"{raw.origin}: {problem}; published as if it gave none ({DATE_HINT})" for problem in page.warnings]
    return Document(
        key=raw.key, origin=raw.origin, title=page.title, summary=page.summary, body_html=page.body_html,
        published=page.published.astimezone(UTC) if page.published else None,
        updated=page.updated.astimezone(UTC) if page.updated else None,
        author=page.author, link=page.url if raw.url else None, image=page.image, language=page.language,
        provenance=MappingProxyType(dict(page.provenance)),
    )
