"""The no-change shortcut of ``seedfeed build`` (seedfeed.unchanged) decides exactly as a full run would.

A run that the shortcut answers "nothing to do", or tells which paths changed, must leave the same output and the
same state as a full run over the same seeds; anything it cannot see (arguments, environment, config, state,
output, a run holding the lock) must make it step aside.
"""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from seedfeed.cli.main import main as run_command
from seedfeed.config import Overrides, load
from seedfeed.unchanged import check
from seedfeed.unchanged.check import RACY_NS, parse_build_options, state_file
from seedfeed.unchanged.files import STAMP_SUFFIX

from tests.conftest import run_cli, write

T0 = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)
EPOCH = "1767225600"   # SOURCE_DATE_EPOCH for both trees: the same first-seen times, hence the same ids


def build(site: Path, monkeypatch: pytest.MonkeyPatch, *, shortcut: bool = True, args: tuple[str, ...] = ()) -> str:
    """One ``seedfeed build -q`` in ``site``, in this process, as seedfeed.cli.main runs it; what decided it."""
    monkeypatch.chdir(site)
    argv = ["build", "-q", *args]
    verdict = check(argv, str(site), os.environ) if shortcut else None
    if verdict is not None and verdict.done:
        return "done"
    assert run_command(argv, verdict) == 0
    if verdict is None or verdict.stamping is None:
        return "plain"
    return "paths" if verdict.changed is not None else "full"


def output_bytes(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site / "output")): p.read_bytes() for p in sorted((site / "output").rglob("*")) if p.is_file()}


def state_rows(site: Path) -> list[tuple]:
    db = sqlite3.connect(site / ".seedfeed" / "state.sqlite")
    try:
        return db.execute("SELECT feed, key, id, slug, content_hash, published, updated, first_seen, size, mtime_ns,"
                          " replace(doc, ?, 'SITE'), removed_at, has_page FROM items ORDER BY feed, key, id",
                          (str(site),)).fetchall()
    finally:
        db.close()


def random_step(rng: random.Random, step: int) -> list[tuple]:
    """A few file operations on a seed tree, as data, so that both trees get exactly the same."""
    folders = ["", "a", "a/b", "c"]
    ops: list[tuple] = []
    for n in range(rng.choice([0, 1, 1, 2, 3])):
        kind = rng.choice(["add", "add", "edit", "touch", "delete", "rename", "ignored", "hidden", "rmdir", "same"])
        name = f"{rng.choice(folders)}/doc-{rng.randrange(12)}.{rng.choice(['txt', 'md'])}".lstrip("/")
        stamp = (T0.timestamp() + step * 600 + n) * 1e9
        ops.append((kind, name, f"Title {step}-{n}\n\nBody {rng.random()} of step {step}.", int(stamp),
                    f"{rng.choice(folders)}/doc-{rng.randrange(12)}.txt".lstrip("/")))
    return ops


