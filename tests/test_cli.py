"""The real command line, as a user (or cron) runs it."""

from __future__ import annotations

import json
import shutil
import time

import feedparser
from lxml import etree

from tests.conftest import ROOT, run_cli, snapshot, write


def test_shipped_seeds_publish_with_no_config(tmp_path):
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "output"
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert (out / name).is_file()
    rss = feedparser.parse((out / "rss.xml").read_bytes())
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert not rss.bozo and not atom.bozo
    assert rss.version == "rss20" and atom.version == "atom10"
    assert len(rss.entries) == len(list((ROOT / "seeds").glob("*.txt"))) >= 1
    link = rss.entries[0].link
    assert link.startswith("http://localhost:8000/items/")
    page = out / link.removeprefix("http://localhost:8000/")
    assert page.is_file() and rss.entries[0].title in page.read_text()
    feed = json.loads((out / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert (tmp_path / ".seedfeed" / "state.sqlite").is_file()  # state beside the seeds, not in output/


def test_rebuild_with_nothing_changed_is_silent_and_touches_nothing(site):
    write(site / "seeds" / "a.txt", "Title A\n\nBody of A.")
    assert run_cli("build", cwd=site).returncode == 0
    before = snapshot(site / "output")
    time.sleep(0.01)
    again = run_cli("build", cwd=site)
    assert again.returncode == 0
    assert again.stdout == "" and again.stderr == ""
    assert snapshot(site / "output") == before


def test_broken_documents_are_skipped_and_reported_others_published(site):
    write(site / "seeds" / "good.txt", "Good news\n\nIt worked.")
    write(site / "seeds" / "empty.txt", "")
    write(site / "seeds" / "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write(site / "seeds" / "bad-front.md", "---\ntitle: [unclosed\n---\nbody")
    (site / "seeds" / "dangling.md").symlink_to(site / "nowhere.md")
    (site / "seeds" / "loop").symlink_to(site / "seeds", target_is_directory=True)
    write(site / "seeds" / "notes.docx", b"PK\x03\x04")
    write(site / "seeds" / ".hidden.txt", "x\n\ny")
    write(site / "seeds" / "draft.txt~", "x\n\ny")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    for name, reason in [("empty.txt", "empty"), ("binary.txt", "binary"), ("bad-front.md", "YAML"),
                         ("dangling.md", "broken symlink"), ("loop", "symlink loop")]:
        line = next(line for line in result.stderr.splitlines() if name in line)
        assert reason in line, line
    assert "notes.docx" not in result.stderr and "draft.txt~" not in result.stderr  # ignored quietly
    verbose = run_cli("build", "-v", cwd=site)
    assert "notes.docx" in verbose.stderr and "unknown extension" in verbose.stderr
    entries = feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries
    assert [e.title for e in entries] == ["Good news"]


def test_a_published_document_that_breaks_keeps_its_published_version(site):
    write(site / "seeds" / "a.md", "---\ntitle: Kept\n---\nBody")
    assert run_cli("build", cwd=site).returncode == 0
    write(site / "seeds" / "a.md", "---\ntitle: [broken\n---\nBody")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0 and "a.md" in result.stderr
    entries = feedparser.parse((site / "output" / "rss.xml").read_bytes()).entries
    assert [e.title for e in entries] == ["Kept"]


def test_too_large_document_is_skipped_with_the_cap_named(site):
    write(site / "seeds" / "big.txt", "Big\n\n" + "word " * 300_000)
    write(site / "seedfeed.toml", "max_bytes = 100000\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0
    assert "big.txt" in result.stderr and "too large" in result.stderr and "max_bytes" in result.stderr


def test_config_errors_name_file_key_and_fix(site):
    write(site / "seedfeed.toml", 'titel = "typo"\n')
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert "seedfeed.toml" in result.stderr and "titel" in result.stderr and "hint:" in result.stderr
    write(site / "seedfeed.toml", "max_items = 'ten'\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1 and "max_items" in result.stderr
    write(site / "seedfeed.toml", "[[feeds]\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1 and "TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_exits_3(site):
    write(site / "seeds" / "a.txt", "A\n\nB")
    write(site / "output", "a file where the output folder should be")
    result = run_cli("build", cwd=site)
    assert result.returncode == 3, result.stderr
    assert "output" in result.stderr and "Traceback" not in result.stderr


def test_second_run_waits_then_reports_the_lock(site):
    import fcntl
    import os

    write(site / "seeds" / "a.txt", "A\n\nB")
    assert run_cli("build", cwd=site).returncode == 0
    fd = os.open(site / ".seedfeed" / "state.sqlite.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = run_cli("build", "--wait", "0.3", cwd=site)
    finally:
        os.close(fd)
    assert result.returncode == 4
    assert "another seedfeed run" in result.stderr


def test_several_feeds_from_one_config(site):
    write(site / "news" / "n.txt", "News item\n\nText.")
    write(site / "blog" / "b.md", "# Blog post\n\nHello *world*.")
    write(site / "seedfeed.toml", """
base_url = "https://example.org/feeds/"
language = "en"

[[feeds]]
name = "news"
title = "News"
link = "https://example.org/news/"
seeds = ["news"]

[[feeds]]
name = "blog"
title = "Blog"
seeds = ["blog"]
max_items = 5
""")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    news = feedparser.parse((site / "output" / "news" / "rss.xml").read_bytes())
    blog = feedparser.parse((site / "output" / "blog" / "atom.xml").read_bytes())
    assert news.feed.title == "News" and news.feed.link == "https://example.org/news/"
    assert [e.title for e in news.entries] == ["News item"]
    assert blog.entries[0].title == "Blog post"
    assert blog.entries[0].link.startswith("https://example.org/feeds/blog/items/")
    assert news.feed.language == "en"


def test_help_documents_every_command_and_exit_status():
    result = run_cli("--help", cwd=ROOT)
    for command in ("build", "extract", "serve", "daemon", "status"):
        assert command in result.stdout
    build = run_cli("build", "--help", cwd=ROOT)
    assert "exit status" in build.stdout and "--base-url" in build.stdout
    readme = (ROOT / "README.md").read_text()
    for command in ("seedfeed build", "seedfeed extract", "seedfeed serve", "seedfeed daemon", "seedfeed status"):
        assert command in readme


def test_xml_output_is_well_formed_for_lxml(site):
    write(site / "seeds" / "a.txt", "Ampersands & <angles>\n\nControl \x07 char and \x0b vertical tab.")
    assert run_cli("build", cwd=site).returncode == 0
    for name in ("rss.xml", "atom.xml"):
        etree.fromstring((site / "output" / name).read_bytes())


def test_an_extractor_crash_on_one_document_is_reported_not_a_traceback(site):
    write(site / "seeds" / "good.txt", "Good\n\nbody")
    write(site / "seeds" / "odd.html", "<html><body><p>odd</p></body></html>")
    # Make the HTML extractor fail the way a parser bug would, for this run only.
    write(site / "sitecustomize.py", "import seedfeed.extraction.page as e\n"
          "def boom(*a, **k):\n    raise RuntimeError('parser exploded')\n"
          "e.extract_page = boom\n")
    result = run_cli("build", cwd=site, env={"PYTHONPATH": f"{site}:{ROOT}"})
    assert result.returncode == 0, result.stderr
    assert "odd.html" in result.stderr and "parser exploded" in result.stderr and "Traceback" not in result.stderr
    assert [e.title for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries] == ["Good"]


def test_help_is_as_wide_as_argparse_would_make_it(monkeypatch) -> None:
    # the CLI gives argparse the terminal width itself (argparse would import shutil for it): the same width,
    # whatever $COLUMNS says, and the same wrapped help
    import argparse

    from seedfeed.cli.main import build_parser, columns

    for value in (None, "57", "200", "abc", "0", "-3"):
        if value is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", value)
        assert columns() == shutil.get_terminal_size().columns, value
    monkeypatch.setenv("COLUMNS", "57")
    parser = build_parser()
    ours = parser.format_help()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter   # argparse's own width
    assert ours == parser.format_help()
    monkeypatch.setenv("COLUMNS", "120")
    assert build_parser().format_help() != ours   # the width is read each time, not fixed
