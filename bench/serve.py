"""Benchmark HTTP server libraries for `seedfeed serve` against nginx.

    python bench/serve.py                       # all candidates, wrk -t2 -c32 -d10s per scenario
    python bench/serve.py --duration 5 --only cheroot,nginx

Generates a 50-item feed folder (rss.xml, atom.xml, feed.json, items/*.html; ~2 KB bodies per item),
then for each candidate starts a fresh subprocess that runs the server *in a background thread* (the
way the daemon embeds it), runs wrk against 127.0.0.1 and stops the server again, timing stop() and
checking that the port is free.  nginx (temporary nginx.conf, `etag on`, one worker) serves the same
folder in the same run.  Candidates: stdlib (ThreadingHTTPServer), waitress, cheroot, uvicorn-h11 (pure
Python), uvicorn (uvloop + httptools), granian (embedded, experimental), nginx.  The product ships only
uvicorn (``FeedServer``); every other candidate, and the WSGI adapter the WSGI servers need, is defined in
this file over the same caching core, ``FeedApp.respond``.  Scenarios:

* GET      -- plain ``GET /atom.xml`` (identity body)
* 304      -- conditional GET, a wrk Lua script sends ``If-None-Match`` with the server's own ETag
* GET gzip -- ``Accept-Encoding: gzip`` (nginx compresses on the fly at gzip_comp_level 6; seedfeed
              serves its pre-compressed copy)

Prints a Markdown table: requests/s per server and scenario, and the ratio to nginx.
Needs: wrk, nginx, and the candidate libraries (waitress, cheroot, uvicorn[standard], granian).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seedfeed.serve import AsgiApp, FeedApp, FeedServer, make_app  # noqa: E402
from seedfeed.serve.response import Response, plain  # noqa: E402

CANDIDATES = ["stdlib", "waitress", "cheroot", "uvicorn-h11", "uvicorn", "granian", "nginx"]
SCENARIOS = ["GET", "304", "GET gzip"]
WORDS = (
    "feed", "reader", "publish", "seed", "schedule", "atom", "entry", "summary", "content", "update",
    "channel", "item", "link", "author", "category", "archive", "syndication", "subscriber", "poll",
    "cache", "header", "server", "static", "folder",
)

# ------------------------------------------------------------------------------------- test data


def _paragraphs(rng: random.Random, size: int) -> str:
    out: list[str] = []
    total = 0
    while total < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
        para = f"<p>{sentence} {sentence.lower()}</p>"
        out.append(para)
        total += len(para)
    return "\n".join(out)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def generate_site(folder: Path, items: int = 50, body_size: int = 2048) -> dict[str, int]:
    """Write a realistic 50-item feed folder; returns file sizes."""
    rng = random.Random(42)
    (folder / "items").mkdir(parents=True, exist_ok=True)
    base = "https://example.org"
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entries = []
    for i in range(items):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).title()
        slug = f"{i:03d}-" + "-".join(title.lower().split()[:3])
        when = start + dt.timedelta(hours=7 * i)
        body = _paragraphs(rng, body_size)
        entries.append((title, slug, when, body))
        (folder / "items" / f"{slug}.html").write_text(
            f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{body}</article></body></html>\n",
            encoding="utf-8",
        )
    entries.reverse()
    rss = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench feed</title><link>{base}/</link><description>synthetic</description>"
    ]
    atom = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>Bench feed</title><id>{base}/</id><link href="{base}/atom.xml" rel="self"/>'
        f"<updated>{entries[0][2].isoformat()}</updated>"
    ]
    jf: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Bench feed",
        "home_page_url": base + "/",
        "feed_url": base + "/feed.json",
        "items": [],
    }
    for title, slug, when, body in entries:
        url = f"{base}/items/{slug}.html"
        rss.append(
            f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{_xml_escape(body)}</description></item>"
        )
        atom.append(
            f'<entry><title>{title}</title><id>{url}</id><link href="{url}"/>'
            f'<updated>{when.isoformat()}</updated><content type="html">{_xml_escape(body)}</content></entry>'
        )
        jf["items"].append(
            {"id": url, "url": url, "title": title, "date_published": when.isoformat(), "content_html": body}
        )
    rss.append("</channel></rss>\n")
    atom.append("</feed>\n")
    (folder / "rss.xml").write_text("".join(rss), encoding="utf-8")
    (folder / "atom.xml").write_text("".join(atom), encoding="utf-8")
    (folder / "feed.json").write_text(json.dumps(jf, ensure_ascii=False), encoding="utf-8")
    return {name: (folder / name).stat().st_size for name in ("rss.xml", "atom.xml", "feed.json")}


# ------------------------------------------------------------------ candidates other than uvicorn (in thread)


@functools.cache
def _environ_key(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def wsgi_app(core: FeedApp) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A PEP 3333 face of the caching core, for the WSGI candidates only (the product is ASGI only)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:  # PEP 3333: PATH_INFO carries the decoded bytes as latin-1
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:
            resp = plain(400, "bad request")
        else:
            resp = core.respond(method, path, lambda name: environ.get(_environ_key(name)))
        start_response(f"{resp.status} {HTTPStatus(resp.status).phrase}", resp.headers)
        if resp.stream is not None and method != "HEAD":
            return resp.stream  # the server calls its close()
        resp.close()
        return [resp.body] if resp.body and method != "HEAD" else []

    return app


class ThreadedServer:
    """A server library run in a background thread, the way ``FeedServer`` runs uvicorn: ``bind()`` listens
    (sets ``port``), ``run()`` serves until ``shutdown()`` is called from another thread."""

    def __init__(self, core: FeedApp, host: str, port: int, threads: int = 8) -> None:
        self.core, self.host, self.port, self.threads = core, host, port, threads
        self.thread = threading.Thread(target=self.run, name="bench-serve", daemon=True)

    def start(self) -> None:
        self.bind()
        self.thread.start()

    def stop(self, timeout: float = 5) -> None:
        self.shutdown(timeout)
        self.thread.join(timeout)

    def bind(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        raise NotImplementedError

    def shutdown(self, timeout: float) -> None:
        raise NotImplementedError


class _StdlibHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "seedfeed"
    timeout = 30  # idle keep-alive seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    core: FeedApp

    def _handle(self) -> None:
        target = self.path
        if "://" in target.split("/", 1)[0] + "/":  # absolute-form request target
            target = urllib.parse.urlsplit(target).path or "/"
        raw = target.split("?", 1)[0].split("#", 1)[0]
        try:
            path = urllib.parse.unquote(raw, errors="strict")
        except UnicodeDecodeError:
            resp: Response = plain(400, "bad request")
        else:
            resp = self.core.respond(self.command, path, self.headers.get)
        try:
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and resp.status != 304:
                for chunk in resp.stream if resp.stream is not None else [resp.body]:
                    self.wfile.write(chunk)
        finally:
            resp.close()

    def version_string(self) -> str:
        return self.server_version

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class StdlibServer(ThreadedServer):
    """http.server.ThreadingHTTPServer: one thread per connection (the product's fallback until it shipped
    uvicorn only)."""

    def bind(self) -> None:
        handler = type("Handler", (_StdlibHandler,), {"core": self.core})
        server_cls = type("Server", (ThreadingHTTPServer,), {"daemon_threads": True, "request_queue_size": 128})
        self.server = server_cls((self.host, self.port), handler)
        self.port = self.server.server_address[1]

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.25)

    def shutdown(self, timeout: float) -> None:
        self.server.shutdown()
        self.server.server_close()


class CherootServer(ThreadedServer):
    """cheroot: public prepare()/serve()/stop() API, thread pool with a selector for keep-alive."""

    def bind(self) -> None:
        from cheroot import wsgi

        self.server = wsgi.Server(
            (self.host, self.port), wsgi_app(self.core), numthreads=self.threads, server_name="seedfeed"
        )
        self.server.timeout = 30
        self.server.prepare()
        self.port = self.server.bind_addr[1]

    def run(self) -> None:
        self.server.serve()

    def shutdown(self, timeout: float) -> None:
        self.server.shutdown_timeout = timeout
        self.server.stop()


class WaitressServer(ThreadedServer):
    """waitress: asyncore loop + task threads.  It has no public stop(); closing every dispatcher
    from inside its loop (via the trigger) makes run() return."""

    def bind(self) -> None:
        from waitress.server import create_server

        self.server = create_server(
            wsgi_app(self.core), host=self.host, port=self.port, threads=self.threads, ident="seedfeed"
        )
        self.port = self.server.getsockname()[1]

    def run(self) -> None:
        self.server.run()

    def shutdown(self, timeout: float) -> None:
        server = self.server

        def close_everything() -> None:  # runs inside the asyncore loop thread
            for dispatcher in list(server._map.values()):
                if dispatcher is not server.trigger:
                    dispatcher.close()
            server.trigger.close()  # map now empty: the loop returns

        server.trigger.pull_trigger(close_everything)
        server.task_dispatcher.shutdown(timeout=timeout)


class UvicornH11Server(FeedServer):
    """The product's server without uvicorn's C speed-ups: asyncio loop + pure-Python h11."""

    loop = "asyncio"
    http = "h11"


THREADED: dict[str, type[ThreadedServer]] = {"stdlib": StdlibServer, "cheroot": CherootServer, "waitress": WaitressServer}
UVICORN: dict[str, type[FeedServer]] = {"uvicorn": FeedServer, "uvicorn-h11": UvicornH11Server}


class GranianThread:
    """granian's embedded (asyncio, experimental) server driven from its own event loop thread."""

    def __init__(self, app: AsgiApp, host: str, port: int) -> None:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        self.server = Server(app, address=host, port=port, interface=Interfaces.ASGINL)
        self.loop = asyncio.new_event_loop()
        self.host, self.port = host, port
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        wait_port(self.host, self.port, alive=self.thread.is_alive)

    def stop(self, timeout: float = 5) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout)


