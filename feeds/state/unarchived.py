"""A feed's items in no RFC 5005 archive page, kept as a set once the feed uses archives (the SQLite store).

Why: every run of a feed with archives (the default) asks which live items are in no archive page
(:func:`seedfeed.state.archives.plan_archives`). They are few (the ``max_items`` shown, and whatever this run
added), but finding them as "live items minus archived ones" walks every item of the feed: 0.15 s a run at
100,000 items, most of a one-change rebuild's work. So the first time a feed is asked about, the answer is
found that way and kept in the ``unarchived`` table, and the feed is listed in ``archiving``; from then on
:meth:`Store.put` adds the ids it stores that have no archive row and :meth:`Store.archive` and
:meth:`Store.forget` take theirs out, and the answer is the kept ids that are live.

A feed that never uses archives is never listed, so its runs (a first build of 100,000 documents too) pay
nothing for this. The PostgreSQL store answers by its anti-join (hosted feeds are small).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

_ALL = ("SELECT id FROM items WHERE feed = ? AND removed_at IS NULL"
        " AND id NOT IN (SELECT id FROM archive WHERE feed = ?) ORDER BY published DESC, id")
_KEPT = ("SELECT i.id FROM unarchived u CROSS JOIN items i ON i.feed = u.feed AND i.id = u.id"
         " WHERE u.feed = ? AND i.removed_at IS NULL ORDER BY i.published DESC, i.id")


def unarchived_ids(db: sqlite3.Connection, feed: str, *, keep: bool = True) -> list[str]:
    """Live items in no archive page, newest first (ties by id, as ``Store.newest``); ``keep=False``: a read-only
    store, which walks the items and keeps nothing."""
    if keep and _kept(db, feed):
        return [r[0] for r in db.execute(_KEPT, (feed,))]
    found = [r[0] for r in db.execute(_ALL, (feed, feed))]
    if not keep:
        return found
    db.executemany("INSERT OR IGNORE INTO unarchived (feed, id) VALUES (?, ?)", [(feed, i) for i in found])
    db.execute("INSERT INTO archiving (feed) VALUES (?)", (feed,))
    return found


def stored(db: sqlite3.Connection, feed: str, ids: Sequence[str]) -> None:
    """``ids`` were just stored (new, changed or back): keep those in no archive page."""
    if ids and _kept(db, feed):
        db.executemany("INSERT OR IGNORE INTO unarchived (feed, id) SELECT ?1, ?2"
                       " WHERE NOT EXISTS (SELECT 1 FROM archive WHERE feed = ?1 AND id = ?2)", [(feed, i) for i in ids])


def left(db: sqlite3.Connection, feed: str, item_id: str) -> None:
    """The item went into an archive page, or was forgotten."""
    db.execute("DELETE FROM unarchived WHERE feed = ? AND id = ?", (feed, item_id))


def _kept(db: sqlite3.Connection, feed: str) -> bool:
    return db.execute("SELECT 1 FROM archiving WHERE feed = ?", (feed,)).fetchone() is not None
