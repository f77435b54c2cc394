"""The state in PostgreSQL (hosted mode): the same interface and the same rows as the SQLite store.

Columns and values are those of :mod:`.store` -- times as ISO 8601 text in UTC, documents as JSON text -- so a
state copies across verbatim (``seedfeed state migrate``) and every ``ORDER BY`` compares the same bytes: text
that reaches an order is ``COLLATE "C"`` (byte order, like SQLite's BINARY), never the server's locale.

Like the run lock file beside the SQLite store, a writer holds an advisory lock for as long as it is open, so two
runs on two machines take turns instead of interleaving. A writer of the whole state (``build``) holds it
exclusively; a writer of some feeds only (a hosted-mode refresh, ``feeds=``) holds it shared plus one exclusive
lock per feed, so refreshes of different feeds write at once while two writers of one feed still take turns.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from ..models import Item
from .pg_schema import MIGRATE_LOCK, MIGRATIONS, SCHEMA_VERSION, _step, connect, migrate, redact, schema_version
from .rows import Entry, SourceState, _dt, _ts, by_folder, doc_from_json, doc_to_json, is_stub, stub_document

# Advisory lock key of the writer (a 64-bit number that nothing else on the server uses).
WRITE_LOCK = 0x5EEDFEED0002
__all__ = ["MIGRATE_LOCK", "MIGRATIONS", "SCHEMA_VERSION", "PgStore", "connect", "feed_lock", "migrate", "redact",
           "schema_version"]
FEED_LOCKS = 0x5EED0010   # the high 32 bits of a feed's writer lock; the low 32 are the CRC-32 of its name


def feed_lock(feed: str, space: int = FEED_LOCKS) -> int:
    """The advisory lock key of one feed in ``space``. Two names with the same CRC-32 share a lock: they then take
    turns, which is slower but never wrong."""
    return (space << 32) | zlib.crc32(feed.encode())


class PgStore:
    """The state in one PostgreSQL database (see the module docstring)."""

    def __init__(self, url: str, path: Path, *, readonly: bool = False, scratch: bool = False,
                 feeds: Iterable[str] | None = None) -> None:
        """``feeds``: this writer writes only these feeds' rows (see the module docstring); ``None``: any."""
        self.url = url
        self.path = path
        self.readonly = readonly
        self.scratch = scratch   # a dry run: changes are seen by this connection only and never committed
        if not readonly and not scratch:
            migrate(url)
        self.db = connect(url, autocommit=readonly)
        if scratch:  # DDL is transactional: a dry run on an older database upgrades its uncommitted view only
            for number in range(schema_version(self.db), SCHEMA_VERSION):
                _step(self.db, number)
        if not readonly:
            self.db.execute("SET lock_timeout = '30s'")   # as long as the SQLite store waits for its lock
            if not scratch:
                # One writer at a time per feed for the store's whole life, as the run lock file does on one
                # machine: a run's render never interleaves with another's (no older version published over a
                # newer). Session locks: a killed writer's connection closes and the server releases them.
                if feeds is None:
                    self.db.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
                else:   # in one order (by key): two writers of overlapping feeds never deadlock
                    self.db.execute("SELECT pg_advisory_lock_shared(%s)", (WRITE_LOCK,))
                    for key in sorted({feed_lock(name) for name in feeds}):
                        self.db.execute("SELECT pg_advisory_lock(%s)", (key,))
                self.db.commit()

    @classmethod
    def peek(cls, url: str, path: Path) -> PgStore | None:
        """A read-only view of the state, or ``None`` if the database holds none (yet) at the current version."""
        store = cls(url, path, readonly=True)
        if schema_version(store.db) != SCHEMA_VERSION:
            store.close()
            return None
        return store

    # ------------------------------------------------------------------------------------- transaction
    def commit(self) -> None:
        if self.scratch:
            self.db.rollback()
        else:
            self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):  # closing after a failure must not hide that failure
            if not self.readonly:
                self.db.rollback()
        self.db.close()

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, tuple(params)).fetchall()

    def _many(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        rows = list(rows)
        if rows:
            with self.db.cursor() as cur:
                cur.executemany(sql, rows)

    # ------------------------------------------------------------------------------------------- items
    _ENTRY_COLUMNS = "id, key, slug, content_hash, published, updated, first_seen, size, mtime_ns, removed_at"

    def entries(self, feed: str, keys: Iterable[str] | None = None, ids: Iterable[str] = ()) -> list[Entry]:
        """See :meth:`seedfeed.state.store.Store.entries`."""
        if keys is None:
            rows = self._rows(f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = %s", (feed,))
        else:
            rows = self._rows(f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = %s AND removed_at IS NOT NULL",
                              (feed,))
            for column, values in (("key", list(keys)), ("id", list(ids))):
                if values:
                    rows += self._rows(f"SELECT {self._ENTRY_COLUMNS} FROM items WHERE feed = %s"
                                       f" AND removed_at IS NULL AND {column} = ANY(%s)", (feed, values))
        unique = {r[0]: r for r in rows}
        return [Entry(*r[:9], r[9] is not None) for r in unique.values()]

    def set_files(self, feed: str, item_id: str, paths: Iterable[str]) -> None:
        """See :meth:`seedfeed.state.store.Store.set_files`."""
        self.db.execute("DELETE FROM files WHERE feed = %s AND item_id = %s", (feed, item_id))
        self._many("INSERT INTO files (feed, item_id, path) VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
                   [(feed, item_id, path) for path in paths])

    def files(self, feed: str) -> set[str]:
        return {r[0] for r in self._rows("SELECT DISTINCT path FROM files WHERE feed = %s", (feed,))}

    def doc_links(self, feed: str) -> dict[str, tuple[str, str | None]]:
        """See :meth:`seedfeed.state.store.Store.doc_links`."""
        return {r[0]: (r[1], r[2]) for r in self._rows(
            "SELECT key, slug, NULLIF(doc, '')::json ->> 'link' FROM items WHERE feed = %s AND removed_at IS NULL", (feed,))}

    def has_id(self, feed: str, item_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM items WHERE feed = %s AND id = %s", (feed, item_id)))

    def slugs(self, feed: str) -> set[str]:
        return {r[0] for r in self._rows("SELECT slug FROM items WHERE feed = %s", (feed,))}

    def slug_taken(self, feed: str, slug: str) -> bool:
        return bool(self._rows("SELECT 1 FROM items WHERE feed = %s AND slug = %s LIMIT 1", (feed, slug)))

    def stats(self, feed: str, keys: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
        """See :meth:`seedfeed.state.store.Store.stats`."""
        query = "SELECT key, size, mtime_ns FROM items WHERE feed = %s AND removed_at IS NULL"
        rows = self._rows(query, (feed,)) if keys is None else self._rows(f"{query} AND key = ANY(%s)", (feed, list(keys)))
        return {key: (size, mtime_ns) for key, size, mtime_ns in rows}

    def folder_stats(self, feed: str) -> dict[str, dict[str, tuple[int, int]]]:   # see Store.folder_stats
        return by_folder(self._rows("SELECT key, size, mtime_ns FROM items WHERE feed = %s AND removed_at IS NULL", (feed,)))

    def _items(self, where: str, params: Iterable[Any]) -> list[Item]:
        rows = self._rows(f"SELECT id, slug, doc, published, updated, content_hash, key FROM items WHERE {where}", params)
        return [Item(r[0], r[1], doc_from_json(r[2]) if r[2] else stub_document(r[6]), datetime.fromisoformat(r[3]),
                     datetime.fromisoformat(r[4]), r[5]) for r in rows]

    def newest(self, feed: str, limit: int) -> list[Item]:
        return self._items("feed = %s AND removed_at IS NULL ORDER BY published DESC, id LIMIT %s", (feed, limit))

    def paged_items(self, feed: str) -> list[Item]:
        return self._items("feed = %s AND removed_at IS NULL AND has_page = 1 ORDER BY published DESC, id", (feed,))

    def paged_ids(self, feed: str, among: Iterable[str] | None = None) -> set[str]:
        if among is None:
            rows = self._rows("SELECT id FROM items WHERE feed = %s AND removed_at IS NULL AND has_page = 1", (feed,))
        else:
            rows = self._rows("SELECT id FROM items WHERE feed = %s AND id = ANY(%s) AND removed_at IS NULL"
                              " AND has_page = 1", (feed, list(among)))
        return {r[0] for r in rows}

    def mark_paged(self, feed: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.db.execute("UPDATE items SET has_page = 1 WHERE feed = %s AND id = ANY(%s)", (feed, ids))

    def items_by_id(self, feed: str, ids: Iterable[str]) -> list[Item]:
        ids = list(ids)
        return self._items("feed = %s AND id = ANY(%s)", (feed, ids)) if ids else []

    def count_live(self, feed: str) -> int:
        return int(self._rows("SELECT count(*) FROM items WHERE feed = %s AND removed_at IS NULL", (feed,))[0][0])

    def put(self, feed: str, items: Iterable[tuple[Item, datetime, int, int]]) -> None:
        """Insert or update items: ``(item, first_seen, size, mtime_ns)`` each."""
        self._many(
            "INSERT INTO items (feed, id, key, slug, content_hash, published, updated, first_seen, size, mtime_ns, doc,"
            " removed_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,NULL) ON CONFLICT (feed, id) DO UPDATE SET"
            " key = excluded.key, slug = excluded.slug, content_hash = excluded.content_hash,"
            " published = excluded.published, updated = excluded.updated, size = excluded.size,"
            " mtime_ns = excluded.mtime_ns, doc = excluded.doc, removed_at = NULL",
            [(feed, item.id, item.doc.key, item.slug, item.content_hash, _ts(item.published), _ts(item.updated),
              _ts(first_seen), size, mtime_ns, "" if is_stub(item) else doc_to_json(item.doc))
             for item, first_seen, size, mtime_ns in items])

    def fill(self, feed: str, item: Item) -> None:
        """See :meth:`seedfeed.state.store.Store.fill`."""
        self.db.execute("UPDATE items SET doc = %s, content_hash = %s WHERE feed = %s AND id = %s",
                        (doc_to_json(item.doc), item.content_hash, feed, item.id))

    def forget(self, feed: str, item_id: str) -> None:
        self.db.execute("DELETE FROM items WHERE feed = %s AND id = %s", (feed, item_id))

    def window(self, feed: str, limit: int) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._rows("SELECT key, published FROM items WHERE feed = %s AND removed_at IS NULL"
                                                 " ORDER BY published DESC, id LIMIT %s", (feed, limit))]

    def has_tombstones(self, feed: str) -> bool:
        return bool(self._rows("SELECT 1 FROM items WHERE feed = %s AND removed_at IS NOT NULL LIMIT 1", (feed,)))

    def touch(self, feed: str, item_id: str, *, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE items SET size = %s, mtime_ns = %s WHERE feed = %s AND id = %s",
                        (size, mtime_ns, feed, item_id))

    def remove(self, feed: str, item_id: str, when: datetime) -> None:
        self.db.execute("UPDATE items SET removed_at = %s WHERE feed = %s AND id = %s", (_ts(when), feed, item_id))

    # ------------------------------------------------------------------------------------------- feeds
    def feed_state(self, feed: str) -> tuple[str | None, str | None, datetime | None, bool]:
        rows = self._rows("SELECT feed_id, fingerprint, changed_at, render_pending FROM feeds WHERE name = %s", (feed,))
        return (rows[0][0], rows[0][1], _dt(rows[0][2]), bool(rows[0][3])) if rows else (None, None, None, False)

    def built_at(self, feed: str) -> datetime | None:
        rows = self._rows("SELECT built_at FROM feeds WHERE name = %s", (feed,))
        return _dt(rows[0][0]) if rows else None

    def set_feed_state(self, feed: str, feed_id: str, fingerprint: str, changed_at: datetime | None,
                       built_at: datetime, *, render_pending: bool = False, base_url: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO feeds (name, feed_id, fingerprint, changed_at, built_at, render_pending, base_url)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (name) DO UPDATE SET feed_id = excluded.feed_id,"
            " fingerprint = excluded.fingerprint, changed_at = excluded.changed_at, built_at = excluded.built_at,"
            " render_pending = excluded.render_pending, base_url = excluded.base_url",
            (feed, feed_id, fingerprint, _ts(changed_at) if changed_at else None, _ts(built_at), int(render_pending),
             base_url))

    def base_urls(self) -> dict[str, str]:
        return {name: url for name, url in self._rows("SELECT name, base_url FROM feeds WHERE base_url IS NOT NULL")}

    def rendered(self, feed: str) -> None:
        self.db.execute("UPDATE feeds SET render_pending = 0 WHERE name = %s", (feed,))

    def removed_slugs(self, feed: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT slug FROM items WHERE feed = %s AND removed_at IS NOT NULL", (feed,))]

    # ----------------------------------------------------------------------------------------- archives
    def unarchived_ids(self, feed: str) -> list[str]:
        return [r[0] for r in self._rows(
            "SELECT id FROM items i WHERE feed = %s AND removed_at IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM archive a WHERE a.feed = i.feed AND a.id = i.id) ORDER BY published DESC, id", (feed,))]

    def last_archive_page(self, feed: str) -> int:
        return int(self._rows("SELECT MAX(page) FROM archive WHERE feed = %s", (feed,))[0][0] or 0)

    def archive_page_size(self, feed: str, page: int) -> int:
        return int(self._rows("SELECT count(*) FROM archive WHERE feed = %s AND page = %s", (feed, page))[0][0])

    def archive(self, feed: str, item_id: str, page: int) -> None:
        self.db.execute("INSERT INTO archive (feed, id, page) VALUES (%s, %s, %s)", (feed, item_id, page))

    def archive_pages_of(self, feed: str, ids: Iterable[str]) -> set[int]:
        ids = list(ids)
        return {r[0] for r in self._rows("SELECT DISTINCT page FROM archive WHERE feed = %s AND id = ANY(%s)",
                                         (feed, ids))} if ids else set()

    def archive_page_ids(self, feed: str, page: int) -> list[str]:
        return [r[0] for r in self._rows(
            "SELECT a.id FROM archive a JOIN items i ON i.feed = a.feed AND i.id = a.id"
            " WHERE a.feed = %s AND a.page = %s AND i.removed_at IS NULL", (feed, page))]

    # ----------------------------------------------------------------------------------------- sources
    _SOURCE_COLUMNS = ("feed, url, kind, etag, last_modified, last_status, last_run, last_success, last_error,"
                       " failing_since, not_found_count, parent, location, deferred_since")

    def sources(self, feed: str | None = None) -> list[SourceState]:
        """``feed``: that feed's only (a hosted job reads its own feed's, not all 50,000 of the state)."""
        rows = self._rows(f"SELECT {self._SOURCE_COLUMNS} FROM sources ORDER BY feed, url") if feed is None else \
            self._rows(f"SELECT {self._SOURCE_COLUMNS} FROM sources WHERE feed = %s ORDER BY url", (feed,))
        return [SourceState(r[0], r[1], r[2], r[3], r[4], r[5], _dt(r[6]), _dt(r[7]), r[8], _dt(r[9]), r[10], r[11], r[12],
                            _dt(r[13])) for r in rows]

    def put_source(self, s: SourceState) -> None:
        updates = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in self._SOURCE_COLUMNS.split(",")[2:])
        self.db.execute(
            f"INSERT INTO sources ({self._SOURCE_COLUMNS}) VALUES ({','.join(['%s'] * 14)})"
            f" ON CONFLICT (feed, url) DO UPDATE SET {updates}",
            (s.feed, s.url, s.kind, s.etag, s.last_modified, s.last_status,
             _ts(s.last_run) if s.last_run else None, _ts(s.last_success) if s.last_success else None,
             s.last_error, _ts(s.failing_since) if s.failing_since else None, s.not_found_count, s.parent, s.location,
             _ts(s.deferred_since) if s.deferred_since else None))
