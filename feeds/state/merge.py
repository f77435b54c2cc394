"""Decide what changed: pure functions over what the store remembers and what the sources saw this run.

Identity rules (what feed readers care about most):

- An item's id is minted once, on first sight, and stored; it is never recomputed from the title, file name
  or URL, so an edited document keeps its id.
- A document that disappears under one key while a document with the same content hash appears under
  another was renamed or moved: it keeps its id, slug and ``published``.
- A deleted document leaves a tombstone; if it comes back (same key or same content) it gets its old id.
- ``updated`` moves only when the content hash changes.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..models import Document, Item
from ..records import field, record
from .rows import Entry

if TYPE_CHECKING:
    from .recover import Published

HASH_VERSION = "v1"
_ID_NAMESPACE = "6f0c2d0e-5e0b-4d7e-9d3a-2f5b1c9a7e41"   # the uuid5 namespace of every minted id
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def content_hash(doc: Document) -> str:
    """A versioned hash of everything a reader sees; whitespace-only file edits that extract the same don't count."""
    fields = (doc.title, doc.summary, doc.body_html, doc.author or "", "\x1e".join(doc.tags), doc.link or "",
              doc.image or "", doc.published.isoformat() if doc.published else "",
              doc.updated.isoformat() if doc.updated else "", doc.language or "")
    digest = hashlib.sha256("\x1f".join(fields).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{HASH_VERSION}:{digest[:32]}"


def mint_id(feed: str, key: str, first_seen: datetime, explicit: str | None = None) -> str:
    """A new id. Called once per item; the result is stored and never recomputed."""
    if explicit:
        if _URI.match(explicit):
            return explicit
        return "urn:uuid:" + _uuid5("explicit:" + explicit)
    return "urn:uuid:" + _uuid5("\0".join((feed, key, _isoformat(first_seen))))


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(UUID(_ID_NAMESPACE), name))`` (RFC 4122 name-based, SHA-1), without building UUID objects
    or importing uuid: a first build mints one id per document."""
    return uuid5(_NAMESPACE_BYTES, name)


def uuid5(namespace: bytes, name: str) -> str:
    """RFC 4122 §4.3 with SHA-1 (what ``uuid.uuid5`` computes), as its canonical text."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])  # noqa: S324 - the RFC's hash
    digest[6] = (digest[6] & 0x0F) | 0x50   # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80   # the RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


_NAMESPACE_BYTES = bytes.fromhex(_ID_NAMESPACE.replace("-", ""))
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=16)
def _isoformat(when: datetime) -> str:
    """A run mints every new id with the same ``now``: format it once, not 100,000 times."""
    return when.isoformat()


def slugify(text: str) -> str:
    # ASCII needs no NFKD pass (it is its own decomposition): the common case of a first build's 100,000 names.
    text = text.lower() if text.isascii() else \
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SLUG.sub("-", text).strip("-")[:60].strip("-") or "item"


def slug_base(key: str, title: str) -> str:
    if "://" in key:
        parts = urlsplit(key)
        segments = [s for s in parts.path.split("/") if s]
        last = segments[-1] if segments else parts.hostname or ""
        return slugify(re.sub(r"\.(html?|php|aspx?)$", "", last)) if last else slugify(title)
    slug = slugify(key.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return slug if slug != "item" else slugify(title)




@record
class Observed:
    """A document read and extracted this run (new, or its file/page changed)."""

    doc: Document
    seen_at: datetime        # file modification time, or fetch time for web pages (tz-aware)
    size: int = -1
    mtime_ns: int = -1
    raw: str = ""            # seed files: "raw:" + hash of the bytes (see seedfeed.extraction.probe)
    stub: bool = False       # only probed (dates and hash): outside the feed window, extracted when it enters

    @property
    def digest(self) -> str:
        """The content hash merge compares: of the extracted document, or of the raw bytes for a stub."""
        return self.raw if self.stub else content_hash(self.doc)


@record(frozen=False)
class Changes:
    new: list[Item] = field(default_factory=list)        # entered the feed (first sight, or came back)
    updated: list[Item] = field(default_factory=list)    # content changed (possibly moved too)
    moved: list[Item] = field(default_factory=list)      # same content under a new key
    filled: list[Item] = field(default_factory=list)     # a stub's bytes, unchanged, now fully extracted
    touched: list[tuple[str, int, int]] = field(default_factory=list)  # (id, size, mtime_ns): stat only
    removed: list[Entry] = field(default_factory=list)
    first_seen: dict[str, datetime] = field(default_factory=dict)     # id -> first sight
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)   # id -> (size, mtime_ns)

    @property
    def written(self) -> list[Item]:
        return self.new + self.updated + self.moved + self.filled

    @property
    def any(self) -> bool:
        return bool(self.new or self.updated or self.moved or self.removed or self.filled)


