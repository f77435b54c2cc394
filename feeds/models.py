"""The records that flow one way through the pipeline.

::

    sources -> extract  -> store -> render -> publish
    RawDoc     Document    Item     bytes     output/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class RawDoc:
    """What a source found: the bytes of one document and where they came from."""

    key: str                 # identity key in its source: "seeds/a.md" relative path, or a normalised URL
    origin: str              # what to tell a person: the file path or the URL
    kind: str                # "txt" | "md" | "html"
    data: bytes
    mtime: datetime          # file modification time (tz-aware UTC), or fetch time for URLs
    url: str | None = None   # the address the bytes came from (web pages), for absolute links
    charset: str | None = None  # declared charset (HTTP header), if any


@dataclass(frozen=True)
class Document:
    """What extraction found in one document. Text fields are plain text; ``body_html`` is sanitized."""

    key: str
    origin: str
    title: str
    summary: str
    body_html: str
    published: datetime | None = None   # the document's own date, if it states one
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    link: str | None = None             # the document's own address (canonical URL), if it has one
    image: str | None = None
    language: str | None = None
    explicit_id: str | None = None      # an id the author gave (front matter ``id``)
    provenance: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    files: tuple[str, ...] = ()          # local files the body links to, published under the feed's files/


@dataclass(frozen=True)
class Item:
    """What the store remembers about one document and publishes."""

    id: str                  # minted once on first sight, never recomputed
    slug: str                # stable file name of the item page, chosen once
    doc: Document
    published: datetime      # tz-aware UTC
    updated: datetime        # moves only when content_hash changes
    content_hash: str


_FIELDS: dict[type, tuple[str, ...]] = {}
_new = object.__new__


def assemble(cls: type[_T], *values: Any) -> _T:
    """``cls(*values)`` for a frozen dataclass, built without its ``__init__``; ``values`` gives every field, in
    order (a wrong count raises ValueError).

    A frozen ``__init__`` sets each field through ``object.__setattr__``. A first build of 100,000 documents makes
    a RawDoc, a Document, an Observed and an Item for each: filling the instance's own ``__dict__`` in field
    order is 2-3x cheaper, and keeps the instance's dict sharing its keys with the others as ``__init__`` does
    (the same memory). The record is the same: equal, and frozen (tests/test_records.py)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    record = _new(cls)
    attributes = record.__dict__
    for name, value in zip(names, values, strict=True):
        attributes[name] = value
    return record


NO_PROVENANCE: Mapping[str, str] = MappingProxyType({})


def stub(key: str, origin: str, published: datetime | None, updated: datetime | None,
         explicit_id: str | None) -> Document:
    """``Document(key=key, origin=origin, title="", summary="", body_html="", published=published, updated=updated,
    explicit_id=explicit_id)``: what a probe knows of a document outside the window."""
    return assemble(Document, key, origin, "", "", "", published, updated, None, (), None, None, None, explicit_id,
                    NO_PROVENANCE, ())
