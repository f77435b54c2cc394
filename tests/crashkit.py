"""Shared by the crash-safety tests: a generated multi-feed site, a pinned clock, and the checks made after
every interrupted or failed run (feeds whole and old-or-new, state intact, no temp files left as feeds)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from tests.conftest import ROOT

FEEDS = ("alpha", "beta")
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")
EPOCH_1 = int(datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp())   # the first build's pinned clock
EPOCH_2 = EPOCH_1 + 86400                                             # the incremental build's
_MTIME_BASE = datetime(2025, 1, 1, tzinfo=UTC)


def doc_text(feed: str, i: int, edition: int = 1) -> str:
    words = " ".join(f"word{(i * 7 + k) % 97}" for k in range(40))
    if i % 2:
        return f"# {feed.title()} note {i} (edition {edition})\n\nParagraph one of {i}: {words}.\n\n- a\n- b *{i}*\n"
    return f"{feed.title()} text {i} edition {edition}\n\n{words}\n"


def doc_name(i: int) -> str:
    return f"note-{i:05d}.md" if i % 2 else f"text-{i:05d}.txt"


def make_seeds(root: Path, per_feed: int) -> Path:
    """``root/<feed>/`` with ``per_feed`` small documents each, every file with a fixed mtime."""
    for feed in FEEDS:
        folder = root / feed
        folder.mkdir(parents=True)
        for i in range(per_feed):
            set_doc(folder / doc_name(i), doc_text(feed, i), _MTIME_BASE + timedelta(minutes=i))
    return root


def set_doc(path: Path, text: str, mtime: datetime) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))


def evolve_seeds(src: Path, dst: Path, per_feed: int) -> Path:
    """A copy of ``src`` with some documents edited, some deleted and some added (fixed mtimes, so every
    copy of it builds the same)."""
    shutil.copytree(src, dst)
    later = _MTIME_BASE + timedelta(days=200)
    for feed in FEEDS:
        folder = dst / feed
        for i in range(per_feed - 30, per_feed, 3):                 # edit some of the newest (in the window)
            set_doc(folder / doc_name(i), doc_text(feed, i, 2), later + timedelta(minutes=i))
        for i in range(per_feed - 40, per_feed - 34):                # delete some shown ones
            (folder / doc_name(i)).unlink()
        for i in range(5, per_feed // 2, max(1, per_feed // 20)):    # edit some old ones (outside the window)
            set_doc(folder / doc_name(i), doc_text(feed, i, 3), later + timedelta(minutes=i))
        for i in range(per_feed, per_feed + 25):                     # add new ones
            set_doc(folder / doc_name(i), doc_text(feed, i), later + timedelta(hours=1, minutes=i))
    return dst


def write_config(site: Path, seeds: Path, max_items: int = 50) -> Path:
    """``site/seedfeed.toml`` publishing each folder of ``seeds`` as its own feed into site/output."""
    feeds = "".join(f'[[feeds]]\nname = "{f}"\ntitle = "{f.title()}"\nseeds = ["{seeds / f}"]\n\n' for f in FEEDS)
    path = site / "seedfeed.toml"
    path.write_text(f'output = "output"\nstate = ".seedfeed/state.sqlite"\nbase_url = "https://example.org/"\n'
                    f"max_items = {max_items}\n\n{feeds}", encoding="utf-8")
    return path


def cli_argv(site: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "seedfeed", *args, "--config", str(site / "seedfeed.toml")]


def cli_env(epoch: int | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return env


def build(site: Path, epoch: int | None, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_argv(site, "build", "-q", *args), cwd=site, capture_output=True, text=True,
                          timeout=timeout, env=cli_env(epoch), check=False)


def build_in_process(site: Path, epoch: int) -> None:
    """``seedfeed build`` with the clock pinned at ``epoch``, without a new interpreter (the same code path)."""
    from seedfeed.config import Overrides, load
    from seedfeed.pipeline import run_once

    run_once(load(site / "seedfeed.toml", Overrides(), site), datetime.fromtimestamp(epoch, UTC), lock_wait=30)


def start(argv: list[str], site: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(argv, cwd=site, stdout=handle, stderr=subprocess.STDOUT, env=env)


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal ``proc`` without reaping it first (``Popen.kill`` would, hiding its rusage from :func:`reap`);
    an exited but unreaped child keeps its pid, so this never hits another process."""
    os.kill(proc.pid, sig)


