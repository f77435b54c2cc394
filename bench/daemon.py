"""Daemon benchmarks: seed pickup latency and resident memory over many runs.

pickup  100 files dropped one by one into a watched folder that already holds N documents (default 10,000 and
        100,000); for each, the time from the file being written to its title appearing in output/atom.xml.
        Prints p50 / p95 / max.   Target (issue #12): p95 < 0.5 s at 100,000.
memory  the daemon's resident set size (VmRSS) after its first runs and after R runs (default 1,000), each
        run triggered by editing a seed file and waiting for the change to be published.

Usage: python bench/daemon.py [--docs 10000,100000] [--drops 100] [--runs 1000]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from build import generate  # noqa: E402


def start_daemon(site: Path) -> subprocess.Popen[bytes]:
    log = (site / "daemon.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "seedfeed", "daemon", "-q"], cwd=site, stdout=log, stderr=log,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 600
    while not (site / "output" / "atom.xml").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"daemon did not publish: {(site / 'daemon.log').read_text()}")
        time.sleep(0.1)
    time.sleep(2.0)  # let the first build finish and the watcher settle
    return proc


def wait_for(path: Path, needle: bytes, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if needle in path.read_bytes():
                return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"{needle!r} did not appear in {path} within {timeout} s")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pickup(docs: int, drops: int) -> None:
    with tempfile.TemporaryDirectory(prefix="seedfeed-pickup-") as tmp:
        site = Path(tmp)
        generate(site / "seeds", docs)
        t0 = time.monotonic()
        proc = start_daemon(site)
        print(f"pickup: daemon published {docs:,} documents in {time.monotonic() - t0:.1f} s (first build)")
        latencies = []
        try:
            for i in range(drops):
                needle = f"Dropped document {i:03d} zqx".encode()
                path = site / "seeds" / "incoming" / f"drop-{i:03d}.txt"
                path.parent.mkdir(exist_ok=True)
                start = time.monotonic()
                path.write_bytes(needle + b"\n\nA freshly dropped document body.\n")
                latencies.append(wait_for(site / "output" / "atom.xml", needle) - start)
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        latencies.sort()
        p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
        print(f"pickup latency over {drops} drops into {docs:,} documents: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms   (target p95 < 500 ms)")


def memory(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="seedfeed-memory-") as tmp:
        site = Path(tmp)
        generate(site / "seeds", 200)
        proc = start_daemon(site)
        target = site / "seeds" / "edited.txt"
        start_rss = end_rss = 0
        try:
            for i in range(runs):
                needle = f"Edit number {i:05d} qzx".encode()
                target.write_bytes(needle + b"\n\nbody\n")
                wait_for(site / "output" / "atom.xml", needle)
                if i == 9:
                    start_rss = rss_kb(proc.pid)
            end_rss = rss_kb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        print(f"memory: daemon RSS after 10 runs {start_rss / 1024:.1f} MB, after {runs:,} runs {end_rss / 1024:.1f} MB "
              f"({(end_rss - start_rss) / 1024:+.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", default="10000,100000", help="sizes of the watched folder, comma-separated")
    parser.add_argument("--drops", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--only", choices=("pickup", "memory"))
    args = parser.parse_args()
    if args.only != "memory":
        for docs in (int(n) for n in args.docs.split(",")):
            pickup(docs, args.drops)
    if args.only != "pickup":
        memory(args.runs)


if __name__ == "__main__":
    main()
