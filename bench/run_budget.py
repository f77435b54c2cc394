"""Time ``seedfeed build`` against hostile servers with the *default* settings (issue #11, items 1 and 2).

    python bench/run_budget.py drips        # six pages that drip (length+close, chunked, gzip, headers, TLS, robots)
    python bench/run_budget.py bad-host     # 20 URLs on one bad host, plus 5 seed documents
    python bench/run_budget.py both --limit 300

Each case runs the real CLI in a fresh folder (``python -m seedfeed build --url ... --allow-private``) against
servers on 127.0.0.1 (tests/badhost.py; the bad host drips one byte a second, as in the issue) and prints the
wall time, the exit status, what was published and the one deferral line. A build still running after
``--limit`` seconds (default 600) is killed and reported as such. Set ``PYTHONPATH`` to a copy of another
version's package to measure it the same way (the "before" figures in the report were taken so).

Targets: every drip case ends within the 30 s page deadline (plus start-up); the bad-host build publishes every
seed document and every good page, and ends within 120 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from badhost import DRIP_MODES, Server, bad_host, bad_host_paths, dripping, tls_handshake_drip  # noqa: E402


def build(urls: list[str], seeds: int, limit: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "seeds").mkdir()
        for n in range(seeds):
            (folder / "seeds" / f"note-{n}.md").write_text(f"# Seed note {n}\n\nA document in the seed folder.\n")
        args = [sys.executable, "-m", "seedfeed", "build", "--allow-private", "--refresh"]
        for url in urls:
            args += ["--url", url]
        start = time.monotonic()
        try:
            done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            return {"seconds": round(time.monotonic() - start, 1), "exit": f"still running after {limit:g} s (killed)",
                    "items": 0, "seed_items": 0, "lines": []}
        seconds = time.monotonic() - start
        items: list[str] = []
        feed = folder / "output" / "feed.json"
        if feed.is_file():
            items = [item.get("title", "") for item in json.loads(feed.read_text())["items"]]
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return {"seconds": round(seconds, 1), "exit": done.returncode, "items": len(items),
                "seed_items": sum(1 for t in items if t.startswith("Seed note")), "lines": lines}


def drips(limit: float) -> None:
    servers = [Server(dripping(mode, interval=1.0)) for mode in DRIP_MODES if mode != "tls-handshake"]
    tls = Server(lambda c, r, s: tls_handshake_drip(c, r, s, 1.0), read_request=False)
    try:
        urls = [s.url("/page") for s in servers] + [f"https://127.0.0.1:{tls.port}/page"]
        result = build(urls, 1, limit)
    finally:
        for s in [*servers, tls]:
            s.close()
    print(f"drips: {len(urls)} dripping pages ({', '.join(DRIP_MODES)}), each on its own server, one byte a second")
    print(f"  build: {result['seconds']} s, exit {result['exit']}, {result['seed_items']}/1 seed document published")
    for line in result["lines"]:
        print(f"    {line[:160]}")


def bad(limit: float, skip: list[str]) -> None:
    with bad_host(drip_interval=1.0) as server:
        paths = [p for p in bad_host_paths() if p not in skip]
        result = build([server.url(p) for p in paths], 5, limit)
    good = sum(1 for p in paths if p.startswith("/ok-"))
    print(f"bad host: {len(paths)} URLs on one host ({len(paths) - good} bad: never answers, drips, 4x 500, "
          f"2x 503 Retry-After 30, 429 Retry-After 3600{', without ' + ' '.join(skip) if skip else ''}), "
          "5 seed documents")
    print(f"  build: {result['seconds']} s (target <= 120 s), exit {result['exit']}")
    print(f"  published: {result['seed_items']}/5 seed documents, {result['items'] - result['seed_items']}/{good} good pages")
    deferred = [line for line in result["lines"] if "deferred" in line]
    print(f"  deferral lines: {len(deferred)}" + (f" ({deferred[0][:140]}...)" if deferred else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=["drips", "bad-host", "both"])
    parser.add_argument("--limit", type=float, default=600, help="kill a build after this many seconds")
    parser.add_argument("--skip", action="append", default=[], metavar="PATH",
                        help="leave a bad-host path out (e.g. --skip /drip to time a version that hangs on it)")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", "")
    where = subprocess.run([sys.executable, "-c", "import seedfeed; print(seedfeed.__file__)"], capture_output=True,
                           text=True, check=False).stdout.strip()
    print(f"seedfeed from: {where}")
    if args.case in ("drips", "both"):
        drips(args.limit)
    if args.case in ("bad-host", "both"):
        bad(args.limit, args.skip)


if __name__ == "__main__":
    main()