def reap(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for ``proc``; returns (exit status, peak RSS in MB), negative status = killed by that signal.

    The RSS includes pytest's own high-water mark (Linux keeps it across the fork and exec), so it is no
    measure of the build; tests/peak_rss.py measures a build's own peak."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def copy_site(src: Path, dst: Path) -> Path:
    """A copy of a built site (config, state, output); the seed folders are shared, never written."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def output_files(site: Path) -> dict[str, bytes]:
    out = site / "output"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} if out.is_dir() else {}


def feed_files(site: Path) -> dict[str, bytes]:
    return {k: v for k, v in output_files(site).items() if k.rsplit("/", 1)[-1] in FEED_FILES}


def parse_feed(name: str, data: bytes) -> list[str]:
    """The item ids of a complete feed file; raises if it is cut short or malformed."""
    if name.endswith(".json"):
        return [item["id"] for item in json.loads(data)["items"]]
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if name.endswith("atom.xml"):
        return [e.text for e in root.iterfind("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}id")]
    return [e.text for e in root.iterfind("channel/item/guid")]


def check_state(site: Path) -> int:
    """``PRAGMA integrity_check`` is ok; returns the number of live items.

    Opened read-write, as the next run opens it: a kill while the state file is being created (before WAL mode
    is on) leaves a hot rollback journal, which a read-only connection cannot roll back ("attempt to write a
    readonly database")."""
    db = sqlite3.connect(f"file:{site / '.seedfeed' / 'state.sqlite'}?mode=rw", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'items'").fetchone():
            return 0  # killed while creating it: an empty state, which the next run sets up
        return db.execute("SELECT count(*) FROM items WHERE removed_at IS NULL").fetchone()[0]
    finally:
        db.close()


def live_counts(site: Path) -> dict[str, int]:
    """Live items per feed in the state."""
    db = sqlite3.connect(f"file:{site / '.seedfeed' / 'state.sqlite'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT feed, count(*) FROM items WHERE removed_at IS NULL GROUP BY feed"))
    finally:
        db.close()


def check_after_interruption(site: Path, old: dict[str, bytes], new: dict[str, bytes]) -> list[str]:
    """Problems with a site after a killed or failed run: each feed file must parse completely and be either
    its previous bytes or the reference's; no temp file may sit where a feed is looked for; the state must
    pass an integrity check. Returns the list of problems (empty: fine)."""
    problems = []
    for name, data in feed_files(site).items():
        try:
            parse_feed(name, data)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
            problems.append(f"{name} does not parse: {exc}")
            continue
        if data != old.get(name) and data != new.get(name):
            problems.append(f"{name} is neither the previous nor the new version")
    out = site / "output"
    for name, data in feed_files(site).items():
        if not name.endswith("atom.xml"):
            continue
        with contextlib.suppress(etree.XMLSyntaxError):
            for link in etree.fromstring(data).iterfind("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link"):
                page = out / link.get("href").removeprefix("https://example.org/")
                if not page.is_file() or not page.read_bytes().rstrip().endswith(b"</html>"):
                    problems.append(f"{name} links to {page.relative_to(out)}, which is missing or cut short")
    for name in set(old) - set(output_files(site)):
        problems.append(f"{name} was published before and is gone")
    for name in output_files(site):
        if name.endswith(".tmp") and not name.rsplit("/", 1)[-1].startswith("."):
            problems.append(f"temp file {name} is visible")
    state = site / ".seedfeed" / "state.sqlite"
    if state.exists():
        try:
            check_state(site)
        except (AssertionError, sqlite3.Error) as exc:
            problems.append(f"state integrity: {exc!r}")
    return problems
