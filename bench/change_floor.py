"""The least a changing run can cost, beside what issue #12's target 4 allows (one change <= 1.2x no-change).

A no-change `seedfeed build` decides before the pipeline is imported (seedfeed.unchanged): it imports the stamp's
code, fcntl and sqlite3, walks the folders and exits. A run that changes something is a fresh process too (cron
starts each one), so it pays at least the imports its change needs on top of that. For each size this prints
the budget the target leaves, 0.2 x the no-change run's CPU, beside the CPU of importing, in a fresh process and
over the modules a no-change run imports:
  render floor   feedgen.feed (with lxml and dateutil, which it imports): what any run that renders a feed
                 needs, whatever else it does
  state floor    tomllib, hashlib, datetime: the config reader, the content hash and the dates any change of
                 the state needs (without a line of seedfeed's pipeline)
  pipeline       seedfeed.pipeline.run: what a one-change run imports today before it reads a document
and the one-change runs themselves, measured as bench/build.py measures them (CPU = user + system, medians).

Usage: python bench/change_floor.py [--sizes 10000,100000] [--repeat 11]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_build", HERE / "build.py")
assert _spec and _spec.loader
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

NO_CHANGE_IMPORTS = "import seedfeed.unchanged, fcntl, sqlite3"   # what `python -X importtime` lists for one
FLOORS = {
    "render floor (feedgen.feed)": "import feedgen.feed",
    "state floor (tomllib, hashlib, datetime)": "import tomllib, hashlib, datetime",
    "pipeline (seedfeed.pipeline.run)": "import seedfeed.pipeline.run",
}


def cpu_of(cmd: list[str], cwd: Path) -> float:
    """CPU seconds (user + system) of one command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env=build.ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_costs(repeat: int) -> dict[str, float]:
    """Each floor's import CPU over the no-change run's imports, medians of ``repeat`` alternating runs."""
    codes = {"base": NO_CHANGE_IMPORTS} | {name: f"{NO_CHANGE_IMPORTS}; {code}" for name, code in FLOORS.items()}
    runs: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(repeat):
        for name, code in codes.items():
            runs[name].append(cpu_of([sys.executable, "-c", code], HERE))
    base = statistics.median(runs["base"])
    return {name: statistics.median(v) - base for name, v in runs.items() if name != "base"}


def change_runs(n: int, repeat: int) -> dict[str, float]:
    """Medians of no-change, one old and one new runs on a bench/build.py corpus of ``n`` documents."""
    results: dict[str, list[float]] = {"no-change": [], "one old": [], "one new": []}
    with tempfile.TemporaryDirectory(prefix="seedfeed-floor-") as tmp:
        site = Path(tmp)
        build.write_config(site / "seedfeed.toml", build.ARCHIVES[0])
        build.generate(site / "seeds", n)
        texts = sorted((site / "seeds").rglob("*.txt"))
        edits = {"one old": texts[len(texts) // 2], "one new": texts[-1]}
        shutil.rmtree(site / ".seedfeed", ignore_errors=True)
        for _ in range(2):   # the cold build, then a first no-change run that leaves the stamp warm
            cpu_of(build.BUILD, site)
        for r in range(repeat):
            results["no-change"].append(cpu_of(build.BUILD, site))
            for label, path in edits.items():
                with path.open("a") as handle:
                    handle.write(f"\n\nEdited paragraph {r}.")
                results[label].append(cpu_of(build.BUILD, site))
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(build.ROOT / "feeds")], check=True, env=build.ENV,
                   stdout=subprocess.DEVNULL)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    costs = import_costs(args.repeat * 2)
    print("import CPU in a fresh process, over what a no-change run imports (ms):")
    for name, seconds in costs.items():
        print(f"  {name:42s} {seconds * 1000:6.1f}")
    for n in (int(s) for s in args.sizes.split(",")):
        m = change_runs(n, args.repeat)
        budget = 0.2 * m["no-change"]
        print(f"\n{n:,} documents: no-change {m['no-change'] * 1000:.1f} ms CPU; target 4 allows a change "
              f"{budget * 1000:.1f} ms more")
        for label in ("one old", "one new"):
            extra = m[label] - m["no-change"]
            print(f"  {label}: {m[label] * 1000:.1f} ms ({m[label] / m['no-change']:.2f}x no-change; "
                  f"{extra * 1000:.1f} ms more)")
        for name, seconds in costs.items():
            print(f"  {name:42s} {seconds / budget:5.2f}x the budget")


if __name__ == "__main__":
    main()
