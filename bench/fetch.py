"""Benchmark the fetching layer: first fetch vs. conditional refetch, and memory over 500 pages.

    python bench/fetch.py                 # 500 pages, per_host_concurrency 4
    python bench/fetch.py --pages 200 --concurrency 2

A local HTTP/1.1 keep-alive server runs in a *subprocess* (so its memory is not counted) and serves the
WCXB dev pages straight from /work/shared/extraction-dev/wcxb-dev/html/*.html.gz (read in place, gzip bytes
sent as-is with ``Content-Encoding: gzip``), each with a strong ETag; a matching ``If-None-Match`` gets a 304.

The client is one :class:`seedfeed.fetch.Fetcher` with the SSRF guard on (loopback let through with
``allowed_networks``), robots.txt on (the server answers 404 = allow all), and ``per_host_delay=0``: all
pages are on one host, and the default 1 s politeness delay would measure the delay, not the fetcher.
Jobs go to ``fetch_many`` in batches of 50 (``--batch``): its result list holds every body of the batch, so
one call with all 500 pages would measure the results (~114 MB of HTML), not the fetcher. Bodies are dropped
after counting (as the pipeline does after extraction); only validators are kept.
Peak RSS (``ru_maxrss``) is sampled after 100, 250 and 500 pages of the first fetch, and after the refetch;
``--trace`` adds the Python heap still allocated at those points (tracemalloc; makes the run slower).
"""

from __future__ import annotations

import argparse
import gc
import glob
import gzip
import http.server
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

HTML_DIR = "/work/shared/extraction-dev/wcxb-dev/html"
ROOT = Path(__file__).resolve().parent.parent


# --- server (subprocess) -------------------------------------------------------------------------------------


def serve(pages: int) -> None:
    files = sorted(glob.glob(os.path.join(HTML_DIR, "*.html.gz")))[:pages]
    etags: dict[int, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if not self.path.startswith("/p/"):
                self._send(404, {"Content-Type": "text/plain"})
                return
            try:
                index = int(self.path[3:])
                path = files[index]
            except (ValueError, IndexError):
                self._send(404, {"Content-Type": "text/plain"})
                return
            with open(path, "rb") as fh:
                data = fh.read()
            etag = etags.setdefault(index, f'"{zlib.crc32(data):08x}-{len(data)}"')
            if self.headers.get("If-None-Match") == etag:
                self._send(304, {"ETag": etag})
                return
            headers = {"Content-Type": "text/html", "ETag": etag}
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                headers["Content-Encoding"] = "gzip"
            else:
                data = gzip.decompress(data)
            self._send(200, headers, data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


# --- client --------------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def current_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def heap_mb() -> float:
    """Python heap still allocated (tracemalloc), after a collection; nan when not tracing."""
    if not tracemalloc.is_tracing():
        return float("nan")
    gc.collect()
    return tracemalloc.get_traced_memory()[0] / 1e6


def run(pages: int, concurrency: int, batch_size: int) -> None:
    sys.path.insert(0, str(ROOT))
    from seedfeed.errors import FetchError
    from seedfeed.fetch import Fetcher, FetchJob, FetchPolicy

    available = len(glob.glob(os.path.join(HTML_DIR, "*.html.gz")))
    pages = min(pages, available)
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--pages", str(pages)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        urls = [f"http://127.0.0.1:{port}/p/{i}" for i in range(pages)]
        policy = FetchPolicy(per_host_delay=0, per_host_concurrency=concurrency, allowed_networks=("127.0.0.0/8",))
        rows = []
        baseline = peak_rss_mb()
        with Fetcher(policy) as fetcher:
            validators: list[str | None] = []
            body_bytes = 0
            errors = 0
            checkpoints = [c for c in (100, 250, 500) if c < pages] + [pages]
            start = time.perf_counter()
            done = 0
            for stop in checkpoints:
                while done < stop:
                    batch = urls[done:min(stop, done + batch_size)]
                    for result in fetcher.fetch_many([FetchJob(u) for u in batch]):
                        if isinstance(result, FetchError):
                            errors += 1
                            validators.append(None)
                            continue
                        body_bytes += len(result.body)
                        validators.append(result.etag)
                    done += len(batch)
                    del result
                rows.append((f"first fetch, after {stop}", time.perf_counter() - start, peak_rss_mb(),
                             current_rss_mb(), heap_mb()))
            first_time = time.perf_counter() - start

            start = time.perf_counter()
            results = fetcher.fetch_many([FetchJob(u, etag=e) for u, e in zip(urls, validators, strict=True)])
            refetch_time = time.perf_counter() - start
            not_modified = sum(1 for r in results if not isinstance(r, FetchError) and r.status == 304)
            del results
            rows.append((f"refetch (304), {pages}", refetch_time, peak_rss_mb(), current_rss_mb(), heap_mb()))
    finally:
        proc.terminate()
        proc.wait(5)

    print(f"seedfeed fetch bench: {pages} pages from one local host, per_host_concurrency={concurrency}, "
          f"per_host_delay=0 (single host), robots on, SSRF guard on (loopback allowed), "
          f"{batch_size} jobs per fetch_many call")
    print(f"first fetch: {pages - errors} x 200, {errors} errors, {body_bytes / 1e6:.1f} MB decompressed HTML")
    print(f"refetch:     {not_modified} of {pages} answered 304 Not Modified")
    print()
    heap = "   py heap MB" if tracemalloc.is_tracing() else ""
    print(f"{'phase':<28} {'elapsed s':>9} {'pages/s':>9} {'peak RSS MB':>12} {'RSS now MB':>11}{heap}")
    counts = [*checkpoints, pages]
    for (label, elapsed, peak, now, py), count in zip(rows, counts, strict=True):
        extra = f" {py:>12.2f}" if heap else ""
        print(f"{label:<28} {elapsed:>9.2f} {count / elapsed:>9.0f} {peak:>12.1f} {now:>11.1f}{extra}")
    print()
    first_rate, refetch_rate = pages / first_time, pages / refetch_time
    print(f"first fetch {first_rate:.0f} pages/s, refetch {refetch_rate:.0f} pages/s, "
          f"ratio {refetch_rate / first_rate:.1f}x; peak RSS before fetching {baseline:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50, help="jobs per fetch_many call (results hold bodies)")
    parser.add_argument("--trace", action="store_true",
                        help="also report the Python heap left after each phase (tracemalloc; slower)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trace:
        tracemalloc.start()
    if args.serve:
        serve(args.pages)
    else:
        run(args.pages, args.concurrency, args.batch)


if __name__ == "__main__":
    main()
