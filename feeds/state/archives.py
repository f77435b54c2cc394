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
from pathlib import Path

from ..models import Item
from ..records import field, record
from ..render.base import ATOM_FILE, JSON_FILE, RSS_FILE, archive_file
from .base import Store


@record(frozen=False)
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
    waiting = store.unarchived_ids(feed)   # newest first, in the order of Store.newest
    last = store.last_archive_page(feed)
    # Rows of removed items still count: a full page stays full (and final) when an item leaves it.
    filled = store.archive_page_size(feed, last)
    dirty: set[int] = set()
    first_new = last + 1
    current, scrolled = waiting[:max_items], waiting[max_items:]
    for item_id in reversed(scrolled):   # oldest first
        if last == 0 or filled >= size:
            last, filled = last + 1, 0
        store.archive(feed, item_id, last)
        filled += 1
        dirty.add(last)
    if last >= first_new > 1:
        dirty.add(first_new - 1)   # its next-archive link appears: the last time that page is written
    dirty |= store.archive_pages_of(feed, touched)
    if full:
        dirty = set(range(1, last + 1))
    plan = ArchivePlan(newest_first(store.items_by_id(feed, current)), last=last)
    for page in sorted(dirty):
        plan.pages[page] = newest_first(store.items_by_id(feed, store.archive_page_ids(feed, page)))
    return plan


def archive_files_present(store: Store, feed: str, folder: Path) -> bool:
    """Whether the newest archive page is on disk (in the three formats): if not, the feed is rendered in full."""
    last = store.last_archive_page(feed)
    return not last or all((folder / archive_file(name, last)).is_file() for name in (RSS_FILE, ATOM_FILE, JSON_FILE))
