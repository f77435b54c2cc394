"""The state: one SQLite file, kept outside output/, versioned with ``PRAGMA user_version``.

A run changes the state in one transaction per feed, committed *before* that feed's files are written and
marked ``render_pending``; the mark is cleared in a second small transaction once the files are in place. So
every id a feed ever shows is already kept by the state, and a run that finds the mark set (the previous one
died or failed while writing) renders that feed again in full. A run that fails before that commit changes
nothing, so the next run sees the same changes again.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..models import Item
from .live import leaving, live_count, storing
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .rows import Entry, SourceState, _dt, _ts, by_folder, doc_from_json, doc_to_json, is_stub, stub_document
from .unarchived import left, stored, unarchived_ids

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SourceState", "Store", "state_error"]



class Store:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path, self.readonly = path, readonly
        self._live: dict[str, int] = {}
        if readonly:
            # Reading while another process writes is fine in WAL mode; no lock, no migration.
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"{path}: cannot open the state file ({exc})",
                              "check the folder is writable, or move it with --state") from None
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._upgrade()
        self.db.execute("BEGIN IMMEDIATE")

    def _upgrade(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutputError(f"{self.path}: state was written by a newer seedfeed (schema {version})",
                              "upgrade seedfeed, or point --state at a new file")
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            # BEGIN IMMEDIATE is the migration lock: a process that started at the same time may have applied
            # this step while we waited for it, so read the version again under the lock.
            if self.db.execute("PRAGMA user_version").fetchone()[0] > number:
                self.db.execute("COMMIT")
                continue
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {number + 1}")
            self.db.execute("COMMIT")

    @classmethod
    def peek(cls, path: Path) -> Store | None:
        """A read-only view of the state, or ``None`` if there is none (yet) at the current schema version."""
        if not path.is_file():
            return None
        try:
            store = cls(path, readonly=True)
            if store.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                store.close()
                return None
            return store
        except sqlite3.Error:
            return None

    @classmethod
    def scratch(cls, path: Path) -> Store:
        """An in-memory copy of the state at ``path`` (empty if there is none), for ``build --dry-run``.

        A dry run changes the copy as a real run would, so it can say what would change; nothing it does can
        reach the disk, not even the WAL or an mtime, and it needs no write access to the state folder."""
        store = cls.__new__(cls)
        store.path, store.readonly, store._live = path, False, {}
        store.db = sqlite3.connect(":memory:", isolation_level=None)
        if path.is_file():
            # A read-write connection, used only to read: being the last to close, it removes the -wal/-shm
            # files it made (a read-only one leaves them behind). Older schemas are upgraded in the copy only.
            try:
                source = sqlite3.connect(path, timeout=30)
                try:
                    source.backup(store.db)
                finally:
                    source.close()
            except sqlite3.Error as exc:
                raise OutputError(f"{path}: cannot read the state file ({exc})",
                                  "check it is a seedfeed state file, or point --state at another") from None
        store._upgrade()
        store.db.execute("BEGIN IMMEDIATE")
        return store

    # ------------------------------------------------------------------------------------- transaction
    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN IMMEDIATE")

    def rollback(self) -> None:
        self._live.clear()
        if self.db.in_transaction:  # SQLite may already have rolled back itself (disk full, I/O error)
            self.db.execute("ROLLBACK")
        self.db.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # closing after a failure must not hide that failure
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------- items
    _ENTRY_COLUMNS = "id, key, slug, content_hash, published, updated, first_seen, size, mtime_ns, removed_at"

    def entries(self, feed: str, keys: Iterable[str] | None = None, ids: Iterable[str] = ()) -> list[Entry]:
        """Stored entries: all of them, or (``keys`` given) the live ones with those keys or ``ids``, and
        every tombstone -- what :func:`seedfeed.state.merge.merge` needs for a run that changed a few documents."""
        if keys is None:
            rows = list(self.db.execute(f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = ?", (feed,)))
        else:
            rows = list(self.db.execute(
                f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = ? AND removed_at IS NOT NULL", (feed,)))
            for column, values in (("key", keys), ("id", ids)):
                for marks, chunk in _chunks(values):
                    rows += self.db.execute(
                        f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = ? AND +removed_at IS NULL"   # (see stats)
                        f" AND {column} IN ({marks})", (feed, *chunk))
        unique = {r[0]: r for r in rows}
        return [Entry(*r[:9], r[9] is not None) for r in unique.values()]

    def set_files(self, feed: str, item_id: str, paths: Iterable[str]) -> None:
        """The local files item ``item_id`` links to (none: its entry is dropped, as when the item is removed)."""
        self.db.execute("DELETE FROM files WHERE feed = ? AND item_id = ?", (feed, item_id))
        self.db.executemany("INSERT OR IGNORE INTO files (feed, item_id, path) VALUES (?,?,?)",
                            [(feed, item_id, path) for path in paths])

    def files(self, feed: str) -> set[str]:
        """Every local file some live item of ``feed`` links to."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT path FROM files WHERE feed = ?", (feed,))}

    def doc_links(self, feed: str) -> dict[str, tuple[str, str | None]]:
        """Key -> (slug, own link) of every live item: where links between seed documents point."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT key, slug, json_extract(NULLIF(doc, ''), '$.link') FROM items WHERE feed = ? AND removed_at IS NULL",
            (feed,))}   # (a stub has no document yet: '')

    def has_id(self, feed: str, item_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM items WHERE feed = ? AND id = ?", (feed, item_id)).fetchone() is not None

    def slugs(self, feed: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT slug FROM items WHERE feed = ?", (feed,))}

    def slug_taken(self, feed: str, slug: str) -> bool:
        return self.db.execute("SELECT 1 FROM items WHERE feed = ? AND slug = ?", (feed, slug)).fetchone() is not None

    def stats(self, feed: str, keys: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
        """key -> (size, mtime_ns) of the live items (or of those with ``keys``): all a run needs to see that
        nothing changed. All of them by a plain scan ("+feed"): half the time of 100,000 index lookups."""
        # "+" keeps SQLite off an index: a plain scan for all of them; by key, items_by_key, not items_by_published
        # (feed, removed_at: it would read every live row of the feed to find a few keys, 20 ms at 100,000)
        query = ("SELECT key, size, mtime_ns FROM items WHERE +feed = ? AND removed_at IS NULL" if keys is None
                 else "SELECT key, size, mtime_ns FROM items WHERE feed = ? AND +removed_at IS NULL")
        rows = self.db.execute(query, (feed,)).fetchall() if keys is None else [
            row for marks, chunk in _chunks(keys) for row in self.db.execute(f"{query} AND key IN ({marks})", (feed, *chunk))]
        return {key: (size, mtime_ns) for key, size, mtime_ns in rows}

    def folder_stats(self, feed: str) -> dict[str, dict[str, tuple[int, int]]]:
        """:meth:`stats` of every live item, by folder: folder -> file name -> (size, mtime_ns) (see rows.by_folder)."""
        return by_folder(self.db.execute("SELECT key, size, mtime_ns FROM items WHERE +feed = ? AND removed_at IS NULL",
                                         (feed,)))

    def _items(self, where: str, params: Iterable[Any]) -> list[Item]:
        rows = self.db.execute(
            f"SELECT id, slug, doc, published, updated, content_hash, key FROM items WHERE {where}", tuple(params))
        return [Item(r[0], r[1], doc_from_json(r[2]) if r[2] else stub_document(r[6]), datetime.fromisoformat(r[3]),
                     datetime.fromisoformat(r[4]), r[5]) for r in rows]

    def newest(self, feed: str, limit: int) -> list[Item]:
        """The live items, newest first (ties broken by id so the order is always the same)."""
        return self._items("feed = ? AND removed_at IS NULL ORDER BY published DESC, id LIMIT ?", (feed, limit))

    def paged_items(self, feed: str) -> list[Item]:
        """Live items that have an item page."""
        return self._items("feed = ? AND removed_at IS NULL AND has_page = 1 ORDER BY published DESC, id", (feed,))

    def paged_ids(self, feed: str, among: Iterable[str] | None = None) -> set[str]:
        """Ids of the live items that have an item page: all of them, or only those ``among`` these (a run that
        changed a few items asks about those, not about 100,000 archived ones)."""
        if among is None:
            rows = self.db.execute("SELECT id FROM items INDEXED BY items_paged WHERE feed = ? AND removed_at IS NULL"
                                   " AND has_page = 1", (feed,))
            return {r[0] for r in rows}
        # (from the paged index alone: a run of 1,000 ids took 67 ms by the table, 2 ms so)
        return {r[0] for marks, chunk in _chunks(among) for r in self.db.execute(
            "SELECT id FROM items INDEXED BY items_paged WHERE feed = ? AND removed_at IS NULL AND has_page = 1"
            f" AND id IN ({marks})", (feed, *chunk))}

    def mark_paged(self, feed: str, ids: Iterable[str]) -> None:
        self.db.executemany("UPDATE items SET has_page = 1 WHERE feed = ? AND id = ?", [(feed, i) for i in ids])

    def items_by_id(self, feed: str, ids: Iterable[str]) -> list[Item]:
        out: list[Item] = []
        for marks, chunk in _chunks(ids):
            out += self._items(f"feed = ? AND id IN ({marks})", (feed, *chunk))
        return out

    def count_live(self, feed: str) -> int:
        if feed not in self._live:
            self._live[feed] = live_count(self.db, feed, keep=not self.readonly)   # kept in the state (.live)
        return self._live[feed]

    def put(self, feed: str, items: Iterable[tuple[Item, datetime, int, int]]) -> None:
        """Insert or update items: ``(item, first_seen, size, mtime_ns)`` each."""
        self._live.pop(feed, None)
        first = functools.lru_cache(maxsize=16)(_ts)   # a run's new items share one first_seen: format it once
        rows = [(feed, item.id, item.doc.key, item.slug, item.content_hash, published := _ts(item.published),
                 published if item.updated is item.published else _ts(item.updated),   # (a stub's are one object)
                 first(first_seen), size, mtime_ns, "" if is_stub(item) else doc_to_json(item.doc))
                for item, first_seen, size, mtime_ns in items]
        storing(self.db, feed, ids := [row[1] for row in rows])   # the kept count (.live), before the rows change
        with self._indexes_after(len(rows)):
            self.db.executemany(
                "INSERT INTO items (feed, id, key, slug, content_hash, published, updated, first_seen, size, mtime_ns,"
                " doc, removed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL) ON CONFLICT (feed, id) DO UPDATE SET"
                " key = excluded.key, slug = excluded.slug, content_hash = excluded.content_hash,"
                " published = excluded.published, updated = excluded.updated, size = excluded.size,"
                " mtime_ns = excluded.mtime_ns, doc = excluded.doc, removed_at = NULL", rows)
        stored(self.db, feed, ids)

    @contextlib.contextmanager
    def _indexes_after(self, rows: int) -> Iterator[None]:
        """Into an empty items table (a first build), many rows go in faster with the secondary indexes built once
        afterwards than kept up to date row by row. Both happen in the run's transaction: a run that dies in
        between rolls the dropped indexes back with the rows. A 64 MB page cache meanwhile (the default is 2 MB)
        keeps the pages being filled from being spilled and read again: 100,000 rows took 0.71 s of CPU and
        1.25 s of wall time instead of 0.86 and 1.77 s."""
        if rows < 10_000 or self.db.execute("SELECT 1 FROM items LIMIT 1").fetchone():
            yield
            return
        indexes = self.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'"
                                  " AND sql IS NOT NULL").fetchall()
        cache = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute("PRAGMA cache_size = -65536")
        for name, _ in indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            self.db.execute(sql)
        self.db.execute(f"PRAGMA cache_size = {int(cache)}")

    def fill(self, feed: str, item: Item) -> None:
        """Store the full document of a stub that entered the window (its id, dates and slug stay)."""
        self.db.execute("UPDATE items SET doc = ?, content_hash = ? WHERE feed = ? AND id = ?",
                        (doc_to_json(item.doc), item.content_hash, feed, item.id))

    def forget(self, feed: str, item_id: str) -> None:
        """Drop a stub whose document turned out unreadable: read in full at first sight it was never stored."""
        self._live.pop(feed, None)
        leaving(self.db, feed, item_id)
        self.db.execute("DELETE FROM items WHERE feed = ? AND id = ?", (feed, item_id))
        left(self.db, feed, item_id)

    def window(self, feed: str, limit: int) -> list[tuple[str, str]]:  # (key, published) of the newest live items
        return self.db.execute("SELECT key, published FROM items WHERE feed = ? AND removed_at IS NULL"
                               " ORDER BY published DESC, id LIMIT ?", (feed, limit)).fetchall()

    def has_tombstones(self, feed: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM items WHERE feed = ? AND removed_at IS NOT NULL", (feed,)).fetchone())

    def touch(self, feed: str, item_id: str, *, size: int, mtime_ns: int) -> None:
        """Remember a new file stat for content that did not change."""
        self.db.execute("UPDATE items SET size = ?, mtime_ns = ? WHERE feed = ? AND id = ?", (size, mtime_ns, feed, item_id))

    def remove(self, feed: str, item_id: str, when: datetime) -> None:
        """Keep a tombstone: if the document comes back (or was renamed), it keeps its id."""
        self._live.pop(feed, None)
        leaving(self.db, feed, item_id)
        self.db.execute("UPDATE items SET removed_at = ? WHERE feed = ? AND id = ?", (_ts(when), feed, item_id))

    # ------------------------------------------------------------------------------------------- feeds
    def feed_state(self, feed: str) -> tuple[str | None, str | None, datetime | None, bool]:
        """(feed id, render fingerprint, time of the last removal or first build, render pending) of a feed,
        if built before. *Render pending*: the state was committed but the feed's files may not match it."""
        row = self.db.execute("SELECT feed_id, fingerprint, changed_at, render_pending FROM feeds WHERE name = ?",
                              (feed,)).fetchone()
        return (row[0], row[1], _dt(row[2]), bool(row[3])) if row else (None, None, None, False)

    def built_at(self, feed: str) -> datetime | None:
        row = self.db.execute("SELECT built_at FROM feeds WHERE name = ?", (feed,)).fetchone()
        return _dt(row[0]) if row else None

    def set_feed_state(self, feed: str, feed_id: str, fingerprint: str, changed_at: datetime | None,
                       built_at: datetime, *, render_pending: bool = False, base_url: str | None = None) -> None:
        """Remember a feed's build; ``base_url`` is the address its files were published for (for ``check``)."""
        self.db.execute(
            "INSERT OR REPLACE INTO feeds (name, feed_id, fingerprint, changed_at, built_at, render_pending, base_url)"
            " VALUES (?,?,?,?,?,?,?)",
            (feed, feed_id, fingerprint, _ts(changed_at) if changed_at else None, _ts(built_at), int(render_pending),
             base_url))

    def base_urls(self) -> dict[str, str]:
        """Feed name -> the base URL its last build published for."""
        return {name: url for name, url in self.db.execute("SELECT name, base_url FROM feeds WHERE base_url IS NOT NULL")}

    def rendered(self, feed: str) -> None:
        """The feed's files now match the state: clear its render-pending mark."""
        self.db.execute("UPDATE feeds SET render_pending = 0 WHERE name = ?", (feed,))

    def removed_slugs(self, feed: str) -> list[str]:
        """Slugs of the tombstones (slugs are never reused, so their pages may always go)."""
        return [r[0] for r in self.db.execute("SELECT slug FROM items WHERE feed = ? AND removed_at IS NOT NULL", (feed,))]

    # ---------------------------------- archives: which RFC 5005 page holds which item (state/archives.py decides)
    def unarchived_ids(self, feed: str) -> list[str]:
        """Live items not in any archive page, newest first (the order of :meth:`newest`): kept (.unarchived)."""
        return unarchived_ids(self.db, feed, keep=not self.readonly)

    def last_archive_page(self, feed: str) -> int:
        """The newest archive page's number (0: none yet)."""
        return self.db.execute("SELECT MAX(page) FROM archive WHERE feed = ?", (feed,)).fetchone()[0] or 0

    def archive_page_size(self, feed: str, page: int) -> int:
        """Rows on ``page``, removed items included (a full page stays full)."""
        return self.db.execute("SELECT COUNT(*) FROM archive WHERE feed = ? AND page = ?", (feed, page)).fetchone()[0]

    def archive(self, feed: str, item_id: str, page: int) -> None:
        self.db.execute("INSERT INTO archive (feed, id, page) VALUES (?, ?, ?)", (feed, item_id, page))
        left(self.db, feed, item_id)

    def archive_pages_of(self, feed: str, ids: Iterable[str]) -> set[int]:
        """The archive pages holding any of ``ids``."""
        return {r[0] for marks, chunk in _chunks(ids) for r in self.db.execute(
            f"SELECT page FROM archive WHERE feed = ? AND id IN ({marks})", (feed, *chunk))}

    def archive_page_ids(self, feed: str, page: int) -> list[str]:
        """The live items on archive page ``page``."""
        # CROSS JOIN keeps the page's rows the outer loop: SQLite would otherwise walk every live item of the
        # feed by the date index (covering since it holds the id) for each page: quadratic in a first build
        return [r[0] for r in self.db.execute(
            "SELECT a.id FROM archive a CROSS JOIN items i ON i.feed = a.feed AND i.id = a.id"
            " WHERE a.feed = ? AND a.page = ? AND i.removed_at IS NULL", (feed, page))]

    # ----------------------------------------------------------------------------------------- sources
    def sources(self, feed: str | None = None) -> list[SourceState]:
        """``feed``: that feed's only (the primary key finds them), instead of every feed's."""
        columns = ("SELECT feed, url, kind, etag, last_modified, last_status, last_run, last_success, last_error,"
                   " failing_since, not_found_count, parent, location, deferred_since FROM sources")
        rows = self.db.execute(columns + " ORDER BY feed, url") if feed is None else \
            self.db.execute(columns + " WHERE feed = ? ORDER BY url", (feed,))
        return [SourceState(r[0], r[1], r[2], r[3], r[4], r[5], _dt(r[6]), _dt(r[7]), r[8], _dt(r[9]), r[10], r[11], r[12],
                            _dt(r[13])) for r in rows]

    def put_source(self, s: SourceState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources (feed, url, kind, etag, last_modified, last_status, last_run, last_success,"
            " last_error, failing_since, not_found_count, parent, location, deferred_since)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (s.feed, s.url, s.kind, s.etag, s.last_modified, s.last_status,
             _ts(s.last_run) if s.last_run else None, _ts(s.last_success) if s.last_success else None,
             s.last_error, _ts(s.failing_since) if s.failing_since else None, s.not_found_count, s.parent, s.location,
             _ts(s.deferred_since) if s.deferred_since else None))


def state_error(path: Path, exc: sqlite3.Error) -> OutputError:
    """An SQLite failure while writing the state (disk full, read-only, I/O error) as an error a person can act on."""
    text = str(exc)
    if "full" in text:
        hint = f"free space on the disk holding {path.parent}, then run again (published files are unchanged)"
    elif "readonly" in text or "read-only" in text or "unable to open" in text:
        hint = f"make {path.parent} writable by this user, or move the state with --state"
    else:
        hint = "check the disk; if the file is damaged, restore it from a backup or move it aside to start afresh"
    return OutputError(f"{path}: cannot write the state ({text})", hint)


def _chunks(values: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """``values`` 500 at a time, each with the placeholders of its ``IN (...)`` (SQLite limits the variables of
    one statement)."""
    values = list(values)
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        yield ",".join("?" * len(chunk)), chunk
