"""A feed's files: the item pages to write, then writing them, the archive pages and the feeds, in the order that
keeps what readers can fetch consistent (see :mod:`.run` for the crash-safety rule this order serves)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import FeedConfig
from ..models import Item
from ..publish import fsync_dir, kept_folder, remove, remove_stale_temp_files, write_if_changed
from ..render.base import ARCHIVE_DIR, ATOM_FILE, ITEMS_DIR, JSON_FILE, PAGE_FILE, RSS_FILE, FeedMeta, page_path
from ..state.archives import ArchivePlan
from ..state.base import Store
from ..state.merge import Changes


def item_pages(store: Store, feed: FeedConfig, items: list[Item], changes: Changes, *, full: bool) -> list[Item]:
    """The item pages to write this run, marked in the state as having a page."""
    # Item pages exist for every item a feed has ever shown (readers keep those links), written when the item
    # first enters the newest max_items, and rewritten when it changes. Documents that were never in the
    # window (say, the 9,950 oldest of a first build) get theirs if they ever enter it.
    if full:
        paged = store.paged_ids(feed.name)
        pages = {i.id: i for i in store.paged_items(feed.name)}
    else:   # every id asked about below is written this run or shown (with archives on, 100,000 ids are paged)
        paged = store.paged_ids(feed.name, {i.id for i in changes.written} | {i.id for i in items})
        changed = {i.id for i in changes.written} & paged
        pages = {i.id: i for i in store.items_by_id(feed.name, changed)}
    pages.update({i.id: i for i in items if i.id not in paged or i.id in pages or full})
    store.mark_paged(feed.name, [i for i in pages if i not in paged])
    return list(pages.values())


def write_feed(store: Store, feed: FeedConfig, folder: Path, meta: FeedMeta, items: list[Item], pages: list[Item],
               changes: Changes, check_cancel: Callable[[], None], archive: ArchivePlan | None, *, recover: bool) -> int:
    """Write the item pages, the archive pages, then the feeds; ``recover``: also undo what an interrupted run
    may have left."""
    from ..render.archive import render_archive_page, render_current  # not imported by runs that write nothing
    from ..render.feed_page import render_feed_page
    from ..render.item_page import render_page

    written = 0
    if recover:
        remove_stale_temp_files(folder)
        remove_stale_temp_files(folder / ITEMS_DIR)
        remove_stale_temp_files(folder / ARCHIVE_DIR)
        remove_stale_temp_files(kept_folder(store.path, feed.name))
    for item in pages:
        check_cancel()
        if item.doc.link:  # has its own address; no page needed
            continue
        written += write_if_changed(folder / page_path(item), render_page(item, meta), fsync=False, new_in_place=True)
    fsync_dir(folder / ITEMS_DIR)
    # The replaced feed files are kept beside the state, so `seedfeed check` can compare ids across a build.
    kept = kept_folder(store.path, feed.name)
    # Archive pages first (like item pages: the render-pending mark makes a killed run write them all again).
    for number, archived in archive.pages.items() if archive else ():
        for name, data in render_archive_page(meta, number, archive.last, archived):  # type: ignore[union-attr]
            written += write_if_changed(folder / name, data, fsync=False, new_in_place=True)
    fsync_dir(folder / ARCHIVE_DIR)
    feeds = render_current(meta, items, archive.last if archive else 0)
    for name, data in zip((RSS_FILE, ATOM_FILE, JSON_FILE), feeds, strict=True):
        written += write_if_changed(folder / name, data, previous=kept / name)
    written += write_if_changed(folder / PAGE_FILE, render_feed_page(
        meta, items, store.count_live(feed.name), overview="../index.html" if feed.name else None))
    fsync_dir(folder)
    # Pages of removed items go last: until the feeds above are replaced, the published ones still link there.
    gone = store.removed_slugs(feed.name) if recover else [entry.slug for entry in changes.removed]
    for slug in gone:
        written += remove(folder / ITEMS_DIR / f"{slug}.html")
    return written