def apply(seeds: Path, ops: list[tuple]) -> None:
    for kind, name, text, mtime_ns, other in ops:
        path = seeds / name
        if kind in ("add", "edit") or (kind == "same" and not path.exists()):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text if kind != "edit" or not path.exists() else path.read_text() + text, encoding="utf-8")
            os.utime(path, ns=(mtime_ns, mtime_ns))
        elif kind == "same":   # same size, same mtime, other bytes: a walk trusts the stat, and so does the stamp
            before = path.stat()
            data = path.read_bytes()
            path.write_bytes(data[:-1] + (b"X" if data[-1:] != b"X" else b"Y"))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        elif kind == "touch" and path.exists():
            os.utime(path, ns=(mtime_ns, mtime_ns))
        elif kind == "delete" and path.exists():
            path.unlink()
        elif kind == "rename" and path.exists():
            (seeds / other).parent.mkdir(parents=True, exist_ok=True)
            path.rename(seeds / other)
        elif kind == "ignored":
            write(path.with_suffix(".swp"), text)
        elif kind == "hidden":
            write(seeds / ".drafts" / path.name, text)
        elif kind == "rmdir" and path.parent != seeds and path.parent.exists():
            for child in sorted(path.parent.rglob("*"), reverse=True):
                child.unlink() if child.is_file() else child.rmdir()
            path.parent.rmdir()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_runs_the_shortcut_decides_end_as_full_runs_do(tmp_path, monkeypatch, seed):
    """Random edits to two identical trees: one built with the shortcut, one with a full run every time."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    quick, full = tmp_path / "quick", tmp_path / "full"
    rng = random.Random(seed)
    decided: list[str] = []
    for step in range(30):
        ops = random_step(rng, step)
        for site in (quick, full):
            (site / "seeds").mkdir(parents=True, exist_ok=True)
            apply(site / "seeds", ops)
        decided.append(build(quick, monkeypatch))
        build(full, monkeypatch, shortcut=False)
        assert output_bytes(quick) == output_bytes(full), f"step {step}: {ops} ({decided[-1]})"
        assert state_rows(quick) == state_rows(full), f"step {step}: {ops} ({decided[-1]})"
    assert {"done", "paths"} <= set(decided), decided


def test_a_rebuild_with_nothing_changed_only_records_built_at(site):
    write(site / "seeds" / "one.md", "# One\n\nBody.", mtime=T0)
    assert run_cli("build", "-q", cwd=site).returncode == 0
    state = site / ".seedfeed" / "state.sqlite"
    assert (site / ".seedfeed" / f"state.sqlite{STAMP_SUFFIX}").is_file()
    before = sqlite3.connect(state).execute("SELECT built_at FROM feeds").fetchone()[0]
    outputs = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*")}
    result = run_cli("build", cwd=site)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    after = sqlite3.connect(state).execute("SELECT built_at FROM feeds").fetchone()[0]
    assert after > before and len(after) == len(before)
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) < timedelta(minutes=5)
    assert {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*")} == outputs
    assert "0s ago" in run_cli("status", cwd=site).stdout or "1s ago" in run_cli("status", cwd=site).stdout


def test_what_the_stamp_does_not_cover_makes_a_full_run(site):
    write(site / "seeds" / "one.md", "# One\n\nBody.", mtime=T0)
    write(site / "seedfeed.toml", 'title = "First"\n', mtime=T0)
    time.sleep(RACY_NS / 1e9)   # a config changed just now is never stamped (a second edit could share its mtime)
    stamp = site / ".seedfeed" / f"state.sqlite{STAMP_SUFFIX}"
    assert run_cli("build", "-q", cwd=site).returncode == 0 and stamp.is_file()
    rss = site / "output" / "rss.xml"
    # an output file removed by hand: the full run writes it again
    rss.unlink()
    assert run_cli("build", "-q", cwd=site).returncode == 0 and rss.is_file()
    # other arguments: a full run with them
    assert run_cli("build", "-q", "--title", "Second", cwd=site).returncode == 0
    assert b"<title>Second</title>" in rss.read_bytes()
    assert run_cli("build", "-q", cwd=site).returncode == 0
    assert b"<title>First</title>" in rss.read_bytes() and stamp.is_file()
    # the config edited (same size, mtime put back): its stat still differs (ctime)
    config = site / "seedfeed.toml"
    config.write_text('title = "Third"\n', encoding="utf-8")
    os.utime(config, (T0.timestamp(), T0.timestamp()))
    assert run_cli("build", "-q", cwd=site).returncode == 0
    assert b"<title>Third</title>" in rss.read_bytes()
    assert not stamp.exists()   # the config changed just now: no stamp until it is older
    time.sleep(RACY_NS / 1e9)
    assert run_cli("build", "-q", cwd=site).returncode == 0 and stamp.is_file()
    # the environment: another SOURCE_DATE_EPOCH is another run
    assert run_cli("build", "-q", cwd=site, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    built = sqlite3.connect(site / ".seedfeed" / "state.sqlite").execute("SELECT built_at FROM feeds").fetchone()[0]
    assert built.startswith("2026-01-01T00:00:00")
    assert run_cli("build", "-q", cwd=site).returncode == 0 and stamp.is_file()
    # another writer of the state: a render left pending is finished
    db = sqlite3.connect(site / ".seedfeed" / "state.sqlite")
    with db:
        db.execute("UPDATE feeds SET render_pending = 1")
    db.close()
    rss.write_bytes(b"stale")
    os.utime(rss, ns=(rss.stat().st_atime_ns, rss.stat().st_mtime_ns))
    assert run_cli("build", "-q", cwd=site).returncode == 0
    assert rss.read_bytes() != b"stale"


def test_a_torn_stamp_or_a_held_lock_means_a_full_run(site):
    write(site / "seeds" / "one.md", "# One\n\nBody.", mtime=T0)
    assert run_cli("build", "-q", cwd=site).returncode == 0
    stamp = site / ".seedfeed" / f"state.sqlite{STAMP_SUFFIX}"
    stamp.write_text('{"format": 1, "key"', encoding="utf-8")
    (site / "output" / "atom.xml").unlink()
    assert run_cli("build", "-q", cwd=site).returncode == 0
    assert (site / "output" / "atom.xml").is_file() and stamp.read_text().endswith("}")
    fd = os.open(site / ".seedfeed" / "state.sqlite.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:   # the shortcut does not wait: the full run waits for the lock, and says so
        result = run_cli("build", "-q", "--wait", "0.2", cwd=site)
    finally:
        os.close(fd)
    assert result.returncode == 4 and "another seedfeed run" in result.stderr


def test_no_stamp_after_a_run_with_problems_or_web_sources(site):
    write(site / "seeds" / "one.md", "# One\n\nBody.", mtime=T0)
    write(site / "seeds" / "bad.md", b"---\ntitle: [unclosed\n---\nBody", mtime=T0)
    stamp = site / ".seedfeed" / f"state.sqlite{STAMP_SUFFIX}"
    first = run_cli("build", "-q", cwd=site)
    assert "bad.md" in first.stderr and not stamp.exists()
    assert "bad.md" in run_cli("build", "-q", cwd=site).stderr   # reported again, every run
    (site / "seeds" / "bad.md").unlink()
    assert run_cli("build", "-q", cwd=site).returncode == 0 and stamp.exists()
    write(site / "seedfeed.toml", 'pages = ["http://127.0.0.1:9/page"]\nseeds = ["seeds"]\nallow_private = true\n', mtime=T0)
    run_cli("build", "-q", "--fetch-budget", "2", cwd=site)
    assert not stamp.exists()   # a URL source is due on its own schedule: no run may be skipped


@pytest.mark.parametrize("setup", ["plain", "seeds-elsewhere", "state-option", "state-folder", "config",
                                   "config-state"])
def test_the_check_finds_the_state_where_the_config_puts_it(tmp_path, monkeypatch, setup):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "docs" / "in").mkdir(parents=True)
    (tmp_path / "var").mkdir()
    argv = {"plain": ["build"], "seeds-elsewhere": ["build", "--seeds", "docs/in"],
            "state-option": ["build", "--state", "var/my.db"], "state-folder": ["build", "--state=var"],
            "config": ["build", "--config", "docs/site.toml"], "config-state": ["build", "--config", "docs/site.toml"]}[setup]
    if setup.startswith("config"):
        state = 'state = "../var/x.sqlite"\n' if setup == "config-state" else ""
        write(tmp_path / "docs" / "site.toml", 'seeds = ["in"]\n' + state)
    options = parse_build_options(argv)
    monkeypatch.chdir(tmp_path)
    config_path = tmp_path / options["--config"][-1] if "--config" in options else None
    expected = load(config_path, Overrides(seeds=options.get("--seeds"), state=(options.get("--state") or [None])[-1]),
                    tmp_path).state
    assert state_file(options, str(tmp_path)) == str(expected)


def test_arguments_the_check_does_not_understand_mean_a_full_run():
    assert parse_build_options(["build", "-q", "--seeds", "x", "--wait=3"]) == {"--seeds": ["x"], "--wait": ["3"]}
    for argv in (["build", "--dry-run"], ["build", "-v"], ["build", "--refresh"], ["build", "--url", "http://x/"],
                 ["build", "--seeds"], ["status"], ["build", "--see", "x"], ["build", "-qv"]):
        assert parse_build_options(argv) is None, argv


def test_seedfeed_no_shortcut_skips_the_check_and_the_stamp(site):
    write(site / "seeds" / "one.md", "# One\n\nBody.", mtime=T0)
    assert run_cli("build", "-q", cwd=site).returncode == 0
    stamp = site / ".seedfeed" / f"state.sqlite{STAMP_SUFFIX}"
    state = site / ".seedfeed" / "state.sqlite"
    before = stamp.stat().st_mtime_ns
    assert run_cli("build", "-q", cwd=site).returncode == 0
    assert stamp.stat().st_mtime_ns != before   # the shortcut ran: it records the state's new stat in the stamp
    before, built = stamp.stat().st_mtime_ns, sqlite3.connect(state).execute("SELECT built_at FROM feeds").fetchone()
    assert run_cli("build", "-q", cwd=site, env={"SEEDFEED_NO_SHORTCUT": "1"}).returncode == 0
    assert stamp.stat().st_mtime_ns == before   # a full run, which leaves no stamp (and voids this one)
    assert sqlite3.connect(state).execute("SELECT built_at FROM feeds").fetchone() != built
    assert (site / "output" / "rss.xml").is_file()