def run_candidate(name: str, folder: Path, port: int) -> None:
    """Child process: serve ``folder`` with ``name`` in a thread until stdin closes, then stop."""
    name, _, threads = name.partition(":")  # e.g. "cheroot:16" = 16 worker threads
    if name in UVICORN:
        server: Any = UVICORN[name](folder, "127.0.0.1", port)
    elif name in THREADED:
        server = THREADED[name](make_app(folder), "127.0.0.1", port, int(threads or 8))
    elif name == "granian":
        server = GranianThread(AsgiApp(make_app(folder)), "127.0.0.1", port)
    else:
        raise SystemExit(f"unknown candidate {name}")
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # parent closes stdin when done
    t0 = time.perf_counter()
    server.stop()
    stop_s = time.perf_counter() - t0
    threads = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    print(json.dumps({"stop_s": stop_s, "port_free": port_free(port), "threads_left": threads}), flush=True)


# -------------------------------------------------------------------------------------------- nginx


NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{
        application/xml xml;
        application/json json;
        text/html html;
    }}
    charset utf-8;
    charset_types application/rss+xml application/atom+xml text/html;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=20s;
    open_file_cache_valid 1s;
    etag on;
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 256;
    gzip_vary on;
    gzip_types application/rss+xml application/atom+xml application/feed+json application/xml;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        autoindex off;
        location ~ /rss\\.xml$ {{ types {{ }} default_type application/rss+xml; }}
        location ~ /atom\\.xml$ {{ types {{ }} default_type application/atom+xml; }}
        location ~ /feed\\.json$ {{ types {{ }} default_type application/feed+json; }}
    }}
}}
"""


class Nginx:
    def __init__(self, folder: Path, port: int, tmp: Path) -> None:
        self.tmp = tmp / "nginx"
        self.tmp.mkdir()
        self.port = port
        user = "user root;" if os.geteuid() == 0 else ""
        conf = NGINX_CONF.format(user=user, tmp=self.tmp, port=port, root=folder)
        self.conf = self.tmp / "nginx.conf"
        self.conf.write_text(conf)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["nginx", "-c", str(self.conf), "-p", str(self.tmp)])
        wait_port("127.0.0.1", self.port, alive=lambda: self.proc is not None and self.proc.poll() is None)

    def stop(self) -> float:
        assert self.proc is not None
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    """Whether a new server could listen on ``port`` now (SO_REUSEADDR, as servers use)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
        return True


