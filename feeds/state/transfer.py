"""Copy a state from an SQLite file into PostgreSQL (``seedfeed state migrate --from PATH --to URL``).

Rows are copied verbatim -- ids, slugs, dates, content hashes, documents, ETags, Last-Modified, source health,
render-pending marks, the files items link to, archive pages -- because the two stores keep the same columns with
the same values. So the first build on PostgreSQL finds nothing changed, re-mints no id, and (with the same clock)
writes byte-identical feeds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import OutputError
from . import postgres
from .store import SCHEMA_VERSION as SQLITE_VERSION
from .store import Store as SqliteStore

TABLES = {
    "items": "feed, id, key, slug, content_hash, published, updated, first_seen, size, mtime_ns, doc, removed_at, has_page",
    "feeds": "name, feed_id, fingerprint, changed_at, built_at, render_pending, base_url",
    "sources": "feed, url, kind, etag, last_modified, last_status, last_run, last_success, last_error, failing_since,"
               " not_found_count, parent, location, deferred_since",
    "files": "feed, item_id, path",
    "archive": "feed, id, page",
}


def copy_sqlite_to_postgres(path: Path, url: str) -> dict[str, int]:
    """Copy every row of the state at ``path`` into the (empty) database at ``url``; returns rows per table."""
    if not path.is_file():
        raise OutputError(f"{path}: no state file there", "give --from the state file a build wrote (state.sqlite)")
    SqliteStore(path).close()   # bring an older file up to the current schema first (what any build would do)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA user_version").fetchone()[0] != SQLITE_VERSION:
            raise OutputError(f"{path}: not a seedfeed state file", "give --from the state file a build wrote")
        with postgres.PgStore(url, path) as target:   # migrated, and holding the write lock until commit
            counts = {t: target.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]
            if any(counts.values()):
                raise OutputError(f"{postgres.redact(url)}: the database already holds a state "
                                  f"({', '.join(f'{n} {t}' for t, n in counts.items() if n)})",
                                  "migrate into a new, empty database (createdb), or drop this one first")
            copied = {}
            for table, columns in TABLES.items():
                copied[table] = 0
                with target.db.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {columns} FROM {table}"):
                        copy.write_row(row)
                        copied[table] += 1
            target.commit()
            return copied
    finally:
        source.close()
