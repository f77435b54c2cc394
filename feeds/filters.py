"""Include and exclude rules for a feed or one of its sources: regular expressions on fields, and a maximum age.

Shared by the config (which parses and validates the rules, so a bad pattern is a configuration error naming
its key) and the stages that apply them (the pipeline for a feed's rules, the feed source for its own).

Rules, each optional::

    filters = { include_title = "(?i)python", exclude_body = "(?i)sponsored", exclude_tags = "^ads$",
                include_author = "Ada", max_age = "30d" }

``include_FIELD`` keeps only documents whose field matches (``re.search``); ``exclude_FIELD`` drops documents
whose field matches. Fields: ``title``, ``body`` (the text, markup removed), ``author`` and ``tags`` (each tag
is tried on its own). ``max_age`` drops documents published longer ago than that (s, m, h, d, w).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .errors import ConfigError
from .models import Document
from .records import field, record

FIELDS = ("title", "body", "author", "tags")
KEYS = tuple(f"{verb}_{name}" for verb in ("include", "exclude") for name in FIELDS) + ("max_age",)
_AGE = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_TAG = re.compile(r"<[^>]*>")


@record
class Filters:
    """Compiled rules; ``rules`` keeps (key, pattern text) for messages and the config fingerprint."""

    include: tuple[tuple[str, re.Pattern[str]], ...] = ()
    exclude: tuple[tuple[str, re.Pattern[str]], ...] = ()
    max_age: timedelta | None = None
    rules: tuple[tuple[str, str], ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude or self.max_age)

    @property
    def digest(self) -> str:
        """The rules, hashed ("" for none): a feed's fingerprint keeps it, so new rules re-read every document."""
        return hashlib.sha256(json.dumps(self.rules).encode()).hexdigest()[:8] if self else ""

    def drop_reason(self, doc: Document, now: datetime) -> str | None:
        """Why ``doc`` is filtered out (naming the rule), or ``None`` when it is kept."""
        if self.max_age is not None:
            date = doc.published or doc.updated
            if date is not None and now - date > self.max_age:
                return f"max_age: published {date.date().isoformat()}, older than {_age_text(self.max_age)}"
        for name, pattern in self.include:
            if not any(pattern.search(value) for value in _values(doc, name)):
                return f"include_{name} = {pattern.pattern!r} does not match"
        for name, pattern in self.exclude:
            for value in _values(doc, name):
                if pattern.search(value):
                    return f"exclude_{name} = {pattern.pattern!r} matches {_short(value)!r}"
        return None

    def keeps(self, doc: Document, now: datetime, dropped: list[tuple[str, str]], where: str = "filters") -> bool:
        """Whether ``doc`` passes; if not, ``(title, "<where>: <why>")`` is added to ``dropped`` (for --dry-run)."""
        reason = self.drop_reason(doc, now)
        if reason:
            dropped.append((doc.title, f"{where}: {reason}"))
        return reason is None


NO_FILTERS = Filters()


def _values(doc: Document, name: str) -> list[str]:
    if name == "title":
        return [doc.title]
    if name == "author":
        return [doc.author or ""]
    if name == "tags":
        return list(doc.tags)
    # The body's text: markup is not text (a rule for "script" must not match every <script>-free page's tags).
    return [" ".join(_TAG.sub(" ", doc.body_html or doc.summary).split())]


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _age_text(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_filters(where: str, raw: Any) -> Filters:
    """Compile a ``filters = {...}`` table. A bad key, type or regular expression is a :class:`ConfigError`
    naming the key."""
    if raw is None:
        return NO_FILTERS
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: filters must be a table", 'write it like filters = { exclude_title = "(?i)ad" }')
    include: list[tuple[str, re.Pattern[str]]] = []
    exclude: list[tuple[str, re.Pattern[str]]] = []
    max_age = None
    rules: list[tuple[str, str]] = []
    for key, value in raw.items():
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}", f"allowed keys are: {', '.join(KEYS)}")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})",
                              f'write it as a string, e.g. {key} = "{"30d" if key == "max_age" else "(?i)word"}"')
        rules.append((key, value))
        if key == "max_age":
            match = _AGE.fullmatch(value)
            if not match or int(match.group(1)) == 0:
                raise ConfigError(f"{where}: max_age = {value!r} is not an age", 'use a number and a unit, e.g. "30d"')
            max_age = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
            continue
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}: {key} = {value!r} is not a valid regular expression ({exc})",
                              "fix the pattern (Python re syntax); escape literal characters such as ( [ + with \\") from None
        verb, _, name = key.partition("_")
        (include if verb == "include" else exclude).append((name, pattern))
    return Filters(tuple(include), tuple(exclude), max_age, tuple(rules))