def wait_port(host: str, port: int, alive: Any = lambda: True, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server on port {port} died during start-up")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port}")


def probe(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, len(body)
    finally:
        conn.close()


def run_wrk(port: int, path: str, duration: int, lua: Path | None, header: str | None) -> dict[str, float]:
    cmd = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency"]
    if lua is not None:
        cmd += ["-s", str(lua)]
    if header is not None:
        cmd += ["-H", header]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock_err = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = 0.0
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rps": rps,
        "p99_ms": p99_ms,
        "bad": float(errors.group(1)) if errors else 0.0,
        "sock_err": 1.0 if sock_err else 0.0,
    }


def bench_server(port: int, duration: int, tmp: Path, label: str) -> dict[str, dict[str, float]]:
    status, headers, size = probe(port, "/atom.xml")
    assert status == 200, f"{label}: GET /atom.xml -> {status}"
    etag = headers["etag"]
    status304, _, _ = probe(port, "/atom.xml", {"If-None-Match": etag})
    assert status304 == 304, f"{label}: conditional GET -> {status304}"
    gz_status, gz_headers, gz_size = probe(port, "/atom.xml", {"Accept-Encoding": "gzip"})
    assert gz_status == 200 and gz_headers.get("content-encoding") == "gzip", f"{label}: no gzip"
    gz_etag = gz_headers.get("etag", etag)
    assert probe(port, "/atom.xml", {"If-None-Match": gz_etag, "Accept-Encoding": "gzip"})[0] == 304
    lua = tmp / f"{label}-inm.lua"
    lua.write_text(f"wrk.headers[\"If-None-Match\"] = '{etag}'\n")
    print(f"  {label}: atom.xml {size} B (gzip {gz_size} B), ETag {etag}", file=sys.stderr)
    results = {
        "GET": run_wrk(port, "/atom.xml", duration, None, None),
        "304": run_wrk(port, "/atom.xml", duration, lua, None),
        "GET gzip": run_wrk(port, "/atom.xml", duration, None, "Accept-Encoding: gzip"),
    }
    for scenario, r in results.items():
        print(f"    {scenario:9s} {r['rps']:10.0f} req/s  p99 {r['p99_ms']:.1f} ms", file=sys.stderr)
    return results


