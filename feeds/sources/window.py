"""The feed window: which seed documents must be extracted in full now, and which may wait as stubs.

A feed shows its newest ``max_items`` documents. A document that cannot rank among them needs only what
decides its place (its date, see :mod:`seedfeed.extraction.probe`) and a hash of its bytes; it is stored as a
*stub* with the id, slug and ``published`` it gets at first sight, and extracted in full when it enters the
window (:func:`fill`), keeping them. So a first build of 100,000 files renders Markdown for 50 of them.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterable
from datetime import datetime

from ..models import Item
from ..state.base import Store
from ..state.merge import Observed, content_hash
from ..state.rows import Entry, is_stub
from .seeds import Job, Read, read_seed
from .walk import KINDS, SeedFile


def may_stub(store: Store, feed: str, jobs: int, max_items: int, vanished: bool) -> bool:
    """Whether probing can pay off and stays exact this run.

    With a tombstone or a vanished key about, a new document may be a deleted or renamed one coming back,
    which merge recognises by the hash of its extracted content: read everything in full then."""
    return jobs > max_items and not vanished and not store.has_tombstones(feed)


def effective_published(obs: Observed, old: Entry | None) -> datetime:
    """The ``published`` merge will give ``obs``: its own date, else the stored one, else its file time."""
    return obs.doc.published or (old.published if old is not None else obs.seen_at)


def to_extract(observed: list[Observed], old: dict[str, Entry], store: Store, feed: str, max_items: int) -> set[str]:
    """Keys of the stubs that may rank among the newest ``max_items`` once this run's changes are in.

    Ties count as in: ids (the second sort key) are not known yet, so any stub as new as the last item of the
    window is read in full."""
    stubs = [o for o in observed if o.stub]
    if not stubs:
        return set()
    seen = {o.doc.key for o in observed}
    ranks = [datetime.fromisoformat(published) for key, published in store.window(feed, max_items + len(seen))
             if key not in seen]
    ranks += [effective_published(o, old.get(o.doc.key)) for o in observed]
    if len(ranks) <= max_items:
        return {o.doc.key for o in stubs}
    cutoff = heapq.nlargest(max_items, ranks)[-1]   # (not a sort of 100,000 dates for the 50th newest)
    return {o.doc.key for o in stubs if effective_published(o, old.get(o.doc.key)) >= cutoff}


def full_job(key: str, path: str, max_bytes: int, root: str = "", prefix: str = "") -> Job | None:
    """A job reading ``path`` in full (``None`` if it is gone: the next run's walk says so)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    lower = path.lower()
    return Job(SeedFile(key, path, KINDS[lower[lower.rfind("."):]], st.st_size, st.st_mtime_ns), key, max_bytes,
               root=root, prefix=prefix)


def fill(store: Store, feed: str, items: Iterable[Item], job_for: Callable[[str], Job | None]
         ) -> tuple[list[Item], list[Read]]:
    """Extract the stubs among ``items`` (the window) and store them; returns (filled items, failed reads).

    A stub whose document fails to extract is forgotten, as a full read at first sight would never have stored
    it; the caller asks for the window again, where the next document takes its place."""
    filled: list[Item] = []
    failed: list[Read] = []
    for item in items:
        if not is_stub(item):
            continue
        job = job_for(item.doc.key)
        read = read_seed(job) if job else None
        if read is None or read.observed is None:
            store.forget(feed, item.id)
            if read is not None:
                failed.append(read)
            continue
        full = Item(item.id, item.slug, read.observed.doc, item.published, item.updated,
                    content_hash(read.observed.doc))
        store.fill(feed, full)
        filled.append(full)
        if read.warnings:
            failed.append(Read(warnings=read.warnings))
    return filled, failed


def newest_in_full(store: Store, feed: str, max_items: int, job_for: Callable[[str], Job | None]
                   ) -> tuple[list[Item], list[Read]]:
    """The newest ``max_items``, every one extracted in full (stubs that entered the window are read now)."""
    failures: list[Read] = []
    while True:
        items = store.newest(feed, max_items)
        filled, failed = fill(store, feed, items, job_for)
        failures += failed
        if len(filled) == sum(1 for i in items if is_stub(i)):
            return (store.newest(feed, max_items) if filled else items), failures
