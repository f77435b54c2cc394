"""Promises the README makes that no other test checked (issue #16: every documented promise has a test).

Each test names the README sentence it holds the product to, and runs the real CLI as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from seedfeed import __version__

from tests.conftest import run_cli, write


def test_version_is_printed_by_both_spellings_of_the_command(tmp_path):
    """README: "`python -m seedfeed` works the same as `seedfeed`; `seedfeed --version` prints the version"."""
    module = run_cli("--version", cwd=tmp_path)
    assert module.returncode == 0 and module.stdout.strip() == f"seedfeed {__version__}", module
    script = Path(sys.executable).parent / "seedfeed"   # the console script pip installs beside the interpreter
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"seedfeed {__version__}", done


def test_an_unknown_config_key_is_an_error_naming_it_and_listing_the_allowed_ones(site):
    """README: "Unknown keys are errors that name the key and list the allowed ones" (exit 1)."""
    write(site / "seedfeed.toml", 'title = "T"\ntitel = "typo"\n')
    result = run_cli("build", cwd=site)
    assert result.returncode == 1, result
    assert "seedfeed.toml" in result.stderr and "unknown key 'titel'" in result.stderr, result.stderr
    assert "allowed keys are:" in result.stderr and "title" in result.stderr.split("allowed keys are:")[1]
    assert not (site / "output").exists()


def test_a_replaced_feed_file_is_kept_in_previous_beside_the_state(site):
    """README: "When a build replaces a feed file it keeps the old one in `previous/<feed>/` beside the state
    (`_default` for the feed published straight into `output/`), for `check`"."""
    write(site / "seeds" / "a.txt", "First\n\nbody")
    assert run_cli("build", cwd=site).returncode == 0
    first = (site / "output" / "atom.xml").read_bytes()
    write(site / "seeds" / "b.txt", "Second\n\nbody")
    assert run_cli("build", cwd=site).returncode == 0
    kept = site / ".seedfeed" / "previous" / "_default"
    assert (kept / "atom.xml").read_bytes() == first
    assert {p.name for p in kept.iterdir()} >= {"rss.xml", "atom.xml", "feed.json"}


def test_extract_uses_timezone_for_dates_given_without_a_zone(tmp_path):
    """README: "`--timezone` (default UTC) is used for dates the page gives without a zone"; a wrong zone is a
    clear error."""
    page = tmp_path / "page.html"
    page.write_text('<!doctype html><html lang="en"><head><title>Zone test</title>'
                    '<meta property="article:published_time" content="2026-02-01T10:00:00"></head><body><article>'
                    "<h1>Zone test</h1><p>" + "Enough words for an article body here. " * 10 + "</p></article></body></html>",
                    encoding="utf-8")
    default = run_cli("extract", str(page), "--url", "https://example.org/z", cwd=tmp_path)
    berlin = run_cli("extract", str(page), "--url", "https://example.org/z", "--timezone", "Europe/Berlin", cwd=tmp_path)
    assert default.returncode == 0 and berlin.returncode == 0, (default.stderr, berlin.stderr)
    assert json.loads(default.stdout)["published"] == "2026-02-01T10:00:00+00:00"
    assert json.loads(berlin.stdout)["published"] == "2026-02-01T10:00:00+01:00"
    wrong = run_cli("extract", str(page), "--timezone", "Mars/Olympus", cwd=tmp_path)
    assert wrong.returncode == 1 and "Mars/Olympus" in wrong.stderr and "IANA" in wrong.stderr, wrong.stderr