def bench_candidate(name: str, folder: Path, duration: int, tmp: Path) -> dict[str, Any]:
    port = free_port()
    if name == "nginx":
        nginx = Nginx(folder, port, tmp)
        nginx.start()
        try:
            results: dict[str, Any] = bench_server(port, duration, tmp, name)
        finally:
            stop_s = nginx.stop()
        results["stop"] = {"stop_s": stop_s, "port_free": port_free(port), "threads_left": []}
        return results
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", name, "--dir", str(folder), "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        for line in child.stdout:  # skip whatever the library prints on start-up
            if line.strip() == "ready":
                break
        else:
            raise RuntimeError(f"{name} did not start")
        results = bench_server(port, duration, tmp, name)
    finally:
        child.stdin.close()
        stop_line = ""
        for line in child.stdout:
            if line.startswith("{"):
                stop_line = line
                break
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    results["stop"] = json.loads(stop_line) if stop_line.strip() else {"stop_s": float("nan")}
    results["stop"]["exit"] = child.returncode
    return results


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    out: dict[str, Any] = {}
    for s in SCENARIOS:
        out[s] = {key: statistics.median(r[s][key] for r in ok) for key in ("rps", "p99_ms")}
        out[s]["bad"] = max(r[s]["bad"] for r in ok)
    stops = [r["stop"] for r in ok]
    out["stop"] = {
        "stop_s": max(st.get("stop_s", float("nan")) for st in stops),
        "port_free": all(st.get("port_free") for st in stops),
        "threads_left": max((st.get("threads_left") or [] for st in stops), key=len),
    }
    if len(ok) < len(runs):
        out["failed_rounds"] = len(runs) - len(ok)
    return out


def table(all_results: dict[str, dict[str, Any]]) -> str:
    ref = all_results.get("nginx")
    head = "| server | " + " | ".join(f"{s} req/s (× nginx)" for s in SCENARIOS)
    head += " | p99 GET ms | stop() s | port freed |"
    lines = [head, "|" + "---|" * (len(SCENARIOS) + 4)]
    for name, res in all_results.items():
        if "error" in res:
            lines.append(f"| {name} | failed: {res['error']} |" + " |" * (len(SCENARIOS) + 2))
            continue
        cells = []
        for s in SCENARIOS:
            rps = res[s]["rps"]
            ratio = f" ({rps / ref[s]['rps']:.2f})" if ref and "error" not in ref else ""
            bad = " ⚠" if res[s]["bad"] else ""
            cells.append(f"{rps:,.0f}{ratio}{bad}")
        stop = res.get("stop", {})
        freed = stop.get("port_free")
        left = stop.get("threads_left") or []
        freed_txt = ("yes" if freed else "NO") + (f", {len(left)} threads left" if left else "")
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {res['GET']['p99_ms']:.1f} | {stop.get('stop_s', 0):.3f} "
            f"| {freed_txt} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat all candidates N times, report medians")
    parser.add_argument("--only", default=",".join(CANDIDATES), help="comma-separated candidates")
    parser.add_argument("--json", type=Path, help="also write raw results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_candidate(args.child, args.dir, args.port)
        return
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt-get install -y nginx wrk)")
    with tempfile.TemporaryDirectory(prefix="seedfeed-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)
        folder = tmp / "output"
        sizes = generate_site(folder)
        print(f"feed folder {folder}: {sizes}", file=sys.stderr)
        names = [c.strip() for c in args.only.split(",") if c.strip()]
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for rnd in range(args.rounds):
            order = names[rnd % len(names) :] + names[: rnd % len(names)]  # rotate: spread load drift
            for name in order:
                print(f"[round {rnd + 1}/{args.rounds}] {name} ...", file=sys.stderr)
                try:
                    runs[name].append(bench_candidate(name, folder, args.duration, tmp))
                except Exception as exc:  # keep going: a candidate failing is a result too
                    runs[name].append({"error": f"{type(exc).__name__}: {exc}"})
                    print(f"  {name} failed: {exc}", file=sys.stderr)
        results = {name: aggregate(r) for name, r in runs.items()}
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "median": results}, indent=2))
    load = os.getloadavg()[0]
    print(
        f"\nwrk -t2 -c32 -d{args.duration}s, GET /atom.xml ({sizes['atom.xml']:,} B), {os.cpu_count()} CPUs, "
        f"median of {args.rounds} round(s), load average at end {load:.1f}\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
