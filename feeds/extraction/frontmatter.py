"""Markdown front matter, read so that one bad value never invalidates the rest, and dates parsed by hand.

YAML's own loaders turn ``date: 2024-13-45`` into an exception for the whole block (they convert timestamps
themselves), and ``date: next tuesday`` into a string nobody checks. So every scalar is loaded as a string
(``yaml.BaseLoader``; TOML date values are quoted before parsing), and :func:`parse_date_text` decides what a date
means: a value it cannot read is a warning, never a lost document.

Both functions are pure and cheap, so a build can read just the front matter of documents it does not extract
in full.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.S)
_YAML_NULLS = {"", "~", "null", "Null", "NULL"}
# A TOML key whose value is a bare date or date-time (valid or not): quoted, so tomllib leaves it to us.
_TOML_BARE_DATE = re.compile(r"^(\s*[A-Za-z0-9_.\"'-]+\s*=\s*)"
                             r"(\d{4}-\d{1,2}-\d{1,2}(?:[Tt ]\d[0-9:.]*)?(?:[Zz]|[+-]\d{2}:?\d{2})?)(\s*(?:#.*)?)$", re.M)
# YAML 1.1 timestamps and ISO 8601 as people write them: "2024-05-01", "2024-05-01 09:30", "2001-12-14t21:59:43.10-05:00",
# "2001-12-14 21:59:43.10 -5", "2024-05-01T09:30:00Z".
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
                        r"(?:[ \t]*(Z|z|UTC|GMT|[-+]\d{1,2}(?::?\d{2})?))?)?$")
DATE_HINT = "use ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:30:00+02:00"
# A block of "key: value" lines that YAML's BaseLoader reads as strings and lists of strings, whatever the words
# (a letter or digit first, then no indicator, quote, comment sign or control character): read without PyYAML,
# whose import is most of the cost of a build that extracts a few Markdown documents.
_PLAIN_LINE = re.compile(r"([A-Za-z][A-Za-z0-9_]*) *:(?: +(.*?))? *")
_SCALAR = "[A-Za-z0-9][^:#\\[\\]{},&*!|>'\"%@`\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]*"
_PLAIN_SCALAR = re.compile(_SCALAR)
_PLAIN_LIST = re.compile(rf"\[ *(?:{_SCALAR}(?:,(?: *){_SCALAR})*)? *\]")


class FrontMatterError(ValueError):
    """The block is not YAML/TOML at all (a syntax error, or not key/value pairs)."""


def read_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``(fields, body)`` of a Markdown document; ``({}, text)`` when it has no front matter.

    Keys are lower-cased. Scalars are strings (YAML nulls are ``None``); lists and tables keep their shape.
    Raises :class:`FrontMatterError` when the block is not YAML (``---``) or TOML (``+++``) at all.
    """
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fence, block = match.group(1), match.group(2)
    try:
        if fence == "+++":
            meta: Any = _strings(tomllib.loads(_TOML_BARE_DATE.sub(r'\1"\2"\3', block)))
        else:
            plain = plain_yaml(block)
            if plain is not None:   # strings, and lists of stripped strings: one pass does what _nulls does
                return {k.lower(): (None if v.strip() in _YAML_NULLS else v) if isinstance(v, str)
                        else [None if item in _YAML_NULLS else item for item in v]
                        for k, v in plain.items()}, text[match.end():]
            import yaml

            # BaseLoader: every scalar a string, no implicit types (no timestamps, booleans or numbers)
            meta = _nulls(yaml.load(block, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader)))
    except Exception as exc:  # yaml raises many types
        kind = "TOML" if fence == "+++" else "YAML"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FrontMatterError(f"front matter is not valid {kind} ({first})") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter is not a key/value block")
    return {str(k).lower(): v for k, v in meta.items()}, text[match.end():]


def plain_yaml(block: str) -> dict[str, Any] | None:
    """What ``yaml.load(block, BaseLoader)`` gives, for a block of plain ``key: words`` and ``key: [words, ...]``
    lines (the common front matter); ``None`` for anything else, which goes to PyYAML."""
    meta: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line.strip(" "):   # blank (a tab is not: YAML refuses it at the start of a line)
            continue
        match = _PLAIN_LINE.fullmatch(line)
        if match is None:
            return None
        value = match.group(2) or ""
        if value.startswith("["):
            if not _PLAIN_LIST.fullmatch(value):
                return None
            inner = value[1:-1].strip()
            meta[match.group(1)] = [item.strip() for item in inner.split(",")] if inner else []
        elif value and not _PLAIN_SCALAR.fullmatch(value):
            return None
        else:
            meta[match.group(1)] = value
    return meta


def _nulls(value: Any) -> Any:
    if isinstance(value, str):
        return None if value.strip() in _YAML_NULLS else value
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    return value


def _strings(value: Any) -> Any:
    """TOML values with every scalar as a string, as YAML's BaseLoader gives them."""
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def parse_date_text(value: Any, default_tz: tzinfo = UTC) -> tuple[datetime | None, str | None]:
    """``(datetime in UTC, None)`` for a date a person wrote, ``(None, None)`` for no value, else
    ``(None, why)``: the caller warns and carries on as if there were no date.

    Reads ISO 8601 and YAML timestamps (a time zone is optional: ``default_tz`` then), and dates with a month
    name and a four-digit year ("May 1, 2024"). Relative words ("next tuesday", "yesterday") are not dates.
    """
    if value is None:
        return None, None
    if isinstance(value, list | dict):
        return None, "is a list, not a date"
    text = " ".join(str(value).split())
    if not text:
        return None, None
    try:
        dt = _timestamp(text) or _with_month_name(text)
    except (ValueError, OverflowError):
        return None, f"{text[:80]!r} is not a real date"
    if dt is None:
        return None, f"{text[:80]!r} is not a date"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    try:
        return dt.astimezone(UTC), None
    except (ValueError, OverflowError):   # 0001-01-01T00:00+14:00 is before year 1 in UTC
        return None, f"{text[:80]!r} is out of range"


def _timestamp(text: str) -> datetime | None:
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro)
    if zone is None:
        return dt
    if zone in ("Z", "z", "UTC", "GMT"):
        return dt.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 14 or minutes > 59:
        raise ValueError(zone)
    return dt.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))


def _with_month_name(text: str) -> datetime | None:
    """"May 1, 2024", "1 May 2024 09:30 +0200": dateutil, only with a four-digit year and a month name, and
    only when the day is given (a bare "May 2024" would otherwise become the 1st)."""
    if len(text) > 60 or not re.search(r"\b\d{4}\b", text) or not re.search(r"[A-Za-z]{3}", text):
        return None
    import warnings

    from dateutil import parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            one = parser.parse(text, default=datetime(1900, 1, 1))
            other = parser.parse(text, default=datetime(1904, 2, 2))
        except (ValueError, OverflowError, TypeError, parser.ParserError):
            return None
    return one if one.date() == other.date() else None
