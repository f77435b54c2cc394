"""A bounded slowloris against ``seedfeed serve`` on 127.0.0.1, with the open-file limit lowered (issue #11, item 9).

    python bench/slowloris.py                  # RLIMIT_NOFILE 64, 100 slow sockets, 20 x 8 MB header lines
    python bench/slowloris.py --nofile 1024 --idle 1100

It builds a small output folder, starts ``python -m seedfeed serve`` as a subprocess whose open-file limit is
``--nofile``, and then, while a well-behaved client asks for ``/rss.xml`` every 0.2 s:

1. opens ``--idle`` sockets that send nothing, half a request line, or headers without the final blank line
   (a third each), holds them ``--hold`` seconds, and reports how many the server closed and when;
2. opens 20 connections that each send 8 MB of one unfinished header line, and reports the server's resident
   memory (VmRSS) before, at the peak, and while they are held, and what the server answered.

Figures printed: well-behaved GETs answered / failed during each phase, slow sockets closed by the server (and
the median time to close), memory in MB. Set ``PYTHONPATH`` to another version's package to measure it the same
way (the "before" figures in the report were taken so).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Poller(threading.Thread):
    """A well-behaved reader: GET /rss.xml every 0.2 s on a fresh connection."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.ok = 0
        self.failed = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.2):
            try:
                with urllib.request.urlopen(self.url, timeout=3) as resp:
                    resp.read()
                    self.ok += resp.status == 200
            except Exception:  # noqa: BLE001 - any failure is what we count
                self.failed += 1

    def take(self) -> tuple[int, int]:
        ok, failed = self.ok, self.failed
        self.ok = self.failed = 0
        return ok, failed


def slow_sockets(port: int, count: int, hold: float) -> tuple[int, list[float]]:
    """Open ``count`` slow sockets; return how many the server closed within ``hold`` s and when."""
    payloads = [b"", b"GET /rss.xm", b"GET /rss.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\n"]
    socks: list[tuple[socket.socket, float]] = []
    for i in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            continue
        s.sendall(payloads[i % 3])
        s.setblocking(False)
        socks.append((s, time.monotonic()))
    closed: list[float] = []
    open_socks = dict(socks)
    end = time.monotonic() + hold
    while open_socks and time.monotonic() < end:
        for s, started in list(open_socks.items()):
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"" or data:
                # closed (EOF) or answered with an error before closing: either way the server let go
                closed.append(time.monotonic() - started)
                del open_socks[s]
                s.close()
        time.sleep(0.1)
    for s in open_socks:
        s.close()
    return len(closed), closed


def big_headers(port: int, count: int, size: int, pid: int, hold: float) -> dict:
    """``count`` connections each sending ``size`` bytes of one header line that never ends."""
    before = rss_mb(pid)
    answers: list[bytes] = []
    socks: list[socket.socket] = []
    chunk = b"a" * 65536

    def attack() -> None:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        socks.append(s)
        try:
            s.sendall(b"GET /rss.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            sent = 0
            while sent < size:
                sent += s.send(chunk)
        except OSError:
            pass
        try:
            s.settimeout(0.5)
            answers.append(s.recv(200))
        except OSError:
            answers.append(b"(no answer)")

    threads = [threading.Thread(target=attack) for _ in range(count)]
    for t in threads:
        t.start()
    peak = before
    end = time.monotonic() + 20
    while any(t.is_alive() for t in threads) and time.monotonic() < end:
        peak = max(peak, rss_mb(pid))
        time.sleep(0.1)
    held_until = time.monotonic() + hold
    while time.monotonic() < held_until:
        peak = max(peak, rss_mb(pid))
        time.sleep(0.2)
    during = rss_mb(pid)
    for s in socks:
        s.close()
    statuses: dict[str, int] = {}
    for a in answers:
        key = a.split(b"\r\n", 1)[0].decode("latin-1") or "(closed)"
        statuses[key] = statuses.get(key, 0) + 1
    return {"before": before, "peak": peak, "held": during, "answers": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nofile", type=int, default=64)
    parser.add_argument("--idle", type=int, default=100, help="slow sockets held open at once")
    parser.add_argument("--hold", type=float, default=25, help="seconds to hold them")
    parser.add_argument("--big", type=int, default=20, help="connections sending one huge header line")
    parser.add_argument("--big-mb", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "seeds").mkdir()
        for n in range(20):
            (folder / "seeds" / f"post-{n}.md").write_text(f"# Post {n}\n\nSome text for post {n}.\n")
        subprocess.run([sys.executable, "-m", "seedfeed", "build", "-q"], cwd=folder, check=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, args.nofile))

        server = subprocess.Popen([sys.executable, "-m", "seedfeed", "serve", "--listen", f"127.0.0.1:{port}", "-q"],
                                  cwd=folder, preexec_fn=limit, env=os.environ.copy())
        try:
            url = f"http://127.0.0.1:{port}/rss.xml"
            for _ in range(100):
                try:
                    urllib.request.urlopen(url, timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"seedfeed serve (pid {server.pid}), RLIMIT_NOFILE {args.nofile}, "
                  f"{rss_mb(server.pid):.1f} MB at rest")
            poller = Poller(url)
            poller.start()
            time.sleep(2)
            ok, failed = poller.take()
            print(f"baseline: {ok} GET /rss.xml answered, {failed} failed (2 s)")
            closed, times = slow_sockets(port, args.idle, args.hold)
            ok, failed = poller.take()
            median = f", median {statistics.median(times):.1f} s after opening" if times else ""
            print(f"slowloris: {args.idle} slow sockets (nothing / half a request line / headers without the blank "
                  f"line) held {args.hold:g} s: {closed} closed by the server{median}")
            print(f"  during it: {ok} GET /rss.xml answered, {failed} failed")
            big = big_headers(port, args.big, args.big_mb * 1024 * 1024, server.pid, 5)
            ok, failed = poller.take()
            print(f"big headers: {args.big} connections x {args.big_mb} MB of one header line: memory "
                  f"{big['before']:.1f} MB before, {big['peak']:.1f} MB peak, {big['held']:.1f} MB while held; "
                  f"answers {big['answers']}")
            print(f"  during it: {ok} GET /rss.xml answered, {failed} failed")
            poller.halt.set()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
