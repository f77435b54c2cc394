"""Read many seed files in a process pool, where there are cores to spare.

A first build reads every file once; with stubs (see :mod:`.window`) that is a read, a hash and a date
probe per file, so the work per document is small and moving results between processes costs a good part
of it. On two cores the pool measured no better than reading in-process (``bench/build.py --workers 1,2``),
so it is used only with more than two cores, or when ``SEEDFEED_WORKERS`` asks for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from types import MappingProxyType

from ..records import replace
from .seeds import Job, Read, read_all, read_seed

POOL_MIN_JOBS = 2000   # below this, starting the workers costs more than it saves
CHUNK = 256


def workers() -> int:
    """How many processes read: ``SEEDFEED_WORKERS``, else the usable cores when there are more than two."""
    asked = os.environ.get("SEEDFEED_WORKERS", "").strip()
    if asked.isdigit():
        return max(1, int(asked))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 8) if cores > 2 else 1


def read_many(jobs: Sequence[Job], cancel: Callable[[], bool]) -> Iterator[Read]:
    """Like :func:`.seeds.read_all`, in a pool of forked workers when that can pay off.

    Only a single-threaded process forks (``seedfeed build``): forking the daemon, whose other threads may
    hold locks, could deadlock the children."""
    count = workers()
    if count <= 1 or len(jobs) < POOL_MIN_JOBS or threading.active_count() > 1:
        yield from read_all(jobs, cancel)
        return
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from read_all(jobs, cancel)
        return
    with multiprocessing.get_context("fork").Pool(count) as pool:
        for read in pool.imap(_read_portable, jobs, chunksize=CHUNK):
            if cancel():
                pool.terminate()
                return
            if read.observed is not None:   # back to the read-only mapping the records carry
                doc = read.observed.doc
                read.observed = replace(read.observed, doc=replace(doc, provenance=MappingProxyType(doc.provenance)))
            yield read


def _read_portable(job: Job) -> Read:
    """:func:`read_seed` with a result that pickles (a ``MappingProxyType`` does not)."""
    read = read_seed(job)
    if read.observed is not None:
        doc = read.observed.doc
        read.observed = replace(read.observed, doc=replace(doc, provenance=dict(doc.provenance)))
    return read
