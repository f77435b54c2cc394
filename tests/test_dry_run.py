"""``seedfeed build --dry-run``: says what would change, and writes nothing -- not feeds, pages or state."""

from __future__ import annotations

import time

from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once

from tests.conftest import FIXED_NOW, run_cli, snapshot, write
from tests.test_web import Site, web  # noqa: F401 - the fixture


def everything(site) -> dict[str, tuple[bytes, int]]:
    """Every file of the site except the seeds, with bytes and mtime (state, lock, previous versions, output)."""
    return {k: v for k, v in snapshot(site).items() if not k.startswith("seeds/")}


def test_dry_run_lists_changes_and_leaves_every_byte_and_mtime_alone(site):
    for name in "abc":
        write(site / "seeds" / f"{name}.txt", f"Title {name.upper()}\n\nBody of {name}.")
    assert run_cli("build", cwd=site).returncode == 0
    write(site / "seeds" / "a.txt", "Title A\n\nA new body.")
    (site / "seeds" / "b.txt").unlink()
    write(site / "seeds" / "d.txt", "Title D\n\nBody of d.")
    before = everything(site)
    assert ".seedfeed/state.sqlite" in before and "output/atom.xml" in before
    time.sleep(0.02)

    result = run_cli("build", "--dry-run", cwd=site)

    assert result.returncode == 0, result.stderr
    assert everything(site) == before
    lines = result.stdout.splitlines()
    assert lines[0] == "(default): 1 new, 1 updated, 1 removed"
    assert {"  new:     Title D", "  updated: Title A", "  removed: Title B"} <= set(lines)
    assert lines[-1] == "dry run: nothing was written"
    # ... and a real build then does exactly that
    real = run_cli("build", cwd=site)
    assert "1 new, 1 updated, 1 removed" in real.stderr


def test_dry_run_before_any_build_creates_nothing(site):
    write(site / "seeds" / "a.txt", "Title A\n\nBody.")
    result = run_cli("build", "--dry-run", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "  new:     Title A" in result.stdout
    assert sorted(p.name for p in site.iterdir()) == ["seeds"]


def test_dry_run_flag_is_on_the_report_for_later_stages(site):
    """Stages added after rendering (index pages, OPML) read ``report.dry_run`` to skip their writes."""
    write(site / "seeds" / "a.txt", "Title A\n\nBody.")
    report = run_once(load(None, Overrides(), site), FIXED_NOW, dry_run=True)
    assert report.dry_run and report.feeds[0].new == 1 and report.feeds[0].files_written == 0
    assert not (site / "output").exists() and not (site / ".seedfeed").exists()


def test_dry_run_fetches_but_stores_no_conditional_get_state(tmp_path, web):  # noqa: F811
    web.article("/a", "Story A", "Version one.")
    url = web.url("/a")
    assert run_cli("build", "--url", url, "--allow-private", cwd=tmp_path).returncode == 0
    web.article("/a", "Story A, corrected", "Version two.")   # a new ETag
    before = everything(tmp_path)
    hits = len(web.hits)
    time.sleep(0.02)

    result = run_cli("build", "--dry-run", "--refresh", "--url", url, "--allow-private", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert len(web.hits) == hits + 1                     # fetched (read-only) ...
    assert "  updated: Story A, corrected" in result.stdout
    assert everything(tmp_path) == before                # ... but no ETag, item or output stored


def test_dry_run_on_a_damaged_state_file_names_it_and_exits_3(site):
    write(site / "seeds" / "a.txt", "Title A\n\nBody.")
    state = site / ".seedfeed" / "state.sqlite"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b"not an SQLite database, " * 200)

    result = run_cli("build", "--dry-run", cwd=site)

    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "state.sqlite: cannot read the state file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert state.read_bytes() == b"not an SQLite database, " * 200
