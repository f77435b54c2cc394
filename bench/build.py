"""Benchmark the one-shot pipeline against a minimal feedgen baseline and a bare walk, measured in the same run.

For each N (default 10,000 and 100,000 deterministic seed documents) it measures, as whole commands the way
cron runs them (a fresh `python -m seedfeed build` process each time):
  cold       first build: empty state, empty output (and its peak RSS)
  no-change  rebuild with nothing changed
  one old    rebuild after an old document (outside the feed window) was edited: the state changes, no output
  one new    rebuild after the newest .txt document (in the window) was edited: the feeds are rendered again
  baseline   bench/baseline_feedgen.py: read the same files, write RSS + Atom with feedgen, no state, the same
             newest-50 feed we publish (the strict comparison: same output)
  bare walk  a fresh Python process doing os.scandir + stat over the same folders (the floor of a no-change run)
and prints medians and the ratios issue #12 sets targets for. `--feeds` adds 10 feeds x 10,000 documents:
their no-change rebuild against the sum of their bare walks, and a change in one feed (only it is rendered).
`--workers 1,2` repeats the cold build with SEEDFEED_WORKERS set (documents read by a process pool).
Also `seedfeed --help` start-up time.

Usage: python bench/build.py [--sizes 10000,100000] [--repeat 3] [--feeds] [--workers 1,2] [--all]
Targets (issue #12, at both sizes): cold <= 1.5x baseline; cold(100k)/cold(10k) <= 10.5 and the same for
no-change; no-change <= 2x bare walk; one-change <= 1.2x no-change; peak RSS of the 100k cold build <= 300 MB;
10 feeds: no-change <= 2x the sum of the bare walks, and one changed feed renders only that feed.
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
BARE_WALK = """
import os, sys
def walk(folder):
    n = 0
    for entry in os.scandir(folder):
        if entry.is_dir():
            n += walk(entry.path)
        else:
            entry.stat()
            n += 1
    return n
print(sum(walk(folder) for folder in sys.argv[1:]))
"""


def generate(seeds: Path, n: int, seed: int | None = None) -> None:
    """N documents, ~2.5 KB each, txt and md mixed, in 100-file subfolders, deterministic."""
    rng = random.Random(n if seed is None else seed)
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


# Bytecode is written and used, as after `pip install` (a PYTHONDONTWRITEBYTECODE in the environment would
# make every seedfeed run compile its modules again, while feedgen's come precompiled from site-packages).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}
CPU: dict[str, list[float]] = {}   # label -> CPU seconds (user + system) of each run, a figure load disturbs less


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, label: str = "") -> tuple[float, int, str]:
    """(seconds, peak RSS in KB, stdout) of one command in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**ENV, **(env or {})},  # the summary line goes to stderr
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    if label:
        CPU.setdefault(label, []).append(usage.ru_utime + usage.ru_stime)
    return elapsed, usage.ru_maxrss, out


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, label: str = "") -> float:
    return run(cmd, cwd, env, label)[0]


def cpu(label: str) -> float:
    return statistics.median(CPU[label])


BUILD = [sys.executable, "-m", "seedfeed", "build", "-q"]
# The plain script publishes the newest 50 only; so does seedfeed with archives off (the like-for-like
# comparison). With --archives the default is measured: every older item goes into an RFC 5005 archive page
# with its item page, so every document is read in full.
ARCHIVES = ["archives = false\n"]


