"""``run_once(config, now) -> Report``: the only function that knows the order of the stages.

    sources -> extract -> store -> render -> publish

A run reads only documents whose file changed since the last run (size or mtime differ), and renders and
writes only when something changed (or the feed's settings did, or its files are missing), so a run with
nothing to do costs a folder walk and one SQLite query per feed.

Crash safety: a feed's state is committed (with a *render pending* mark) before any of its files is written,
and the mark is cleared once they all are. A run killed at any point therefore never publishes an id the
state does not keep, and the next run renders a feed whose mark is still set again in full (repairing a
half-written item page, removing pages of removed items and stale temp files).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import Config, FeedConfig
from ..errors import Cancelled
from ..progress import ProgressFactory, no_progress
from ..publish import run_lock
from ..records import field, record
from ..render.base import (
    ATOM_FILE,
    FILES_DIR,
    ITEMS_DIR,
    JSON_FILE,
    PAGE_FILE,
    RSS_FILE,
    FeedMeta,
)
from ..site import write_site
from ..sources.collect import AllBut, collect, job_for, take
from ..sources.links import publish_files
from ..sources.walk import Skip
from ..sources.web import DueCheck, Harvest, harvest, settle, web_keys
from ..state.backends import open_store, peek_store, scratch_store
from ..state.base import Store
from ..state.merge import Changes, SlugsInUse, merge, mint_id, uuid5
from ..state.rows import is_stub
from ..state.store import state_error
from .bulk import collector_paused

if TYPE_CHECKING:
    from ..fetch.fetcher import Fetcher
    from ..unchanged import Stamping

log = logging.getLogger(__name__)
RENDER_VERSION = "3"  # 2: feed pages (index.html); 3: item pages carry their ids (state recovery)
_FEED_ID_NAMESPACE = "0b6f4a47-61e5-4bd4-9c38-4b44cb3a1f0e"


@record(frozen=False)
class FeedReport:
    name: str
    folder: Path
    new: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    items: int = 0
    files_written: int = 0
    rendered: bool = False
    changes: Changes | None = field(default=None, repr=False)   # what changed (item titles, for --dry-run)
    removed_titles: list[str] = field(default_factory=list)     # dry runs only: titles of the items leaving
    filtered: list[tuple[str, str]] = field(default_factory=list)  # (title, rule) of documents a filter dropped


@record(frozen=False)
class Report:
    feeds: list[FeedReport] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)    # problems: reported on stderr
    ignored: list[Skip] = field(default_factory=list)    # deliberately ignored: listed at -v
    warnings: list[str] = field(default_factory=list)
    source_errors: list[str] = field(default_factory=list)
    cancel: Callable[[], bool] = field(default=lambda: False, repr=False)
    dry_run: bool = False   # nothing is written: not state, not feeds, not pages (later stages must check it)
    progress: ProgressFactory = field(default=no_progress, repr=False)

    def check_cancel(self) -> None:
        if self.cancel():
            raise Cancelled()

    @property
    def changed(self) -> bool:
        return any(f.new or f.updated or f.moved or f.removed or f.files_written for f in self.feeds)

    def problems(self) -> list[str]:
        """One line per problem a person should see: skipped documents, warnings, failing sources."""
        return ([f"skipped {skip.origin}: {skip.reason}" for skip in self.skipped]
                + [f"warning: {message}" for message in self.warnings]
                + [f"error: {message}" for message in self.source_errors])

    def summary(self) -> str:
        written = sum(1 for f in self.feeds if f.files_written)
        parts = [f"{len(self.feeds)} feed{'s' if len(self.feeds) != 1 else ''} ({written} rewritten)",
                 f"{sum(f.items for f in self.feeds)} items",
                 f"{sum(f.new for f in self.feeds)} new", f"{sum(f.updated for f in self.feeds)} updated",
                 f"{sum(f.removed for f in self.feeds)} removed"]
        moved = sum(f.moved for f in self.feeds)
        if moved:
            parts.append(f"{moved} moved")
        if self.skipped:
            reasons: dict[str, int] = {}
            for skip in self.skipped:
                reasons[skip.reason.split(";")[0].split(" (")[0]] = reasons.get(skip.reason.split(";")[0].split(" (")[0], 0) + 1
            parts.append(f"{len(self.skipped)} skipped (" + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) + ")")
        if self.source_errors:
            parts.append(f"{len(self.source_errors)} source errors")
        return "seedfeed: " + ", ".join(parts)


def run_once(config: Config, now: datetime, *, lock_wait: float = 10.0, due: DueCheck | None = None,
             fetcher: Fetcher | None = None, write_guard: AbstractContextManager[Any] | None = None,
             cancel: Callable[[], bool] | None = None, dry_run: bool = False,
             progress: ProgressFactory | None = None, changed: Collection[str] | None = None,
             feeds_only: bool = False, harvested: dict[str, Harvest] | None = None,
             stamping: Stamping | None = None) -> Report:
    """Bring every feed's output up to date with its sources.

    ``due`` says which URL sources to fetch this run (``None``: all of them); seed folders are always looked
    at. ``fetcher`` lets a long-running caller keep one (and its robots.txt cache) across runs.
    ``write_guard`` is held while state and output are written (the daemon uses it to stop between writes).
    ``cancel`` is polled between documents; when it says so the run stops (:class:`Cancelled`) and rolls back what
    it had not committed (feeds already committed are finished, or re-rendered by the next run).
    ``dry_run``: do everything up to deciding what changed, on an in-memory copy of the state, and write
    nothing at all (URLs are still fetched, read-only); the report says what a real run would change.
    ``progress`` draws a bar for long loops (see :mod:`seedfeed.progress`). ``changed``: the seed paths file
    events named; only they are looked at, instead of walking every seed folder.
    ``feeds_only`` (hosted mode's refresh of one feed): write ``config.feeds`` and not the site pages (overview,
    OPML: their own job writes them); with the state in PostgreSQL the run locks only its feeds there, instead of
    the whole state and the run lock file, so runs of other feeds write at the same time.
    ``harvested`` (hosted mode's render job): what fetch jobs already fetched and extracted, per feed name; the
    run then fetches nothing and applies these instead (``due`` and ``fetcher`` are not used). ``stamping``
    (``seedfeed build``): leave the stamp of :mod:`seedfeed.unchanged` after a clean run."""
    report = Report(cancel=cancel or (lambda: False), dry_run=dry_run, progress=progress or no_progress)
    harvests = harvested if harvested is not None else _harvest_web(config, now, due, fetcher, report.progress)
    deferred = [url for h in harvests.values() for url in h.deferred]
    if deferred:   # one line for the run, not one per URL: nothing failed, the run was out of time
        shown = ", ".join(deferred[:3]) + (f" and {len(deferred) - 3} more" if len(deferred) > 3 else "")
        report.warnings.append(f"the fetch budget ({config.fetch_budget:g} s) ran out: {len(deferred)} "
                               f"URL{'s' if len(deferred) != 1 else ''} deferred to the next run ({shown}); "
                               "everything fetched is published")
    # A dry run takes no lock (the lock file would be written) and works on a snapshot of the state.
    per_feed = feeds_only and config.state_url is not None   # the state's feed locks replace the lock file
    lock = nullcontext() if dry_run or per_feed else run_lock(config.state, lock_wait)
    with lock, write_guard or nullcontext(), collector_paused(), stamping or nullcontext():
        try:
            with scratch_store(config) if dry_run else open_store(
                    config, [f.name for f in config.feeds] if feeds_only else None) as store:
                try:
                    for feed in config.feeds:
                        report.feeds.append(_build_feed(config, feed, store, now, report, harvests.get(feed.name),
                                                        changed))
                    if not dry_run:
                        rendered = [f.name for f, r in zip(config.feeds, report.feeds, strict=True) if r.rendered]
                        if not feeds_only:
                            write_site(config, store, now, rendered=bool(rendered))
                        # Marks are cleared only now, so a run killed while writing the site files (overview,
                        # OPML) leaves its feeds pending and the next run writes them all again.
                        for name in rendered:
                            store.rendered(name)
                except BaseException:
                    store.rollback()
                    raise
                if dry_run:
                    store.rollback()
                else:
                    store.commit()
                    if stamping is not None:
                        stamping.record(config, store, report, None if changed is None else list(changed))
        except sqlite3.OperationalError as exc:  # disk full, read-only, I/O error: not a bug, say what to do
            raise state_error(config.state, exc) from None
    return report


def clock() -> datetime:
    """The ``now`` of a run: the wall clock, or ``SOURCE_DATE_EPOCH`` (seconds since 1970) when it is set.

    Pinning the clock makes a build reproducible: the same seeds and state give byte-for-byte the same output
    (first-seen times, hence ids, and a first build's feed id all come from ``now``).
    """
    pinned = os.environ.get("SOURCE_DATE_EPOCH")  # the reproducible-builds.org convention
    return datetime.fromtimestamp(int(pinned), UTC) if pinned else datetime.now(UTC)


def make_fetcher(config: Config) -> Fetcher:
    from ..fetch.fetcher import Fetcher, FetchPolicy

    return Fetcher(FetchPolicy(user_agent=config.user_agent, allow_private=config.allow_private,
                               max_bytes=config.max_bytes))


def _harvest_web(config: Config, now: datetime, due: DueCheck | None, fetcher: Fetcher | None,
                 progress: ProgressFactory = no_progress) -> dict[str, Harvest]:
    """Fetch what is due, before taking the lock: network time never blocks other runs."""
    if not any(feed.web_sources for feed in config.feeds):
        return {}
    made: list[Fetcher] = []

    def get_fetcher() -> Fetcher:
        if fetcher is not None:
            return fetcher
        if not made:
            made.append(make_fetcher(config))
        return made[0]

    reader = peek_store(config)
    stop_at = time.monotonic() + config.fetch_budget   # one budget for the run, across all its feeds
    try:
        from ..sources.feed import harvest_feeds

        return {feed.name: harvest(config, feed, reader, get_fetcher, now, due, progress, stop_at).extend(
                    harvest_feeds(config, feed, reader, get_fetcher, now, due, progress, stop_at)) for feed in config.feeds}
    finally:
        if reader is not None:
            reader.close()
        for f in made:
            f.close()


def feed_folder(config: Config, feed: FeedConfig) -> Path:
    return config.output / feed.name if feed.name else config.output


# ------------------------------------------------------------------------------------------------ stages

def _slugs(store: Store, feed: str, observed: int) -> set[str] | SlugsInUse:
    """The slugs in use: all of them for a big batch, else asked one at a time (an index finds each)."""
    return store.slugs(feed) if observed > 100 else SlugsInUse(partial(store.slug_taken, feed))


def _apply(store: Store, feed: str, changes: Changes, now: datetime) -> None:
    store.put(feed, ((item, changes.first_seen[item.id], *changes.stats[item.id]) for item in changes.written))
    for item_id, size, mtime_ns in changes.touched:
        store.touch(feed, item_id, size=size, mtime_ns=mtime_ns)
    for entry in changes.removed:
        store.remove(feed, entry.id, now)
        store.set_files(feed, entry.id, ())
    for item in changes.written:
        # An item first seen this run has no linked files stored to replace: a first build skips 100,000 deletes.
        if item.doc.files or changes.first_seen[item.id] != now:
            store.set_files(feed, item.id, item.doc.files)


def _fingerprint(config: Config, feed: FeedConfig, ttl: int | None) -> str:
    data = [RENDER_VERSION, __version__, feed.name, feed.title, feed.description, feed.link, feed.language,
            feed.author, feed.hub, feed.max_items, config.feed_base_url(feed), ttl]
    if feed.archives:   # without archives the fingerprint (hence the output) is exactly what it was before them
        data += ["archives", feed.archive_size]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:32] + "-" + feed.filters.digest


def _ttl_minutes(config: Config, feed: FeedConfig, now: datetime) -> int | None:
    """How often the feed can change, for RSS <ttl> and the update hints: its most frequent URL source.

    Feeds made only of seed files have no schedule (they change when a file does), so they get no hint."""
    if not feed.web_sources:
        return None
    from ..schedules import shortest_period

    period = shortest_period(list(feed.web_sources), config, now)
    return max(1, period // 60) if period else None


def _archive_files_present(store: Store, feed: str, folder: Path) -> bool:
    from ..state.archives import archive_files_present

    return archive_files_present(store, feed, folder)


def _build_feed(config: Config, feed: FeedConfig, store: Store, now: datetime, report: Report,
                web_harvest: Harvest | None, changed: Collection[str] | None = None) -> FeedReport:
    folder = feed_folder(config, feed)
    result = FeedReport(feed.name or "(default)", folder)
    # New filter rules apply to every document: read them all again (web pages are judged when next fetched).
    old_fingerprint = store.feed_state(feed.name)[1]
    reread = bool(old_fingerprint) and old_fingerprint.partition("-")[2] != feed.filters.digest
    changed = None if reread else changed
    found = collect(feed, store, config.max_bytes, report, changed, reread=reread)
    known, observed = found.known, found.observed
    web_observed, web_present = settle(store, feed, web_harvest or Harvest())
    observed += web_observed
    if web_harvest:
        report.source_errors += web_harvest.errors
        report.warnings += web_harvest.warnings
        result.filtered += web_harvest.filtered
    dropped: set[str] = set()
    if feed.filters:
        kept = [o for o in observed if feed.filters.keeps(o.doc, now, result.filtered)]
        dropped = {o.doc.key for o in observed} - {o.doc.key for o in kept}
        observed = kept
    if changed is None:
        vanished = found.vanished | (found.web_known - web_present) | (dropped & known.keys())
    else:  # only the changed paths were looked at: everything else is still there
        vanished = found.vanished | ((web_keys(feed, store) - web_present) if feed.web_sources else set()) \
            | (dropped & known.keys())
    present = AllBut(vanished)   # for merge, which asks only about stored keys
    if observed or vanished:
        from ..state.recover import Recovery

        # Load only what merge needs: the entries of changed or vanished keys, tombstones, explicit ids.
        keys = {o.doc.key for o in observed} | vanished
        explicit = [mint_id(feed.name, "", now, o.doc.explicit_id) for o in observed if o.doc.explicit_id]
        new_keys = any(o.doc.key not in known for o in observed)
        recovery = Recovery(folder, ITEMS_DIR, ATOM_FILE, config.feed_base_url(feed), lambda i: store.has_id(feed.name, i))
        changes = merge(feed.name, store.entries(feed.name, keys, explicit), observed, present, now,
                        used_slugs=_slugs(store, feed.name, len(observed)) if new_keys else set(),
                        recover=recovery.find if new_keys else None)
        if adopted := sum(1 for item in changes.new if recovery.adopted_id(item.id)):
            report.warnings.append(f"{folder}: the state did not know {adopted} published item"
                                   f"{'s' if adopted != 1 else ''}; kept the ids and dates the published files gave them")
    else:
        changes = Changes()  # nothing new, changed or gone: the common case, decided without loading entries
    _apply(store, feed.name, changes, now)
    result.new, result.updated, result.moved, result.removed = (
        len(changes.new), len(changes.updated), len(changes.moved), len(changes.removed))
    result.changes = changes
    if report.dry_run and changes.removed:
        result.removed_titles = [i.doc.title for i in store.items_by_id(feed.name, [e.id for e in changes.removed])]

    feed_id, old_fingerprint, changed_at, pending = store.feed_state(feed.name)
    ttl = _ttl_minutes(config, feed, now)
    fingerprint = _fingerprint(config, feed, ttl)
    if feed_id is None:   # first build, or a lost state: the published feed's id, if there is one
        from ..state.recover import published_feed_id

        feed_id = (published_feed_id(folder / ATOM_FILE)
                   or f"urn:uuid:{uuid5(bytes.fromhex(_FEED_ID_NAMESPACE.replace('-', '')), f'{feed.name}/{now.isoformat()}')}")
    if changes.removed or changed_at is None:
        changed_at = now if (changes.removed or not store.count_live(feed.name)) else changed_at
    settings_changed = fingerprint != old_fingerprint
    # Stubs changed outside the window (no page, not shown, the count unchanged): the output stays as it is.
    shown = bool(changes.new or changes.moved or changes.removed or changes.filled
                 or not all(map(is_stub, changes.updated)))
    outputs_missing = not all((folder / name).is_file() for name in (RSS_FILE, ATOM_FILE, JSON_FILE, PAGE_FILE)) or (
        feed.archives and not _archive_files_present(store, feed.name, folder))
    result.items = store.count_live(feed.name)
    if report.dry_run:
        result.rendered = shown or settings_changed or outputs_missing or pending   # would render
        return result
    if not (shown or settings_changed or outputs_missing or pending):
        store.set_feed_state(feed.name, feed_id, fingerprint, changed_at, now, base_url=config.feed_base_url(feed))
        # a file a document links to may have changed
        result.files_written = publish_files(store.files(feed.name), feed.seeds, config.max_bytes, folder / FILES_DIR)
        return result
    # Imported here: a run with nothing to render (the common case under cron) never loads the renderers.
    from ..state.archives import plan_archives
    from .write import item_pages, write_feed

    if pending:
        log.info("%s: the previous run stopped while writing; rendering the feed again in full", folder)
    full = settings_changed or outputs_missing or pending
    archive = plan_archives(store, feed.name, feed.max_items, feed.archive_size, [i.id for i in changes.written]
                            + [e.id for e in changes.removed], full=full) if feed.archives else None
    if archive:   # with archives nothing is only probed (collect), so every item is whole
        items = archive.current
    else:
        from ..sources.window import newest_in_full

        items, failed = newest_in_full(store, feed.name, feed.max_items, partial(job_for, feed, max_bytes=config.max_bytes))
        for read in failed:   # stubs that entered the window and could not be extracted after all
            take(read, [], report)
        if failed:
            result.items = store.count_live(feed.name)
    # The newest real change to what the feed shows: an item's update, or an item leaving it.
    updated = max([i.updated for i in items] + [changed_at or datetime(1970, 1, 1, tzinfo=UTC)])
    meta = FeedMeta(
        id=feed_id, title=feed.title, description=feed.description,
        site_url=feed.link or config.feed_base_url(feed), base_url=config.feed_base_url(feed),
        updated=updated, language=feed.language, author=feed.author, hub=feed.hub, ttl_minutes=ttl,
        doc_links=functools.cache(lambda: store.doc_links(feed.name)))
    pages = item_pages(store, feed, items + (archive.archived if archive else []), changes, full=full)
    # Commit before writing: a run that dies from here on has published nothing the state does not keep
    # (a re-minted id would re-broadcast items readers already have), and the mark makes the next run finish.
    store.set_feed_state(feed.name, feed_id, fingerprint, changed_at, now, render_pending=True,
                         base_url=config.feed_base_url(feed))
    store.commit()
    result.files_written = write_feed(store, feed, folder, meta, items, pages, changes, report.check_cancel, archive,
                                      recover=pending)
    result.files_written += publish_files(store.files(feed.name), feed.seeds, config.max_bytes, folder / FILES_DIR)
    result.rendered = True   # the render-pending mark is cleared by run_once, after the site files
    return result
