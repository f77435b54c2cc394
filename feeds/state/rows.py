"""The records both stores keep, and how their values are written: times as ISO 8601 text in UTC with
microseconds, documents as JSON text. Shared by :mod:`.store` (SQLite) and :mod:`.postgres`, so the two hold the
same bytes and a state copies across verbatim."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from ..models import Document, Item
from ..records import fields, record


@record
class Entry:
    """What change detection needs to know about a stored item, without loading its document."""

    id: str
    key: str
    slug: str
    content_hash: str
    published_iso: str       # kept as text: parsing 10,000 dates costs more than a no-change run may spend
    updated_iso: str
    first_seen_iso: str
    size: int
    mtime_ns: int
    removed: bool

    @property
    def published(self) -> datetime:
        return datetime.fromisoformat(self.published_iso)

    @property
    def updated(self) -> datetime:
        return datetime.fromisoformat(self.updated_iso)

    @property
    def first_seen(self) -> datetime:
        return datetime.fromisoformat(self.first_seen_iso)


@record
class SourceState:
    feed: str
    url: str
    kind: str
    etag: str | None = None
    last_modified: str | None = None
    last_status: int | None = None
    last_run: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    not_found_count: int = 0
    parent: str | None = None       # for articles: the listing that linked to them
    location: str | None = None     # the address to fetch (``url`` is its normalised key)
    deferred_since: datetime | None = None   # the run's fetch budget ran out before it was fetched


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def doc_to_json(doc: Document) -> str:
    data = {f.name: getattr(doc, f.name) for f in fields(doc)}
    data["provenance"] = dict(doc.provenance)
    data["tags"] = list(doc.tags)
    data["files"] = list(doc.files)
    for name in ("published", "updated"):
        data[name] = _ts(data[name]) if data[name] else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def doc_from_json(text: str) -> Document:
    data: dict[str, Any] = json.loads(text)
    for name in ("published", "updated"):
        data[name] = _dt(data[name])
    data["tags"] = tuple(data.get("tags") or ())
    data["files"] = tuple(data.get("files") or ())
    data["provenance"] = MappingProxyType(data.get("provenance") or {})
    return Document(**data)


def is_stub(item: Item) -> bool:  # only probed so far (outside the feed window): a hash of its raw bytes
    return item.content_hash.startswith("raw:")


def stub_document(key: str) -> Document:  # what a stub shows where a document is expected (dry runs): its key
    return Document(key=key, origin=key, title="", summary="", body_html="")


def by_folder(rows: Iterable[tuple[str, int, int]]) -> dict[str, dict[str, tuple[int, int]]]:
    """(key, size, mtime_ns) rows as folder -> file name -> (size, mtime_ns), the folder being the key up to its
    last "/" ("" at the top). A walk compares each file with its own folder's few entries (sources/walk.py)."""
    folders: dict[str, dict[str, tuple[int, int]]] = {}
    last, names = None, {}
    for key, size, mtime_ns in rows:
        folder, _, name = key.rpartition("/")
        if folder != last:   # rows come folder by folder (the order documents were first stored in)
            names = folders.get(folder)
            if names is None:
                names = folders[folder] = {}
            last = folder
        names[name] = (size, mtime_ns)
    return folders
