"""The progress bar: on a real terminal (a pseudo-terminal) for long work, and never when piped, quiet or short."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys

from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once
from seedfeed.progress import LONG_URLS, Bar, NoProgress, factory

from tests.conftest import FIXED_NOW, ROOT, run_cli, write
from tests.test_web import fast_fetcher, web  # noqa: F401 - the fixture


def seeds(site, n: int) -> None:
    for i in range(n):
        write(site / "seeds" / f"doc{i:04}.txt", f"Document {i}\n\nBody {i}.")


def run_on_terminal(*args: str, cwd) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout piped, as ``seedfeed build | tee log`` would)."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "seedfeed", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.stdout.close()
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_a_long_build_on_a_terminal_shows_a_bar_that_erases_itself(site):
    seeds(site, 250)
    code, terminal = run_on_terminal("build", cwd=site)
    assert code == 0, terminal
    assert "reading documents  [" in terminal and "250/250" in terminal
    assert "\r" + " " * 10 in terminal                           # erased before the summary line
    assert terminal.rstrip().endswith("250 new, 0 updated, 0 removed")


def test_no_bar_when_quiet_or_short_even_on_a_terminal(site):
    seeds(site, 250)
    code, terminal = run_on_terminal("build", "-q", cwd=site)
    assert code == 0 and "reading documents" not in terminal
    write(site / "seeds" / "new.txt", "New\n\nbody")                # one document to read: not long work
    code, terminal = run_on_terminal("build", cwd=site)
    assert code == 0 and "reading documents" not in terminal and "1 new" in terminal


def test_no_bar_when_stderr_is_not_a_terminal(site):
    seeds(site, 250)
    result = run_cli("build", cwd=site)                           # piped, as under cron
    assert result.returncode == 0
    assert "reading documents" not in result.stderr and "\r" not in result.stderr


def test_bar_draws_counts_and_factory_picks_by_size():
    out = io.StringIO()
    bar = Bar("fetching pages", 4, out, width=4, interval=0)
    for _ in range(4):
        bar.advance()
    bar.close()
    assert "fetching pages  [....]  0/4" in out.getvalue() and "[####]  4/4" in out.getvalue()
    assert out.getvalue().endswith("\r")
    assert isinstance(factory(quiet=False, stream=io.StringIO())("x", 10_000, 5), NoProgress)  # not a tty


def test_fetching_urls_advances_once_per_url(tmp_path, web):  # noqa: F811
    for i in range(6):
        web.article(f"/p{i}", f"Page {i}")
    calls: list[object] = []

    class Recorder:
        def advance(self, n: int = 1) -> None:
            calls.append(n)

        def close(self) -> None:
            calls.append("closed")

    def make(label: str, total: int, long_at: int) -> Recorder:
        calls.append((label, total, long_at))
        return Recorder()

    config = load(None, Overrides(allow_private=True, urls=[web.url(f"/p{i}") for i in range(6)]), tmp_path)
    with fast_fetcher() as fetcher:
        report = run_once(config, FIXED_NOW, fetcher=fetcher, progress=make)
    assert report.feeds[0].new == 6
    start = calls.index(("fetching pages", 6, LONG_URLS))
    assert calls[start + 1:start + 8] == [1] * 6 + ["closed"]
