"""The cyclic garbage collector paused while a run works.

A first build of 100,000 documents allocates several records per document and keeps most of them until the
state is written. Each allocation counts towards the collector's next pass, and each pass walks the young
objects; the later, full passes walk every record made so far. None of it finds anything: the pipeline's
records hold no reference cycles (a whole 10,000-document cold build leaves about 500 cyclic objects, from
imports and rendering). Pausing the collector for the run saved 1.0-1.2 s of CPU out of 5.8-6.0 s on a
100,000-document cold build (bench/build.py corpus); reference counting still frees everything else at once,
so memory is unchanged. The collector runs again when the run ends, and finds what cycles there were.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector inside; leave it as it was found (a caller that paused it keeps it paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
