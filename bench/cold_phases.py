"""Where a cold build's CPU goes, phase by phase, without a profiler's distortion (issue #12's closing profile).

Runs the cold path's stages in-process on a bench/build.py corpus, with the cyclic collector paused as the
pipeline pauses it, and prints the process time of each: the walk, reading and probing every file (all are
outside the window), merging (ids, slugs), and storing the rows in a fresh SQLite state. Imports, the window's
50 full extractions and rendering are left out (a full build's total is in bench/build.py).

Usage: python bench/cold_phases.py [--docs 100000] [--seeds DIR]   (DIR: an existing corpus, else generated)
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.sources.seeds import Job, read_seed
from seedfeed.sources.walk import Unchanged, scan
from seedfeed.state.merge import merge
from seedfeed.state.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import generate  # noqa: E402  (the same corpus as bench/build.py)


def phases(seeds: Path) -> dict[str, float]:
    clock = time.process_time
    gc.disable()
    times: dict[str, float] = {}
    start = clock()
    found = [f for f in scan(seeds, Unchanged({})) if not hasattr(f, "reason")]
    times["walk (scandir + stat)"] = clock() - start
    jobs = [Job(f, f.key, 10**7, True, str(seeds), "") for f in found]
    start = clock()
    reads = [read_seed(job) for job in jobs]
    times["read + probe (read_seed)"] = clock() - start
    observed = [r.observed for r in reads if r.observed is not None]
    start = clock()
    changes = merge("", [], observed, set(), datetime.now(UTC), used_slugs=set())
    times["merge (ids, slugs, items)"] = clock() - start
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "state.sqlite")
        start = clock()
        store.put("", ((i, changes.first_seen[i.id], *changes.stats[i.id]) for i in changes.written))
        store.commit()
        times["store rows + commit (SQLite)"] = clock() - start
        store.close()
    gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seeds", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedfeed-phases-") as tmp:
        seeds = args.seeds or Path(tmp) / "seeds"
        if args.seeds is None:
            generate(seeds, args.docs)
        times = phases(seeds)
    total = sum(times.values())
    for name, seconds in times.items():
        print(f"{name:32s} {seconds:6.2f} s CPU  {100 * seconds / total:5.1f}%")
    print(f"{'sum of the phases':32s} {total:6.2f} s CPU")


if __name__ == "__main__":
    main()