def merge(feed: str, entries: Iterable[Entry], observed: Iterable[Observed], present: set[str],
          now: datetime, used_slugs: set[str] | SlugsInUse | None = None,
          recover: Callable[[Document, str], Published | None] | None = None) -> Changes:
    """Compare the stored entries with this run's observations.

    ``observed`` holds the documents that were read (new or changed files); ``present`` holds every key the
    sources still have, read or not — including documents that failed to extract this time, which keep
    their published version. ``entries`` may be limited to the live entries whose keys were observed or
    are gone, plus every tombstone; ``used_slugs`` then holds every slug in use. ``recover(doc, slug_base)``
    says what the published output gave a document the state does not know (:mod:`.recover`).
    """
    entries = list(entries)
    live = {e.key: e for e in entries if not e.removed}
    by_id = {e.id: e for e in entries}
    tomb_by_key = {e.key: e for e in entries if e.removed}
    tomb_by_hash = {e.content_hash: e for e in entries if e.removed}
    gone_by_hash: dict[str, Entry] = {}
    for e in live.values():
        if e.key not in present:
            gone_by_hash.setdefault(e.content_hash, e)
    used_slugs = (used_slugs if isinstance(used_slugs, SlugsInUse) else set(used_slugs)) if used_slugs is not None \
        else {e.slug for e in entries}
    changes = Changes()
    claimed: set[str] = set()

    for obs in sorted(observed, key=lambda o: o.doc.key):
        doc, digest = obs.doc, obs.digest
        old = live.get(doc.key)
        if old is None:
            explicit = mint_id(feed, doc.key, now, doc.explicit_id) if doc.explicit_id else None
            if by_id:   # (nothing stored to match: a first build skips the look-ups, 100,000 times)
                candidates = [by_id.get(explicit) if explicit else None, gone_by_hash.get(digest),
                              tomb_by_key.get(doc.key), tomb_by_hash.get(digest)]
                old = next((c for c in candidates if c is not None and c.id not in claimed), None)
            if old is None:
                first_seen = now
                base = slug_base(doc.key, doc.title)
                # what the published output already gave this document (a lost state): adopted, not re-minted
                found = recover(doc, base) if recover is not None and not explicit else None
                if found is not None and (found.id in by_id or found.id in claimed):
                    found = None
                item_id = explicit or (found.id if found else mint_id(feed, doc.key, first_seen))
                if found is not None and found.slug and found.slug not in used_slugs:
                    slug = found.slug
                    used_slugs.add(slug)
                else:
                    slug = _unique(base, used_slugs)
                published = doc.published or (found.published.astimezone(UTC) if found else obs.seen_at)
                updated = max(doc.updated or published, published, found.updated.astimezone(UTC) if found else published)
                item = Item(item_id, slug, doc, published, updated, digest)   # once per new document
                changes.new.append(item)
                changes.first_seen[item_id] = first_seen
                changes.stats[item_id] = (obs.size, obs.mtime_ns)
                claimed.add(item_id)
                continue
            gone_by_hash.pop(old.content_hash, None)
        claimed.add(old.id)
        changes.stats[old.id] = (obs.size, obs.mtime_ns)
        changes.first_seen[old.id] = old.first_seen
        published = doc.published or old.published
        if digest == old.content_hash and old.key == doc.key and not old.removed:
            changes.touched.append((old.id, obs.size, obs.mtime_ns))
            continue
        if old.content_hash == obs.raw and not obs.stub and old.key == doc.key and not old.removed:
            # A stub whose bytes did not change, now extracted: what it would have been at first sight.
            changes.filled.append(Item(old.id, old.slug, doc, old.published, old.updated, digest))
            continue
        updated = old.updated if digest == old.content_hash else _next_updated(doc, old, obs.seen_at)
        item = Item(old.id, old.slug, doc, published, max(updated, published), digest)
        if old.removed:
            changes.new.append(item)
        elif digest != old.content_hash:
            changes.updated.append(item)
        else:
            changes.moved.append(item)

    changes.removed = [e for e in live.values() if e.key not in present and e.id not in claimed]
    return changes


def _next_updated(doc: Document, old: Entry, seen_at: datetime) -> datetime:
    """The document's own ``updated`` if it states one, else when the change was made; never backwards."""
    candidate = doc.updated or seen_at
    return max(candidate.astimezone(UTC), old.updated)


class SlugsInUse:
    """The slugs of a feed, asked of the store one at a time: a run adding one document to 100,000 need not
    load them all. Slugs taken during the merge are remembered here."""

    def __init__(self, taken: Callable[[str], bool]) -> None:
        self.taken = taken
        self.added: set[str] = set()

    def __contains__(self, slug: object) -> bool:
        return slug in self.added or (isinstance(slug, str) and self.taken(slug))

    def add(self, slug: str) -> None:
        self.added.add(slug)


def _unique(base: str, used: set[str] | SlugsInUse) -> str:
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    used.add(slug)
    return slug