def write_config(path: Path, text: str) -> None:
    """The config, dated a minute back: a config edited within 2 s of a build is never stamped (its next edit
    could share the mtime), so the first no-change run after a quick cold build would otherwise be a full run."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))


def bench_size(n: int, repeat: int, workers: list[str], include_all: bool) -> dict[str, float]:
    results: dict[str, list[float]] = {"cold": [], "rss": [], "no-change": [], "one-change": [], "one-in-window": [],
                                       "baseline": [], "walk": [], "baseline-all": []}
    with tempfile.TemporaryDirectory(prefix="seedfeed-bench-") as tmp:
        site = Path(tmp)
        write_config(site / "seedfeed.toml", ARCHIVES[0])
        generate(site / "seeds", n)
        texts = sorted((site / "seeds").rglob("*.txt"))
        # Two edits a repeat: an old document (outside the feed window: the state changes, no feed file does)
        # and the newest .txt (in the window: the feeds are rendered again). Both files get their bytes and time
        # back before each cold build, so every repeat measures the same two cases.
        old_doc, new_doc = texts[len(texts) // 2], texts[-1]
        originals = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (old_doc, new_doc)}
        for r in range(repeat):
            for path, (data, mtime_ns) in originals.items():
                path.write_bytes(data)
                os.utime(path, ns=(mtime_ns, mtime_ns))
            shutil.rmtree(site / "output", ignore_errors=True)
            shutil.rmtree(site / ".seedfeed", ignore_errors=True)
            seconds, rss, _ = run(BUILD, site, label=f"{n}:cold")
            results["cold"].append(seconds)
            results["rss"].append(rss / 1024)
            results["no-change"].append(timed(BUILD, site, label=f"{n}:no-change"))
            for path, label in ((old_doc, "one-change"), (new_doc, "one-in-window")):
                with path.open("a") as handle:
                    handle.write(f"\n\nEdited paragraph {r}.")
                results[label].append(timed(BUILD, site, label=f"{n}:{label}"))
            results["walk"].append(timed([sys.executable, "-c", BARE_WALK, str(site / "seeds")], site, label=f"{n}:walk"))
            shutil.rmtree(site / "baseline-out", ignore_errors=True)
            script = [sys.executable, str(ROOT / "bench" / "baseline_feedgen.py"), str(site / "seeds"),
                      str(site / "baseline-out")]
            results["baseline"].append(timed(script, site, label=f"{n}:baseline"))
            if include_all:
                results["baseline-all"].append(timed([*script, str(n)], site))
            for w in workers:
                shutil.rmtree(site / "output", ignore_errors=True)
                shutil.rmtree(site / ".seedfeed", ignore_errors=True)
                results.setdefault(f"cold-w{w}", []).append(timed(BUILD, site, {"SEEDFEED_WORKERS": w}))
    return {k: statistics.median(v) for k, v in results.items() if v}


def bench_feeds(repeat: int, feeds: int = 10, n: int = 10_000) -> None:
    """10 feeds x 10,000 documents: no-change vs the sum of bare walks, and one changed feed."""
    with tempfile.TemporaryDirectory(prefix="seedfeed-feeds-") as tmp:
        site = Path(tmp)
        names = [f"feed{i}" for i in range(feeds)]
        write_config(site / "seedfeed.toml", ARCHIVES[0] + "".join(
            f'[[feeds]]\nname = "{name}"\ntitle = "Feed {name}"\nseeds = ["seeds/{name}"]\n\n' for name in names))
        for i, name in enumerate(names):
            generate(site / "seeds" / name, n, seed=i)
        cold = timed(BUILD, site)
        no_change: list[float] = []
        walks: list[float] = []
        one: list[float] = []
        rendered: list[str] = []
        for r in range(repeat):
            no_change.append(timed(BUILD, site))
            walks.append(sum(timed([sys.executable, "-c", BARE_WALK, str(site / "seeds" / name)], site)
                             for name in names))
            target = sorted((site / "seeds" / names[3]).rglob("*.txt"))[-1]
            before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*.xml")}
            with target.open("a") as handle:
                handle.write(f"\n\nEdited paragraph {r}.")
            seconds, _, out = run([sys.executable, "-m", "seedfeed", "build"], site)
            one.append(seconds)
            rendered = sorted({p.parent.name for p in (site / "output").rglob("*.xml")
                               if p in before and p.stat().st_mtime_ns != before[p]})
            print(f"  one change in {names[3]}: {out.strip()}; feed files rewritten in: {', '.join(rendered)}")
        nc, w, oc = statistics.median(no_change), statistics.median(walks), statistics.median(one)
        print(f"{feeds} feeds x {n:,} documents: cold {cold:.2f} s, no-change {nc:.3f} s, sum of bare walks {w:.3f} s "
              f"(no-change / walks {nc / w:.2f}x, target <= 2x), one change {oc:.3f} s; "
              f"rendered only {names[3]}: {rendered == [names[3]]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--feeds", action="store_true", help="also 10 feeds x 10,000 documents")
    parser.add_argument("--workers", default="", help="e.g. 1,2: cold builds with SEEDFEED_WORKERS set")
    parser.add_argument("--all", action="store_true", help="also the baseline publishing every document")
    parser.add_argument("--archives", action="store_true", help="measure the default, RFC 5005 archives on")
    args = parser.parse_args()
    ARCHIVES[0] = "archives = true\n" if args.archives else "archives = false\n"
    print(f"seedfeed.toml: {ARCHIVES[0].strip()}")
    workers = [w for w in args.workers.split(",") if w]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "feeds"), str(ROOT / "scheduler")],
                   check=True, env=ENV, stdout=subprocess.DEVNULL)
    help_times = [timed([sys.executable, "-m", "seedfeed", "--help"], ROOT) for _ in range(7)]
    bare = [timed([sys.executable, "-c", "pass"], ROOT) for _ in range(7)]
    print(f"seedfeed --help: median {statistics.median(help_times):.3f} s "
          f"(bare python start-up {statistics.median(bare):.3f} s)   target < 0.3 s")
    print()
    print(f"{'docs':>7} | {'cold s':>7} | {'baseline s':>10} | {'cold/base':>9} | {'no-change s':>11} | "
          f"{'bare walk s':>11} | {'nc/walk':>7} | {'one old s':>9} | {'one/nc':>6} | {'one new s':>9} | "
          f"{'new/nc':>6} | {'cold RSS MB':>11}"
          + "".join(f" | {'cold w=' + w:>9}" for w in workers) + (" | base-all s" if args.all else ""))
    print("-" * (139 + 12 * len(workers) + (13 if args.all else 0)))
    measured: dict[int, dict[str, float]] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        m = measured[n] = bench_size(n, args.repeat, workers, args.all)
        print(f"{n:>7} | {m['cold']:>7.2f} | {m['baseline']:>10.2f} | {m['cold'] / m['baseline']:>8.2f}x | "
              f"{m['no-change']:>11.3f} | {m['walk']:>11.3f} | {m['no-change'] / m['walk']:>6.2f}x | "
              f"{m['one-change']:>9.3f} | {m['one-change'] / m['no-change']:>5.2f}x | {m['one-in-window']:>9.3f} | "
              f"{m['one-in-window'] / m['no-change']:>5.2f}x | {m['rss']:>11.0f}"
              + "".join(f" | {m['cold-w' + w]:>9.2f}" for w in workers)
              + (f" | {m['baseline-all']:>10.2f}" if args.all else ""), flush=True)
    print("\nCPU seconds (user + system, medians), which the machine's load disturbs less than wall time:")
    for n in measured:
        print(f"{n:>7} | cold {cpu(f'{n}:cold'):.2f} | baseline {cpu(f'{n}:baseline'):.2f} "
              f"({cpu(f'{n}:cold') / cpu(f'{n}:baseline'):.2f}x) | no-change {cpu(f'{n}:no-change'):.3f} | "
              f"bare walk {cpu(f'{n}:walk'):.3f} ({cpu(f'{n}:no-change') / cpu(f'{n}:walk'):.2f}x) | "
              f"one old {cpu(f'{n}:one-change'):.3f} ({cpu(f'{n}:one-change') / cpu(f'{n}:no-change'):.2f}x) | "
              f"one new {cpu(f'{n}:one-in-window'):.3f} ({cpu(f'{n}:one-in-window') / cpu(f'{n}:no-change'):.2f}x)")
    sizes = sorted(measured)
    if len(sizes) >= 2:
        small, big = measured[sizes[0]], measured[sizes[-1]]
        factor = sizes[-1] / sizes[0]
        print(f"\ngrowth {sizes[0]:,} -> {sizes[-1]:,} ({factor:.0f}x documents): cold {big['cold'] / small['cold']:.1f}x, "
              f"no-change {big['no-change'] / small['no-change']:.1f}x, baseline {big['baseline'] / small['baseline']:.1f}x, "
              f"bare walk {big['walk'] / small['walk']:.1f}x   (target <= 10.5 for 10x)")
    print("\ntargets: cold <= 1.5x baseline; no-change <= 2x bare walk; one change (old and new) <= 1.2x no-change; "
          f"cold RSS at 100,000 <= 300 MB (medians of {args.repeat} runs; each a fresh process, as from cron)")
    if args.feeds:
        print()
        bench_feeds(args.repeat)


if __name__ == "__main__":
    main()
