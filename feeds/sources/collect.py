"""Collect a feed's seed documents for one run: by walking its folders, or from the paths file events named.

A full walk stats every file and reads those whose size or mtime differ from the state. The daemon knows
which paths changed (file events), so it can skip the walk: only those paths are looked at, and every other
stored document is taken as present and unchanged (a periodic full walk catches what events missed).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..config import FeedConfig
from ..progress import LONG_DOCUMENTS, ProgressFactory
from ..records import field, record
from ..state.base import Store
from ..state.merge import Observed
from ..state.rows import Entry
from .walk import KINDS, SeedFile, Skip, Unchanged, _undecodable, ignore_reason, scan

if TYPE_CHECKING:
    from .seeds import Job, Read


class Sink(Protocol):
    """Where problems go (the pipeline's report)."""

    skipped: list[Skip]
    ignored: list[Skip]
    warnings: list[str]
    progress: ProgressFactory
    cancel: Callable[[], bool]

    def check_cancel(self) -> None: ...


@record(frozen=False)
class Collected:
    observed: list[Observed] = field(default_factory=list)   # read this run (new or changed files)
    vanished: set[str] = field(default_factory=set)          # stored keys whose file is gone
    present: set[str] = field(default_factory=set)           # a full walk: document keys found and yielded
    web_known: set[str] = field(default_factory=set)         # a full walk: stored keys of web pages
    known: Mapping[str, tuple[int, int]] = field(default_factory=dict)   # stored key -> (size, mtime_ns)


class AllBut:
    """The keys present when only some paths were looked at: every key but the vanished ones."""

    def __init__(self, vanished: set[str]) -> None:
        self.vanished = vanished

    def __contains__(self, key: object) -> bool:
        return key not in self.vanished


def take(read: Read, observed: list[Observed], sink: Sink) -> None:
    if read.skip is not None:
        sink.skipped.append(read.skip)
    if read.observed is not None:
        observed.append(read.observed)
    sink.warnings.extend(read.warnings)


def collect(feed: FeedConfig, store: Store, max_bytes: int, sink: Sink,
            changed: Collection[str] | None = None, *, reread: bool = False) -> Collected:
    """Find what changed in the feed's seed folders (``changed``: only these paths) and read it.

    A document that cannot rank among the newest ``max_items`` is only probed (see :mod:`.window`). ``reread``
    (the feed's filter rules changed): every document is read again in full."""
    result = Collected()
    found: list[tuple[str, SeedFile]] = []
    if changed is None:
        unchanged = None if reread else Unchanged(store.folder_stats(feed.name))
        result.known = known = store.stats(feed.name) if unchanged is None else unchanged
        multi, present = len(feed.seeds) > 1, result.present
        for folder in feed.seeds:
            prefix = f"{folder.name}/" if multi else ""
            sink.check_cancel()
            for count, item in enumerate(scan(folder, unchanged, prefix)):
                if not count & 1023:
                    sink.check_cancel()
                if isinstance(item, Skip):
                    (sink.ignored if item.ignored else sink.skipped).append(item)
                    continue
                key = prefix + item.key
                present.add(key)   # (unchanged documents are not yielded: ``present`` holds the others)
                if reread or known.get(key) != (item.size, item.mtime_ns):
                    found.append((key, item))
        if unchanged is None:
            result.web_known = {k for k in known if "://" in k}
            result.vanished = known.keys() - present - result.web_known
        else:
            result.web_known, result.vanished = unchanged.web, unchanged.gone(present)
    else:
        looked = dict(_look(feed, changed))
        result.known = store.stats(feed.name, looked)
        for key, item in looked.items():
            if item is None or isinstance(item, Skip):
                if key in result.known:   # as a walk would: what is no longer a readable document leaves
                    result.vanished.add(key)
                if item is not None:
                    (sink.ignored if item.ignored else sink.skipped).append(item)
            else:
                found.append((key, item))
    if not found:
        return result   # nothing to read: a no-change run never imports the readers and extractors below
    from . import window
    from .pool import read_many
    from .seeds import Job, read_seed

    known = {} if reread else result.known
    found = [(key, f) for key, f in found if known.get(key) != (f.size, f.mtime_ns)]
    # A changed stub stays one while it is outside the window (its key matches it: no rename to recognise);
    # new documents are probed only when it pays and stays exact (see window.may_stub).
    changed = [key for key, _ in found if key in result.known]
    old: dict[str, Entry] = {e.key: e for e in store.entries(feed.name, changed)} if changed else {}
    # Archives and filters need every document's text, so with either on nothing is only probed.
    lazy = not feed.archives and not feed.filters and not reread
    new_stubs = lazy and window.may_stub(store, feed.name, len(found), feed.max_items, bool(result.vanished))
    single = (str(feed.seeds[0]), "") if len(feed.seeds) == 1 else None   # (seed folder, key prefix) of every key
    jobs = [Job(f, key, max_bytes, (lazy and old[key].content_hash.startswith("raw:")) if key in old
                else new_stubs, *(single or (where(feed, key) or ("", "", ""))[1:])) for key, f in found]
    del found
    tracker = sink.progress("reading documents", len(jobs), LONG_DOCUMENTS)
    try:
        for read in read_many(jobs, sink.cancel):
            tracker.advance()
            take(read, result.observed, sink)
    finally:
        tracker.close()
    sink.check_cancel()
    wanted = window.to_extract(result.observed, old, store, feed.name, feed.max_items)
    if wanted:  # the stubs that may rank in the window after all: read them in full
        kept = [o for o in result.observed if o.doc.key not in wanted]
        for key in sorted(wanted):
            job = job_for(feed, key, max_bytes)
            if job is not None:
                take(read_seed(job), kept, sink)
        result.observed = kept
    return result


def where(feed: FeedConfig, key: str) -> tuple[str, str, str] | None:
    """(file, seed folder, key prefix) a seed document's key names (keys of a feed with several folders start
    with the folder's name); the folder and prefix are what links beside the document are resolved against."""
    if len(feed.seeds) == 1:
        return os.path.join(feed.seeds[0], *key.split("/")), str(feed.seeds[0]), ""
    first, _, rest = key.partition("/")
    folder = next((f for f in feed.seeds if f.name == first), None)
    return (os.path.join(folder, *rest.split("/")), str(folder), f"{first}/") if folder is not None and rest else None


def job_for(feed: FeedConfig, key: str, max_bytes: int) -> Job | None:
    """A job reading the document ``key`` in full, or ``None`` when its file is gone."""
    from .window import full_job

    found = where(feed, key)
    return full_job(key, found[0], max_bytes, found[1], found[2]) if found else None


def _look(feed: FeedConfig, paths: Collection[str]) -> Iterator[tuple[str, SeedFile | Skip | None]]:
    """(key, what is there now) for each changed path under the feed's folders; ``None``: gone, or no document."""
    multi = len(feed.seeds) > 1
    for folder in feed.seeds:
        root = os.path.abspath(folder)
        for path in paths:
            rel = os.path.relpath(os.path.abspath(path), root)
            if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
                continue
            parts = rel.split(os.sep)
            if any(p.startswith(".") for p in parts[:-1]):
                continue   # inside a hidden folder: the walk never goes there
            key = ("/".join([folder.name, *parts]) if multi else "/".join(parts))
            yield key, _stat(path, key, parts[-1])


def _stat(path: str, key: str, name: str) -> SeedFile | Skip | None:
    if _undecodable(path):
        return Skip(path, "name is not valid UTF-8; rename it")
    reason = ignore_reason(name)
    if reason:
        return Skip(path, reason, ignored=True)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None if not os.path.islink(path) else Skip(path, "broken symlink; fix or remove it")
    except OSError as exc:
        return Skip(path, f"cannot read ({exc.strerror})")
    if not stat.S_ISREG(st.st_mode):
        return None if stat.S_ISDIR(st.st_mode) else Skip(path, "not a regular file")
    lower = name.lower()
    return SeedFile(key, str(Path(path)), KINDS[lower[lower.rfind("."):]], st.st_size, st.st_mtime_ns)
