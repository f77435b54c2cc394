"""What RFC 5005 archives (on by default) cost a build, against the same build with ``archives = false``,
measured in the same run on the same generated seeds (bench/build.py's corpus).

For each N it times, as whole ``python -m seedfeed build -q`` processes: a cold build, a no-change rebuild and a
one-change rebuild (an archived document edited), with archives on and off, and counts the files written.
With archives on, a cold build also writes every archive page (3 formats) and an item page for every archived
item (the archives link to them); without, only the newest ``max_items`` get pages.

Usage: python bench/archives.py [--sizes 1000,10000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import generate, timed  # noqa: E402 - bench/build.py, beside this file


def measure(n: int, repeat: int, archives: bool) -> tuple[dict[str, float], int]:
    build = [sys.executable, "-m", "seedfeed", "build", "-q"]
    runs: dict[str, list[float]] = {"cold": [], "no-change": [], "one-change": []}
    with tempfile.TemporaryDirectory(prefix="seedfeed-bench-archives-") as tmp:
        site = Path(tmp)
        generate(site / "seeds", n)
        (site / "seedfeed.toml").write_text(f"archives = {'true' if archives else 'false'}\n")
        target = sorted((site / "seeds").rglob("*.txt"))[n // 4]   # an old document: archived when archives are on
        files = 0
        for r in range(repeat):
            shutil.rmtree(site / "output", ignore_errors=True)
            shutil.rmtree(site / ".seedfeed", ignore_errors=True)
            runs["cold"].append(timed(build, site))
            files = sum(1 for p in (site / "output").rglob("*") if p.is_file())
            runs["no-change"].append(timed(build, site))
            with target.open("a") as handle:
                handle.write(f"\n\nEdited paragraph {r}.")
            runs["one-change"].append(timed(build, site))
    return {k: statistics.median(v) for k, v in runs.items()}, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"{'docs':>6} | {'archives':>8} | {'cold s':>7} | {'no-change s':>11} | {'one-change s':>12} | {'files':>6}")
    print("-" * 66)
    for n in (int(s) for s in args.sizes.split(",")):
        off, off_files = measure(n, args.repeat, False)
        on, on_files = measure(n, args.repeat, True)
        for label, m, files in (("off", off, off_files), ("on", on, on_files)):
            print(f"{n:>6} | {label:>8} | {m['cold']:>7.2f} | {m['no-change']:>11.3f} | {m['one-change']:>12.3f} | {files:>6}")
        print(f"{'':>6} | {'on/off':>8} | {on['cold'] / off['cold']:>6.2f}x | {on['no-change'] / off['no-change']:>10.2f}x | "
              f"{on['one-change'] / off['one-change']:>11.2f}x |", flush=True)
    print(f"\nmedians of {args.repeat} run(s); each build is a fresh process, as from cron")


if __name__ == "__main__":
    main()
