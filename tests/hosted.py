"""Real servers for the hosted-mode tests: a throwaway PostgreSQL cluster (and one fresh database per test).

``.ci/run`` starts the cluster and exports ``SEEDFEED_TEST_PG`` (a URL to its ``postgres`` database, whose user
may create databases). Without it, the session fixture starts one itself with ``initdb`` and ``pg_ctl`` in a
temporary folder, as the ``postgres`` user when run as root (PostgreSQL refuses to run as root). A server that
cannot be had is a test failure, never a skip: these tests are the only proof hosted mode works.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: apt-get install postgresql (CI's .ci/run does)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(folder: Path) -> tuple[str, list[str]]:
    """initdb + pg_ctl start in ``folder``; returns (URL of the postgres database, the command that stops it)."""
    as_user: list[str] = []
    if os.geteuid() == 0:   # the server will not run as root: run it as the postgres user Debian's package made
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    run = [*as_user]
    subprocess.run([*run, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run([*run, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                    "start"], check=True, capture_output=True)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", [*run, _pg_bin("pg_ctl"), "-D", str(data), "-m",
                                                                "immediate", "stop"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a server where tests may create databases."""
    if os.environ.get("SEEDFEED_TEST_PG"):
        yield os.environ["SEEDFEED_TEST_PG"]
        return
    folder = Path(tempfile.mkdtemp(prefix="seedfeed-pg-"))
    folder.chmod(0o755)
    try:
        url, stop = start_cluster(folder)
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


