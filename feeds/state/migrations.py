"""The SQLite state's schema: each entry upgrades it from version i to i + 1 (``PRAGMA user_version``).

Never edit a released entry: append a new one (and the same step to :mod:`.postgres`, in the same order).
"""

from __future__ import annotations

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry: append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        feed TEXT NOT NULL, id TEXT NOT NULL, key TEXT NOT NULL, slug TEXT NOT NULL,
        content_hash TEXT NOT NULL, published TEXT NOT NULL, updated TEXT NOT NULL, first_seen TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT -1, mtime_ns INTEGER NOT NULL DEFAULT -1,
        doc TEXT NOT NULL, removed_at TEXT, has_page INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (feed, id)
    );
    CREATE INDEX items_by_key ON items (feed, key);
    CREATE INDEX items_by_published ON items (feed, removed_at, published);
    CREATE TABLE feeds (name TEXT PRIMARY KEY, feed_id TEXT, fingerprint TEXT, changed_at TEXT, built_at TEXT);
    """,
    """
    CREATE TABLE sources (
        feed TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL,
        etag TEXT, last_modified TEXT, last_status INTEGER,
        last_run TEXT, last_success TEXT, last_error TEXT, failing_since TEXT,
        not_found_count INTEGER NOT NULL DEFAULT 0,
        parent TEXT, location TEXT,
        PRIMARY KEY (feed, url)
    );
    """,
    """
    ALTER TABLE feeds ADD COLUMN render_pending INTEGER NOT NULL DEFAULT 0;
    """,
    """
    ALTER TABLE sources ADD COLUMN deferred_since TEXT;
    """,
    """
    ALTER TABLE feeds ADD COLUMN base_url TEXT;
    """,
    # Every seed document is read again once: bodies get their links to local files and other seeds rewritten
    # (seedfeed.sources.links), titles lose markup, and unreadable dates stop being skips.
    """
    CREATE TABLE files (feed TEXT NOT NULL, item_id TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (feed, item_id, path));
    UPDATE items SET size = -1, mtime_ns = -1 WHERE removed_at IS NULL;
    """,
    # RFC 5005 archives: the archive page each archived item was put in, once (state/archives.py)
    """
    CREATE TABLE archive (feed TEXT NOT NULL, id TEXT NOT NULL, page INTEGER NOT NULL, PRIMARY KEY (feed, id));
    CREATE INDEX archive_by_page ON archive (feed, page);
    """,
    # a run that adds one document to 100,000 checks its slug and finds the paged items without a scan
    """
    CREATE INDEX items_by_slug ON items (feed, slug);
    CREATE INDEX items_paged ON items (feed, id) WHERE has_page = 1 AND removed_at IS NULL;
    """,
    # the ids in the date index: a feed's unarchived items come from the index alone (every run with archives on
    # asks, and a feed of 100,000 items read 100,000 table rows for the 50 it shows)
    """
    DROP INDEX items_by_published;
    CREATE INDEX items_by_published ON items (feed, removed_at, published, id);
    """,
    # a feed's items in no archive page, kept once the feed uses archives (state/unarchived.py): a run asked
    # for them by walking every live item (0.15 s at 100,000)
    """
    CREATE TABLE unarchived (feed TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (feed, id)) WITHOUT ROWID;
    CREATE TABLE archiving (feed TEXT PRIMARY KEY);
    """,
    # each feed's live items, kept once counted (state/live.py): counting 100,000 read 9 MB each changing run
    """
    CREATE TABLE live_counts (feed TEXT PRIMARY KEY, n INTEGER NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
