"""Which RFC 5005 archive document holds which item: decided once per item and kept in the state.

The live items of a feed that are not archived yet are its *current* items, published in ``rss.xml``,
``atom.xml`` and ``feed.json``. When there are at least ``max_items + size`` of them, the oldest ``size`` (by
``published``, then id) become the next archive page, numbered from 1, and so on. So:

- every item is in exactly one place: the subscription documents or one archive page;
- the subscription documents hold the newest ``max_items`` items plus fewer than ``size`` older ones waiting
  to fill the next page;
- an archive page is created full and its items never move. It is written again only when one of its items
  is edited or removed, or once when the next page appears (its ``next-archive`` link). A page with a
  successor is therefore final, and ``seedfeed serve`` marks it ``immutable``.

A removed item keeps its row (page numbers are never reused); it is simply no longer rendered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Item
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
    waiting = [r[0] for r in db.execute(
        "SELECT id FROM items WHERE feed = ? AND removed_at IS NULL AND id NOT IN (SELECT id FROM archive WHERE feed = ?)"
        " ORDER BY published, id", (feed, feed))]
    last = db.execute("SELECT MAX(page) FROM archive WHERE feed = ?", (feed,)).fetchone()[0] or 0
    dirty: set[int] = set()
    created = 0
    while len(waiting) >= max_items + size:
        last += 1
        created += 1
        db.executemany("INSERT INTO archive (feed, id, page) VALUES (?, ?, ?)", ((feed, i, last) for i in waiting[:size]))
        dirty.add(last)
        del waiting[:size]
    if created and last - created >= 1:
        dirty.add(last - created)   # its next-archive link appears: its last rewrite
    touched = list(touched)
    for start in range(0, len(touched), 500):
        chunk = touched[start:start + 500]
        dirty |= {r[0] for r in db.execute(f"SELECT page FROM archive WHERE feed = ? AND id IN ({','.join('?' * len(chunk))})",
                                           (feed, *chunk))}
    if full:
        dirty = set(range(1, last + 1))
    plan = ArchivePlan(newest_first(store.items_by_id(feed, waiting)), last=last)
    for page in sorted(dirty):
        ids = [r[0] for r in db.execute(
            "SELECT a.id FROM archive a JOIN items i ON i.feed = a.feed AND i.id = a.id"
            " WHERE a.feed = ? AND a.page = ? AND i.removed_at IS NULL", (feed, page))]
        plan.pages[page] = newest_first(store.items_by_id(feed, ids))
    return plan
