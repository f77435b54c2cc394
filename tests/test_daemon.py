"""The daemon as a real subprocess on temporary folders."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
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


SLOW_FEED_WRITE = """
import sys, time
from pathlib import Path
import seedfeed.pipeline.write as pipeline   # where a feed's files are written
from seedfeed.cli import main

real = pipeline.write_if_changed

def write_if_changed(path, data, **kw):
    if path.name == "rss.xml":            # the feed write takes long enough for a signal to land inside it
        Path("writing").write_text("rss.xml")
        time.sleep(1.5)
    return real(path, data, **kw)

pipeline.write_if_changed = write_if_changed
sys.exit(main(["daemon", *sys.argv[1:]]))
"""


def test_sigterm_during_a_write_waits_for_it_then_exits_0(site):
    """SIGTERM while the feed files are being written: the daemon finishes writing them, then exits 0.

    The real daemon and build, with the RSS write slowed down (1.5 s before the real write, see above) so the
    signal surely lands while it is in progress; a daemon that exits without waiting leaves the feeds missing."""
    for i in range(20):
        write(site / "seeds" / f"d{i:04d}.txt", f"Doc {i}\n\n" + "words " * 200)
    log = site / "daemon.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", SLOW_FEED_WRITE], cwd=site, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            eventually(lambda: (site / "writing").exists() or proc.poll() is not None, timeout=60)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = log.read_text()
    assert "daemon running" not in output  # it really was stopped in the middle of the first build
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((site / "output" / name).read_bytes())
        assert not parsed.bozo and len(parsed.entries) == 20, name
    assert len(json.loads((site / "output" / "feed.json").read_bytes())["items"]) == 20
    assert no_temp_files(site / "output")
    assert "Traceback" not in output


def test_seed_changes_are_picked_up_within_a_second(site, daemons):
    """The README promises a change is published "within a second". Measured from the daemon's own log: the
    time between writing a file and the start of the run it triggered (the log line's time minus the run's
    duration), so a slow machine's build time does not count. 1.5 s of the median of three leaves room for a
    busy machine; bench/daemon.py reports the real figures (p50/p95)."""
    write(site / "seeds" / "a.txt", "A\n\nbody")
    d = daemons(site, "--log-format", "json")
    waits = []
    for i in range(3):
        before = len(d.output())
        written = time.time()
        write(site / "seeds" / f"new{i}.txt", f"New {i}\n\nbody")
        eventually(lambda i=i: f"New {i}" in titles(site))
        d.wait_for_log('"event": "run"', after=before)
        runs = [json.loads(line) for line in d.output()[before:].splitlines()
                if line.startswith("{") and '"event": "run"' in line]
        logged = datetime.fromisoformat(runs[0]["time"]).timestamp()
        took = float(re.search(r"([0-9.]+) s\)$", runs[0]["message"]).group(1))
        waits.append(logged - took - written)
    assert sorted(waits)[1] < 1.5, f"seconds from a write to the run it started: {waits}"
    assert d.stop() == 0


def test_healthz_fails_until_a_build_succeeds_and_cache_control_follows_the_schedule(site, daemons, httpserver):
    """/healthz answers 503 while no build has succeeded (here: output/ cannot be created) and 200 once one
    has; a feed polled every 20 minutes is served with max-age=1200, not the default 300."""
    import requests

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page").respond_with_handler(lambda request: article("Polled page"))
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = ["seeds"]\noutput = "blocker/out"\nevery = "20m"\n'
                                  f'pages = ["{httpserver.url_for("/page")}"]\n')
    write(site / "blocker", "a file where the output folder's parent should be")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = daemons(site, "--serve", f"127.0.0.1:{port}")
    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert health.status_code == 503 and health.json()["ok"] is False, health.text
    (site / "blocker").unlink()
    write(site / "seeds" / "fix.txt", "Fixed\n\nbody")    # the watcher starts a run, which now succeeds
    eventually(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200)
    feed = requests.get(f"http://127.0.0.1:{port}/atom.xml", timeout=5)
    assert feed.status_code == 200 and feed.headers["Cache-Control"] == "max-age=1200"
    page = requests.get(f"http://127.0.0.1:{port}/items/fix.html", timeout=5)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "max-age=3600"
    assert d.stop() == 0


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
