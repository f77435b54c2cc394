"""The cheap look at a seed document that is enough to decide whether it enters the feed window.

A document outside the newest ``max_items`` needs only what places it in time and what tells a later run it
changed: its own dates (``published``/``updated``), an explicit ``id`` and a hash of its raw bytes. Full
extraction (Markdown rendering, sanitizing, the HTML content rules) waits until the document enters the
window. What a reader must hear about at once is still checked here: empty or undecodable bytes and broken
front matter raise the same :class:`DocumentError` the full extraction would.

- ``.txt``: no dates of its own (the file time is used), so decoding is all (and nothing else is imported).
- Markdown: the front matter, read exactly as :func:`seedfeed.extraction.document.extract_markdown` reads
  it. Blocks of plain ``key: value`` lines (the common case) are read without YAML; anything else, and any
  value that is not plainly a string or an ISO date, goes through the real parser.
- HTML: the page's date rules (:func:`seedfeed.extraction.dates.extract_dates`) on the parsed tree, without
  the content extraction.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..errors import DocumentError
from ..models import RawDoc
from ..records import record
from ..sources.decode import decode


@record
class Probe:
    """What decides the window, and the hash that tells the next run whether the bytes changed."""

    raw_hash: str                        # "raw:" + sha256 of the bytes (stored as the stub's content hash)
    published: datetime | None = None    # the document's own dates, exactly as full extraction gives them
    updated: datetime | None = None
    explicit_id: str | None = None
    warnings: tuple[str, ...] = ()       # the decoder's guess, dates that cannot be read


def raw_hash(data: bytes) -> str:
    return "raw:" + hashlib.sha256(data).hexdigest()[:32]


def probe(raw: RawDoc, *, default_tz: tzinfo = UTC) -> Probe:
    """Probe one seed document. Raises :class:`DocumentError` where full extraction would fail at once."""
    if not raw.data or raw.data.isspace():   # (= not data.strip(), without copying the bytes)
        raise DocumentError(f"{raw.origin}: empty document", "add some text, or remove the file")
    text, warning = _text(raw)
    digest = raw_hash(raw.data)
    if raw.kind == "md":
        published, updated, explicit_id, problems = markdown_dates(raw, text, default_tz)
        return Probe(digest, published, updated, explicit_id, (warning, *problems) if warning else tuple(problems))
    if raw.kind == "html":
        published, updated = html_dates(text, default_tz)
        return Probe(digest, published, updated, None, (warning,) if warning else ())
    return Probe(digest, None, None, None, (warning,) if warning else ())


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)   # the UTF-32 ones start like UTF-16's


def _text(raw: RawDoc) -> tuple[str, str | None]:
    """The decoded text and the decoder's warning, as :func:`seedfeed.sources.decode.decode` gives them.

    Plain UTF-8 text without a BOM or NUL bytes (nearly every seed file) is what ``decode`` returns first
    for text and Markdown; anything else goes through it."""
    data = raw.data
    if raw.kind != "html" and raw.charset is None and not data.startswith(_BOMS) and data.find(b"\x00", 0, 8192) < 0:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    try:
        decoded = decode(data, raw.charset, html=raw.kind == "html")
    except ValueError as exc:
        raise DocumentError(f"{raw.origin}: {exc}", "seedfeed reads UTF-8 text, Markdown and HTML") from None
    return decoded.text, f"{raw.origin}: {decoded.warning}; save it as UTF-8 to be sure" if decoded.warning else None


# -------------------------------------------------------------------------------------------- markdown

_PROBED = frozenset(("date", "updated", "id", "link"))   # the front matter keys a probe reads


@functools.cache
def _markdown_rules() -> tuple[Any, ...]:
    """Full extraction's front-matter rules, imported on first use (a .txt probe needs none of them) and once:
    an import statement inside a function costs its look-up on each of 50,000 calls."""
    from .document import _FRONT_KEYS, _as_text, _date
    from .frontmatter import FrontMatterError, read_front_matter
    from .sanitize import http_url

    return _FRONT_KEYS, FrontMatterError, read_front_matter, _as_text, _date, http_url


def markdown_dates(raw: RawDoc, text: str, default_tz: tzinfo = UTC
                   ) -> tuple[datetime | None, datetime | None, str | None, list[str]]:
    """(published, updated, explicit id, warnings) from the front matter, with the errors full extraction raises
    and the same warnings for dates that cannot be read (every scalar is read as text, as full extraction does)."""
    _FRONT_KEYS, FrontMatterError, read_front_matter, _as_text, _date, http_url = _markdown_rules()
    try:   # the reader full extraction uses (plain blocks without PyYAML): the same fields, by construction
        meta, _ = read_front_matter(text.lstrip("\ufeff"))
    except FrontMatterError as exc:
        raise DocumentError(f"{raw.origin}: {exc}", "fix the block between the --- (YAML) or +++ (TOML) lines") from None
    if _PROBED.isdisjoint(meta):
        return None, None, None, []   # none of the keys is a date, id or link: nothing below could apply
    meta = {k: v for k, v in meta.items() if k in _FRONT_KEYS}
    warnings: list[str] = []
    published = _date(meta, "date", raw, default_tz, warnings)
    updated = _date(meta, "updated", raw, default_tz, warnings)
    link = _as_text(meta.get("link")) or None
    if link is not None and not http_url(link):
        raise DocumentError(f"{raw.origin}: front matter link = {link.strip()[:100]!r} is not an absolute http(s) URL",
                            "write it like link: https://example.org/post, or remove it")
    explicit_id = _as_text(meta.get("id"))
    return published, updated, explicit_id.strip() if explicit_id else None, warnings


# ------------------------------------------------------------------------------------------------ html

def html_dates(text: str, default_tz: tzinfo = UTC) -> tuple[datetime | None, datetime | None]:
    """The page's published and updated dates by the same rules as full extraction (lxml, no content rules)."""
    from .dates import extract_dates
    from .meta import collect, parse_html

    root = parse_html(text or "")
    if root is None:
        return None, None
    published, _, updated, _, _ = extract_dates(collect(root, None), root, text, None, default_tz)
    return (published.astimezone(UTC) if published else None, updated.astimezone(UTC) if updated else None)
