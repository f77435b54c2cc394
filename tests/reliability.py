"""Outcomes of the hardening tests, collected for ``docs/reliability.md``.

The tests assert their zeros as usual; when ``SEEDFEED_RELIABILITY_LOG`` names a file (``bench/reliability.py``
sets it), each case also appends one JSON line there, so the report is generated from real runs, never by hand.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource

RECORD_ENV = "SEEDFEED_RELIABILITY_LOG"


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its finished children), in MB."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024


def record(category: str, case: str, *, crashed: int = 0, items_lost: int = 0, invalid_outputs: int = 0,
           executable_survived: int = 0, seconds: float | None = None, peak_rss_mb: float | None = None,
           note: str = "") -> None:
    """Append one case's outcome to the log named by ``SEEDFEED_RELIABILITY_LOG`` (no-op when unset).

    ``category`` groups rows in the report (e.g. "crash safety", "hostile markup", "pathological files").
    """
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    line = json.dumps({"category": category, "case": case, "crashed": crashed, "items_lost": items_lost,
                       "invalid_outputs": invalid_outputs, "executable_survived": executable_survived,
                       "seconds": seconds, "peak_rss_mb": peak_rss_mb, "note": note}) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
