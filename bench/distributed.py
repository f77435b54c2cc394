"""Benchmark hosted mode: N web sources on H fake hosts, fetched by 1, 2 and 4 worker processes.

    python bench/distributed.py                        # N=1000 on H=50 hosts, 1/2/4 workers, two rounds each
    python bench/distributed.py --sources 10000 --hosts 500 --workers 1 2 4

Everything is real and local: a throwaway PostgreSQL cluster (initdb + pg_ctl in a temp folder, with
pg_stat_statements to count queries; ``--pg URL`` uses a server of yours instead), H HTTP servers on 127.0.0.1
(one port = one host for the politeness rules), and ``seedfeed dispatch`` + ``seedfeed worker --once`` run as
subprocesses, exactly as deployed. The origin's mix, by source number: 5% 404, 5% 410, 5% 429 with
``Retry-After: 1`` (then 200), 5% slow (0.3 s before answering), 5% dripping (the body in 5 pieces, 0.05 s
apart), the rest 200 with an ETag (304 when it matches); source n is on host n mod H, so with H a multiple of 20
a host serves one kind (a 404 host, a slow host, a dripping host...). Round 1 fetches everything (all new);
round 2 makes every source due again with 10% of the pages changed (mostly 304s).

Per run it prints: fetches/s, schedule lag p95 (answer time - the time the source fell due), duplicate fetches
(a source answered twice in one round, not counting 429 retries: must be 0), max in-flight requests at one host
(must be <= --host-concurrency), renders per changed feed, PostgreSQL queries per fetch and worker CPU per fetch.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Origin:
    """H servers; records every answer (round, path, status, time) and in-flight requests per host."""

    def __init__(self, hosts: int) -> None:
        self.round = 1
        self.lock = threading.Lock()
        self.answers: list[tuple[int, str, int, float]] = []
        self.in_flight: dict[int, int] = {}
        self.max_in_flight: dict[int, int] = {}
        self.retried: set[tuple[int, str]] = set()
        self.servers = [self._server() for _ in range(hosts)]
        self.ports = [s.server_address[1] for s in self.servers]

    def _server(self) -> ThreadingHTTPServer:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                port = self.server.server_address[1]
                with origin.lock:
                    origin.in_flight[port] = origin.in_flight.get(port, 0) + 1
                    origin.max_in_flight[port] = max(origin.max_in_flight.get(port, 0), origin.in_flight[port])
                try:
                    status = origin.answer(self)
                    with origin.lock:
                        origin.answers.append((origin.round, f"{port}{self.path}", status, time.time()))
                finally:
                    with origin.lock:
                        origin.in_flight[port] -= 1

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def close(self) -> None:
        """Stop every server at once: ``shutdown()`` waits up to the 0.5 s poll interval of its server, so one by one
        2,500 servers took about 20 minutes to stop."""
        stoppers = [threading.Thread(target=s.shutdown) for s in self.servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for s in self.servers:
            s.server_close()

    def answer(self, h: BaseHTTPRequestHandler) -> int:
        if h.path == "/robots.txt":
            return self._send(h, 404, b"")
        n = int(h.path.lstrip("/s"))
        kind = n % 20
        if kind == 0:
            return self._send(h, 404, b"")
        if kind == 1:
            return self._send(h, 410, b"")
        key = (self.round, f"{h.server.server_address[1]}{h.path}")
        if kind == 2 and key not in self.retried:
            self.retried.add(key)
            return self._send(h, 429, b"", {"Retry-After": "1"})
        version = 2 if self.round >= 2 and n % 10 == 5 else 1
        etag = f'"v{version}-{n}"'
        if h.headers.get("If-None-Match") == etag:
            return self._send(h, 304, b"", {"ETag": etag})
        if kind == 3:
            time.sleep(0.3)
        body = (f"<!doctype html><html lang=en><head><title>Story {n} v{version}</title></head><body><article>"
                f"<h1>Story {n} v{version}</h1><p>Paragraph one of story {n}, version {version}.</p>"
                f"<p>{'Some more words. ' * 20}</p></article></body></html>").encode()
        if kind == 4:   # dripping: headers, then the body in pieces
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(body)))
            h.send_header("ETag", etag)
            h.end_headers()
            step = len(body) // 5 + 1
            for i in range(0, len(body), step):
                h.wfile.write(body[i:i + step])
                h.wfile.flush()
                time.sleep(0.05)
            return 200
        return self._send(h, 200, body, {"ETag": etag, "Content-Type": "text/html; charset=utf-8"})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> int:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        return status


def site(folder: Path, origin: Origin, sources: int, state: str) -> Path:
    text = f'allow_private = true\nstate = "{state}"\n'
    per_host: dict[int, list[int]] = {}
    for n in range(sources):
        per_host.setdefault(n % len(origin.ports), []).append(n)
    for h, numbers in per_host.items():
        (folder / f"h{h}").mkdir(parents=True, exist_ok=True)
        pages = ", ".join(f'{{url = "http://127.0.0.1:{origin.ports[h]}/s{n}", every = "1h"}}' for n in numbers)
        text += f'[[feeds]]\nname = "h{h}"\nseeds = ["h{h}"]\npages = [{pages}]\n'
    (folder / "seedfeed.toml").write_text(text)
    return folder


def cli(*args: str, cwd: Path, log: Path | None = None) -> subprocess.Popen[str]:
    """Run seedfeed; its stderr goes to ``log`` (a file: a full pipe nobody reads would stall the worker)."""
    err = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "seedfeed", *args], cwd=cwd, text=True, stderr=err,
                            stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})


def run_round(folder: Path, url: str, origin: Origin, workers: int, args: argparse.Namespace, number: int) -> dict:
    origin.round = number
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE due_sources SET due_at = now()")   # no-op in round 1 (dispatch adds them due now)
        db.execute("SELECT pg_stat_statements_reset()")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    assert cli("dispatch", cwd=folder).wait() == 0
    files = [folder / f"worker-{number}-{i}.log" for i in range(workers)]
    procs = [cli("worker", "--once", "-v", "--concurrency", str(args.concurrency), "--host-delay", str(args.host_delay),
                 "--host-concurrency", str(args.host_concurrency), cwd=folder, log=f) for f in files]
    for p in procs:
        p.wait()
    logs = [f.read_text() for f in files]
    t1 = time.time()
    if any(p.returncode for p in procs):
        raise SystemExit("a worker failed:\n" + "\n".join(logs)[-3000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with psycopg.connect(url) as db:
        queries = db.execute("SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements"
                             " WHERE query NOT LIKE '%pg_stat_statements%'").fetchone()[0]
    answers = [a for a in origin.answers if a[0] == number and not a[1].endswith("/robots.txt")]
    counted = [a for a in answers if a[2] != 429]
    per_source: dict[str, int] = {}
    first: dict[str, float] = {}
    for _, path, _, at in counted:
        per_source[path] = per_source.get(path, 0) + 1
        first.setdefault(path, at)
    lags = sorted(at - t0 for at in first.values())
    renders = sum(len([x for x in m.split(",") if x]) for log in logs for m in re.findall(r"rendered \[([^\]]*)\]", log))
    # A feed changes when a page of it answers 200 with new content; in round 1 every feed changes (from not
    # existing: a feed whose pages all fail is still published once, empty).
    changed = {p.split("/")[0] for _, p, status, _ in counted if status == 200} if number > 1 else {str(p) for p in origin.ports}
    fetches = len(counted)
    return {
        "round": number, "workers": workers, "seconds": round(t1 - t0, 1), "fetches": fetches,
        "fetches_per_s": round(fetches / (t1 - t0), 1),
        "lag_p95_s": round(lags[int(0.95 * (len(lags) - 1))], 1) if lags else None,
        "duplicates": sum(n - 1 for n in per_source.values() if n > 1),
        "sources_answered": len(per_source),
        "max_in_flight_per_host": max(origin.max_in_flight.values()),
        "renders_per_changed_feed": round(renders / len(changed), 2) if changed else None,
        "queries_per_fetch": round(queries / fetches, 1) if fetches else None,
        "cpu_ms_per_fetch": round(1000 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
                                  / fetches, 1) if fetches else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=4, help="jobs per worker process")
    parser.add_argument("--host-concurrency", type=int, default=2)
    parser.add_argument("--host-delay", type=float, default=0.05)
    parser.add_argument("--pg", help="a PostgreSQL server URL where databases may be created")
    parser.add_argument("--rounds", type=int, default=2, help="1: only the first fetch of everything")
    args = parser.parse_args()

    from tests.hosted import create_database, drop_database, start_cluster

    pg_dir, stop = None, None
    server = args.pg
    if not server:
        pg_dir = Path(tempfile.mkdtemp(prefix="seedfeed-bench-pg-"))
        pg_dir.chmod(0o755)
        server, stop = start_cluster(pg_dir, "-c shared_preload_libraries=pg_stat_statements -c synchronous_commit=off")
    rows = []
    try:
        for workers in args.workers:
            origin = Origin(args.hosts)
            url = create_database(server)
            with psycopg.connect(url, autocommit=True) as db:
                db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            work = Path(tempfile.mkdtemp(prefix="seedfeed-bench-"))
            try:
                folder = site(work, origin, args.sources, url)
                assert cli("state", "init", cwd=folder).wait() == 0
                for number in range(1, args.rounds + 1):
                    row = run_round(folder, url, origin, workers, args, number)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)
                origin.close()
                drop_database(server, url)
    finally:
        if stop:
            subprocess.run(stop, capture_output=True, check=False)
            shutil.rmtree(pg_dir, ignore_errors=True)
    print(f"\nN={args.sources} sources on H={args.hosts} hosts, {args.concurrency} jobs per worker, host limit "
          f"{args.host_concurrency} in flight / {args.host_delay} s apart, {os.cpu_count()} cores")
    cols = ["workers", "round", "seconds", "fetches", "fetches_per_s", "lag_p95_s", "duplicates",
            "max_in_flight_per_host", "renders_per_changed_feed", "queries_per_fetch", "cpu_ms_per_fetch"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    base = {r["round"]: r["fetches_per_s"] for r in rows if r["workers"] == rows[0]["workers"]}
    for row in rows:
        print(f"workers={row['workers']} round {row['round']}: {row['fetches_per_s'] / base[row['round']]:.2f}x the "
              f"{rows[0]['workers']}-worker fetch rate")


if __name__ == "__main__":
    main()
