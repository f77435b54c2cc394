"""The daemon as a real subprocess on temporary folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from tests.conftest import ROOT, write


class Daemon:
    def __init__(self, cwd: Path, *args: str) -> None:
        self.log_path = cwd / f"daemon-{time.monotonic_ns()}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "seedfeed", "daemon", *args], cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for_log(self, text: str, timeout: float = 30, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output()[after:]:
                return
            assert self.proc.poll() is None, f"daemon exited:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged within {timeout} s:\n{self.output()}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()


@pytest.fixture
def daemons():
    started: list[Daemon] = []

    def start(cwd: Path, *args: str) -> Daemon:
        d = Daemon(cwd, *args)
        started.append(d)
        d.wait_for_log("daemon running")
        return d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def titles(site: Path, feed: str = "atom.xml") -> list[str]:
    path = site / "output" / feed
    return [e.title for e in feedparser.parse(path.read_bytes()).entries] if path.exists() else []


def eventually(check, timeout: float = 15) -> None:
    """Poll ``check`` until it is true; the latency itself is measured in bench/, not asserted here."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    assert check()


def article(title: str):
    """A small article page, as a werkzeug response."""
    from werkzeug import Response

    return Response(f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>"
                    + "Enough words to be the body of this article page. " * 5 + "</p></article></body></html>",
                    content_type="text/html")


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_seed_changes_are_published_while_running(site, daemons):
    write(site / "seeds" / "first.txt", "First\n\nbody")
    d = daemons(site)
    assert titles(site) == ["First"]
    write(site / "seeds" / "second.md", "# Second\n\nbody")
    eventually(lambda: "Second" in titles(site))
    ids = {e.title: e.id for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries}
    write(site / "seeds" / "second.md", "# Second, edited\n\nbody")
    eventually(lambda: "Second, edited" in titles(site))
    (site / "seeds" / "sub").mkdir()
    os.rename(site / "seeds" / "first.txt", site / "seeds" / "sub" / "moved.txt")
    write(site / "seeds" / ".second.md.swp", "editor junk")
    eventually(lambda: (site / "output" / "items" / "first.html").exists()
               and sorted(titles(site)) == ["First", "Second, edited"])
    after = {e.title: e.id for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries}
    assert after["First"] == ids["First"] and after["Second, edited"] == ids["Second"]
    (site / "seeds" / "second.md").unlink()
    eventually(lambda: titles(site) == ["First"])
    assert d.stop() == 0
    assert no_temp_files(site / "output")


def test_sigterm_during_a_big_build_exits_0_and_leaves_whole_feeds(site, daemons):
    for i in range(3000):
        write(site / "seeds" / f"d{i:04d}.txt", f"Doc {i}\n\n" + "words " * 200)
    # Every document in the feed, so each is extracted in full: the first build takes long enough to interrupt.
    write(site / "seedfeed.toml", 'seeds = ["seeds"]\nmax_items = 5000\n')
    d = Daemon(site)
    eventually(lambda: (site / ".seedfeed" / "state.sqlite.lock").exists(), timeout=30)  # the first build has begun
    time.sleep(0.3)
    assert d.stop() == 0
    assert "daemon running" not in d.output()  # it really was stopped in the middle of the first build
    for name in ("rss.xml", "atom.xml"):
        path = site / "output" / name
        if path.exists():
            assert not feedparser.parse(path.read_bytes()).bozo
    assert not (site / "output").exists() or no_temp_files(site / "output")
    assert "Traceback" not in d.output()


def test_sighup_adds_a_source_and_a_broken_config_keeps_the_old_one(site, daemons, httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/story").respond_with_data(
        "<html><head><title>Web story</title></head><body><article><h1>Web story</h1><p>"
        + "Plenty of words in this paragraph to make it the article body. " * 5 + "</p></article></body></html>",
        content_type="text/html")
    write(site / "seeds" / "a.txt", "Seed doc\n\nbody")
    write(site / "seedfeed.toml", 'allow_private = true\nseeds = ["seeds"]\n')
    d = daemons(site)
    assert titles(site) == ["Seed doc"]
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = ["seeds"]\npages = ["{httpserver.url_for("/story")}"]\n')
    mark = len(d.output())
    d.signal(signal.SIGHUP)
    d.wait_for_log("configuration reloaded", after=mark)
    eventually(lambda: sorted(titles(site)) == ["Seed doc", "Web story"])
    write(site / "seedfeed.toml", "this is = not [ toml\n")
    mark = len(d.output())
    d.signal(signal.SIGHUP)
    d.wait_for_log("keeping the running configuration", after=mark)
    assert "seedfeed.toml" in d.output()[mark:]
    write(site / "seeds" / "b.txt", "Still running\n\nbody")
    eventually(lambda: "Still running" in titles(site))
    assert d.stop() == 0


def test_url_source_on_a_short_schedule_is_refetched(site, daemons, httpserver):
    version = {"n": 1}

    def page(_request):
        return article(f"Version {version['n']}")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page").respond_with_handler(page)
    url = httpserver.url_for("/page")
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = []\n\n[[pages]]\nurl = "{url}"\nevery = "2s"\n')
    d = daemons(site)
    assert titles(site) == ["Version 1"]
    version["n"] = 2
    eventually(lambda: titles(site) == ["Version 2"], timeout=30)
    assert d.stop() == 0


def test_two_daemons_on_the_same_folders_do_not_corrupt_each_other(site, daemons):
    write(site / "seeds" / "a.txt", "A\n\nbody")
    one = daemons(site)
    two = daemons(site)
    for i in range(20):
        write(site / "seeds" / f"n{i}.txt", f"N{i}\n\nbody")
    eventually(lambda: len(titles(site)) == 21)
    assert one.stop() == 0 and two.stop() == 0
    for name in ("rss.xml", "atom.xml"):
        assert not feedparser.parse((site / "output" / name).read_bytes()).bozo
    assert no_temp_files(site / "output")


def test_serve_and_healthz_from_the_daemon(site, daemons):
    import socket

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write(site / "seeds" / "a.txt", "A\n\nbody")
    d = daemons(site, "--serve", f"127.0.0.1:{port}", "--log-format", "json")
    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert health.status_code == 200
    first = requests.get(f"http://127.0.0.1:{port}/atom.xml", timeout=5)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/atom+xml")
    again = requests.get(f"http://127.0.0.1:{port}/atom.xml", headers={"If-None-Match": first.headers["ETag"]}, timeout=5)
    assert again.status_code == 304
    assert d.stop() == 0
    import json

    lines = [json.loads(line) for line in d.output().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "run" for line in lines)


def test_a_restart_does_not_refetch_sources_that_are_not_due(site, daemons, httpserver):
    hits: list[str] = []

    def page(request):
        hits.append(request.path)
        return article("Hourly")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/hourly").respond_with_handler(page)
    url = httpserver.url_for("/hourly")
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = []\nevery = "1h"\npages = ["{url}"]\n')
    first = daemons(site)
    assert titles(site) == ["Hourly"] and hits == ["/hourly"]
    assert first.stop() == 0
    second = daemons(site)
    time.sleep(1.0)
    assert hits == ["/hourly"]  # stored last run: not due for another hour
    assert second.stop() == 0


def test_polling_fallback_picks_up_changes(site, daemons):
    write(site / "seeds" / "a.txt", "Polled\n\nbody")
    d = daemons(site, "--poll")
    write(site / "seeds" / "b.txt", "Found by polling\n\nbody")
    eventually(lambda: "Found by polling" in titles(site))
    assert d.stop() == 0
