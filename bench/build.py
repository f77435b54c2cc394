"""Benchmark the one-shot pipeline against a minimal feedgen baseline, measured in the same run.

For each N (default 1,000 and 10,000 deterministic seed documents) it measures, as whole commands the way
cron runs them (a fresh `python -m seedfeed build` process each time):
  cold       first build: empty state, empty output
  no-change  rebuild with nothing changed
  one-change rebuild after one document was edited
  baseline   bench/baseline_feedgen.py: read the same files, write RSS + Atom with feedgen, no state, the same
             newest-50 feed we publish (the strict comparison: same output)
  baseline-all  the same script putting every document into the feed (what a minimal script would do)
and prints medians and ratios. Also `seedfeed --help` start-up time.

Usage: python bench/build.py [--sizes 1000,10000] [--repeat 3]
Targets (issue #2, at 10,000): no-change <= 10% of cold; one-change <= 15% of cold; cold <= 2x baseline;
`seedfeed --help` < 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("harbour bridge council budget library river school market station energy water report city "  # noqa: SIM905
         "residents plan vote week morning project design transport cost growth season data study").split()


def generate(seeds: Path, n: int) -> None:
    """N documents, ~2.5 KB each, txt and md mixed, in 100-file subfolders, deterministic."""
    rng = random.Random(n)
    for i in range(n):
        folder = seeds / f"batch-{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize() + f" {i}"
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
                      for _ in range(5)]
        if i % 2:
            path = folder / f"doc-{i:05d}.md"
            path.write_text(f"---\ntitle: {title}\ntags: [{rng.choice(WORDS)}]\n---\n\n" + "\n\n".join(paragraphs))
        else:
            path = folder / f"doc-{i:05d}.txt"
            path.write_text(title + "\n\n" + "\n\n".join(paragraphs))
        stamp = 1_700_000_000 + i * 60
        os.utime(path, (stamp, stamp))


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_size(n: int, repeat: int) -> dict[str, float]:
    build = [sys.executable, "-m", "seedfeed", "build", "-q"]
    results: dict[str, list[float]] = {"cold": [], "no-change": [], "one-change": [], "baseline": [],
                                       "baseline-all": []}
    with tempfile.TemporaryDirectory(prefix="seedfeed-bench-") as tmp:
        site = Path(tmp)
        generate(site / "seeds", n)
        edit_target = sorted((site / "seeds").rglob("*.txt"))[n // 4]
        for r in range(repeat):
            shutil.rmtree(site / "output", ignore_errors=True)
            shutil.rmtree(site / ".seedfeed", ignore_errors=True)
            results["cold"].append(timed(build, site))
            results["no-change"].append(timed(build, site))
            with edit_target.open("a") as handle:
                handle.write(f"\n\nEdited paragraph {r}.")
            results["one-change"].append(timed(build, site))
            shutil.rmtree(site / "baseline-out", ignore_errors=True)
            script = [sys.executable, str(ROOT / "bench" / "baseline_feedgen.py"), str(site / "seeds"),
                      str(site / "baseline-out")]
            results["baseline"].append(timed(script, site))
            results["baseline-all"].append(timed([*script, str(n)], site))
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    help_times = [timed([sys.executable, "-m", "seedfeed", "--help"], ROOT) for _ in range(7)]
    bare = [timed([sys.executable, "-c", "pass"], ROOT) for _ in range(7)]
    print(f"seedfeed --help: median {statistics.median(help_times):.3f} s "
          f"(bare python start-up {statistics.median(bare):.3f} s)   target < 0.3 s")
    print()
    print(f"{'docs':>6} | {'cold s':>8} | {'no-change s':>11} | {'one-change s':>12} | {'baseline s':>10} | "
          f"{'base-all s':>10} | {'no-change/cold':>14} | {'one-change/cold':>15} | {'cold/baseline':>13} | "
          f"{'cold/base-all':>13}")
    print("-" * 158)
    for n in (int(s) for s in args.sizes.split(",")):
        m = bench_size(n, args.repeat)
        print(f"{n:>6} | {m['cold']:>8.2f} | {m['no-change']:>11.3f} | {m['one-change']:>12.3f} | "
              f"{m['baseline']:>10.2f} | {m['baseline-all']:>10.2f} | {m['no-change'] / m['cold']:>13.1%} | "
              f"{m['one-change'] / m['cold']:>14.1%} | {m['cold'] / m['baseline']:>12.2f}x | "
              f"{m['cold'] / m['baseline-all']:>12.2f}x", flush=True)
    print("\ntargets at 10,000: no-change <= 10% of cold, one-change <= 15%, cold <= 2x baseline "
          f"(medians of {args.repeat} runs; each run is a fresh process, as from cron)")


if __name__ == "__main__":
    main()
