"""Turn document bytes into text, trusting evidence in order of reliability.

Order: a byte-order mark (it cannot lie), then the declared charset (HTTP header) *if the bytes agree with
it*, then ``<meta charset>`` for HTML, then strict UTF-8, then detection (charset-normalizer). A header that
says UTF-8 over windows-1252 bytes fails the strict decode and falls through, so such pages come out right.
"""

from __future__ import annotations

import codecs
import re

from ..records import record

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?(?:charset\s*=\s*["']?\s*([-\w.:]+)|content\s*=\s*["'][^"']*charset\s*=\s*([-\w.:]+))""",
    re.I,
)


_SINGLE_BYTE_LATIN = {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_15", "mac_roman",
                      "cp850", "cp437", "iso8859_9", "iso8859_13", "iso8859_16"}


_FEW = 16  # non-ASCII bytes below which detection is a coin toss


@record
class Decoded:
    text: str
    encoding: str
    warning: str | None = None   # set when the encoding was guessed


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def meta_charset(data: bytes) -> str | None:
    """The charset a ``<meta>`` tag in the first 4 KB of an HTML document declares."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    return (match.group(1) or match.group(2) or b"").decode("ascii", "ignore") or None


def decode(data: bytes, declared: str | None = None, *, html: bool = False) -> Decoded:
    """Decode ``data``. Raises ``ValueError`` when the bytes look binary rather than text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _try(data, encoding)
            if text is not None:
                return Decoded(text, encoding)
    if b"\x00" in data[:8192]:
        raise ValueError("looks like a binary file (NUL bytes, no UTF-16 byte-order mark)")
    candidates = [_codec(declared)]
    if html:
        candidates.append(_codec(meta_charset(data)))
    candidates.append("utf-8")
    for encoding in candidates:
        if encoding is None:
            continue
        if encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
            continue  # a declared UTF-16 without BOM over ASCII-looking bytes is a lie
        # ISO-8859-1 is what servers say by default; browsers read it as windows-1252.
        if encoding == "latin-1" or encoding == "iso8859-1":
            encoding = "cp1252"
        text = _try(data, encoding)
        if text is not None:
            return Decoded(text, encoding)
    from charset_normalizer import from_bytes  # imported lazily: rarely needed, slow to import

    non_ascii = sum(1 for byte in data[:200_000] if byte > 0x7F)
    best = from_bytes(data[:200_000]).best() if non_ascii >= _FEW else None
    if best is None and non_ascii >= _FEW:
        raise ValueError("cannot tell the text encoding; it should be UTF-8")
    encoding = best.encoding if best is not None else "cp1252"
    if (encoding in _SINGLE_BYTE_LATIN or non_ascii < _FEW) and _try(data, "cp1252") is not None:
        # A handful of non-ASCII bytes cannot tell code pages apart; windows-1252 is by far the most common.
        encoding = "cp1252"
    text = data.decode(encoding, errors="replace")
    return Decoded(text, encoding, warning=f"not valid UTF-8; read as {encoding} (a guess)")
