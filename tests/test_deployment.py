"""The deployment recipes in docs/deployment.md, run as written (paths swapped for a temporary folder)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser

from tests.conftest import ROOT, write

DOC = (ROOT / "docs" / "deployment.md").read_text()


def block(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```[a-z]*\n(.*?)```", DOC, re.S)
    assert match, marker
    return match.group(1)


def env_with_seedfeed_on_path(tmp: Path) -> dict[str, str]:
    """A `seedfeed` executable on PATH that runs this checkout (as `pip install` would provide)."""
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "seedfeed"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m seedfeed \"$@\"\n")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def test_crontab_line_publishes_quietly(tmp_path):
    line = block("crontab").strip()
    fields = line.split(None, 5)
    assert len(fields) == 6 and fields[:5] == ["*"] * 5
    command = fields[5].replace("/srv/feeds", str(tmp_path))
    write(tmp_path / "seeds" / "a.txt", "From cron\n\nbody")
    env = env_with_seedfeed_on_path(tmp_path)
    first = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and first.stdout == "" and first.stderr == ""
    assert [e.title for e in feedparser.parse((tmp_path / "output" / "rss.xml").read_bytes()).entries] == ["From cron"]
    again = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""


def test_systemd_unit_starts_reloads_and_stops(tmp_path):
    unit = block("systemd")
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert settings["Restart"] == "on-failure"
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    exec_start = settings["ExecStart"].split()
    assert exec_start[0].endswith("/seedfeed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in exec_start[1:]]
    write(tmp_path / "seeds" / "a.txt", "Under systemd\n\nbody")
    env = env_with_seedfeed_on_path(tmp_path)
    log = (tmp_path / "journal.log").open("w")
    proc = subprocess.Popen([shutil.which("seedfeed", path=env["PATH"]), *args], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "daemon running" not in (tmp_path / "journal.log").read_text():
            assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "journal.log").read_text()
            time.sleep(0.05)
        import requests

        assert requests.get(f"http://127.0.0.1:{port}/rss.xml", timeout=5).status_code == 200
        os.kill(proc.pid, signal.SIGHUP)  # what ExecReload does
        deadline = time.monotonic() + 30
        while "configuration reloaded" not in (tmp_path / "journal.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "journal.log").read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # what systemctl stop does
        assert proc.wait(int(settings["TimeoutStopSec"])) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
