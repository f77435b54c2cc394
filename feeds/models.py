"""The records that flow one way through the pipeline.

::

    sources -> extract  -> store -> render -> publish
    RawDoc     Document    Item     bytes     output/
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from .records import field, record


@record
class RawDoc:
    """What a source found: the bytes of one document and where they came from."""

    key: str                 # identity key in its source: "seeds/a.md" relative path, or a normalised URL
    origin: str              # what to tell a person: the file path or the URL
    kind: str                # "txt" | "md" | "html"
    data: bytes
    mtime: datetime          # file modification time (tz-aware UTC), or fetch time for URLs
    url: str | None = None   # the address the bytes came from (web pages), for absolute links
    charset: str | None = None  # declared charset (HTTP header), if any


@record
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


@record
class Item:
    """What the store remembers about one document and publishes."""

    id: str                  # minted once on first sight, never recomputed
    slug: str                # stable file name of the item page, chosen once
    doc: Document
    published: datetime      # tz-aware UTC
    updated: datetime        # moves only when content_hash changes
    content_hash: str


NO_PROVENANCE: Mapping[str, str] = MappingProxyType({})


def stub(key: str, origin: str, published: datetime | None, updated: datetime | None,
         explicit_id: str | None) -> Document:
    """``Document(key=key, origin=origin, title="", summary="", body_html="", published=published, updated=updated,
    explicit_id=explicit_id)``: what a probe knows of a document outside the window."""
    return Document(key, origin, "", "", "", published, updated, None, (), None, None, None, explicit_id,
                    NO_PROVENANCE, ())
