"""Which RFC 5005 archive document holds which item: decided once per item and kept in the state.

The newest ``max_items`` live items that are not archived are the feed's *current* items, published in
``rss.xml``, ``atom.xml`` and ``feed.json``. An item that scrolls out of them is appended to the newest archive
page, oldest first (by ``published``, then id); a page that has ``size`` items is full and the next item starts
a new one. So:

- every item is in exactly one place: the subscription documents or one archive page, and the subscription
  documents hold exactly what they held without archives (the newest ``max_items``);
- a page's items never move. A full page is written again only when one of its items is edited or removed, or
  once when the next page appears (its ``next-archive`` link). A page with a successor is therefore final, and
  ``seedfeed serve`` marks it ``immutable``; only the newest page grows.

A removed item keeps its row (page numbers are never reused); it is simply no longer rendered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Item
from ..render.base import ATOM_FILE, JSON_FILE, RSS_FILE, archive_file
from .store import Store


@dataclass
class ArchivePlan:
    current: list[Item]                                        # the subscription documents' items, newest first
    pages: dict[int, list[Item]] = field(default_factory=dict)  # archive pages to write: number -> items
    last: int = 0                                              # the newest archive page (0: none yet)

    @property
    def archived(self) -> list[Item]:
        """The items of the pages written this run (they need item pages too: the archives link to them)."""
        return [item for items in self.pages.values() for item in items]


def newest_first(items: Iterable[Item]) -> list[Item]:
    """Newest first, ties by id: the order of ``Store.newest``."""
    return sorted(sorted(items, key=lambda i: i.id), key=lambda i: i.published, reverse=True)


def plan_archives(store: Store, feed: str, max_items: int, size: int, touched: Iterable[str], *,
                  full: bool) -> ArchivePlan:
    """Archive what scrolled out, and say which archive pages to (re)write.

    ``touched``: ids of items written or removed this run (their page is written again); ``full``: write every
    page (settings changed, files missing, an interrupted run)."""
    db = store.db
    waiting = [r[0] for r in db.execute(   # newest first, in the order of Store.newest
        "SELECT id FROM items WHERE feed = ? AND removed_at IS NULL AND id NOT IN (SELECT id FROM archive WHERE feed = ?)"
        " ORDER BY published DESC, id", (feed, feed))]
    last = db.execute("SELECT MAX(page) FROM archive WHERE feed = ?", (feed,)).fetchone()[0] or 0
    # Rows of removed items still count: a full page stays full (and final) when an item leaves it.
    filled = db.execute("SELECT COUNT(*) FROM archive WHERE feed = ? AND page = ?", (feed, last)).fetchone()[0]
    dirty: set[int] = set()
    first_new = last + 1
    current, scrolled = waiting[:max_items], waiting[max_items:]
    for item_id in reversed(scrolled):   # oldest first
        if last == 0 or filled >= size:
            last, filled = last + 1, 0
        db.execute("INSERT INTO archive (feed, id, page) VALUES (?, ?, ?)", (feed, item_id, last))
        filled += 1
        dirty.add(last)
    if last >= first_new > 1:
        dirty.add(first_new - 1)   # its next-archive link appears: the last time that page is written
    touched = list(touched)
    for start in range(0, len(touched), 500):
        chunk = touched[start:start + 500]
        dirty |= {r[0] for r in db.execute(f"SELECT page FROM archive WHERE feed = ? AND id IN ({','.join('?' * len(chunk))})",
                                           (feed, *chunk))}
    if full:
        dirty = set(range(1, last + 1))
    plan = ArchivePlan(newest_first(store.items_by_id(feed, current)), last=last)
    for page in sorted(dirty):
        ids = [r[0] for r in db.execute(
            "SELECT a.id FROM archive a JOIN items i ON i.feed = a.feed AND i.id = a.id"
            " WHERE a.feed = ? AND a.page = ? AND i.removed_at IS NULL", (feed, page))]
        plan.pages[page] = newest_first(store.items_by_id(feed, ids))
    return plan


def archive_files_present(store: Store, feed: str, folder: Path) -> bool:
    """Whether the newest archive page is on disk (in the three formats): if not, the feed is rendered in full."""
    last = store.db.execute("SELECT MAX(page) FROM archive WHERE feed = ?", (feed,)).fetchone()[0]
    return not last or all((folder / archive_file(name, last)).is_file() for name in (RSS_FILE, ATOM_FILE, JSON_FILE))
