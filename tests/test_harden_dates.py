"""A date that cannot be read never drops a document (issue #11, item 5).

Each case is a seed with a date nobody can read — a real Jekyll post's ``date: 2023-01-29 18:30:22 2023 -0800``,
``next tuesday``, ``updated: yesterday``, ``2024-13-45`` (which made the YAML loader fail the whole block) — built
through the real CLI. Each must be published with every other field intact, dated by its file time (what it would
have had without a date), with a warning naming the file and the value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from conftest import run_cli, write
from reliability import record

FILE_TIME = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
BODY = "A paragraph of body text.\n"
HTML_PAGE = ('<!DOCTYPE html><html><head><title>{title}</title>{meta}</head><body><article><h1>{title}</h1>'
             "<p>A paragraph of body text, long enough to be the main content of this page.</p></article></body></html>")

# file name -> (text, the unreadable value the warning must quote, the date expected as published)
CASES = {
    "jekyll.md": ("---\nlayout: post\ntitle: Jekyll post\ndate: 2023-01-29 18:30:22 2023 -0800\ntags: [ruby, blog]\n---\n"
                  + BODY, "2023-01-29 18:30:22 2023 -0800", FILE_TIME),
    "tuesday.md": ("---\ntitle: Next tuesday\ndate: next tuesday\n---\n" + BODY, "next tuesday", FILE_TIME),
    "yesterday.md": ("---\ntitle: Yesterday\ndate: 2024-05-01\nupdated: yesterday\n---\n" + BODY, "yesterday",
                     datetime(2024, 5, 1, tzinfo=UTC)),
    "month13.md": ("---\ntitle: Month thirteen\ndate: 2024-13-45\nauthor: Ann\ntags: [a, b]\n---\n" + BODY,
                   "2024-13-45", FILE_TIME),
    "month13-toml.md": ('+++\ntitle = "TOML month thirteen"\ndate = 2024-13-45\n+++\n' + BODY, "2024-13-45", FILE_TIME),
    "updated13.md": ("---\ntitle: Updated thirteen\ndate: 2024-05-02\nupdated: 2024-13-45\n---\n" + BODY,
                     "2024-13-45", datetime(2024, 5, 2, tzinfo=UTC)),
    "page.html": (HTML_PAGE.format(title="Page with a bad date", meta=(
        '<meta property="article:published_time" content="next tuesday">'
        '<meta property="article:modified_time" content="2024-13-45">')), "next tuesday", FILE_TIME),
}
# Dates people write that must be read (no warning): YAML timestamps with a space before the zone, month names.
READABLE = {
    "yaml-space.md": ("---\ntitle: YAML space\ndate: 2001-12-14 21:59:43.10 -5\n---\n" + BODY,
                      datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=UTC)),
    "minutes.md": ("---\ntitle: Minutes\ndate: 2024-05-01 09:30 +02:00\n---\n" + BODY, datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
    "month-name.md": ("---\ntitle: Month name\ndate: May 1, 2024\n---\n" + BODY, datetime(2024, 5, 1, tzinfo=UTC)),
    "toml-date.md": ('+++\ntitle = "TOML date"\ndate = 2024-02-02T08:00:00Z\n+++\n' + BODY, datetime(2024, 2, 2, 8, tzinfo=UTC)),
}


def test_unreadable_dates_warn_and_the_documents_are_published(site: Path):
    for name, (text, _value, _date) in CASES.items():
        write(site / "seeds" / name, text, mtime=FILE_TIME)
    for name, (text, _date) in READABLE.items():
        write(site / "seeds" / name, text, mtime=FILE_TIME)
    result = run_cli("build", "--base-url", "https://feeds.example/", cwd=site)
    assert result.returncode == 0, result.stderr
    feed = json.loads((site / "output" / "feed.json").read_bytes())
    published = {item["url"].rsplit("/", 1)[-1].removesuffix(".html"): item for item in feed["items"]}
    assert len(feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries) == len(feed["items"])
    failures = []
    for name, (_text, value, expected) in CASES.items():
        item = published.get(Path(name).stem)
        warned = [line for line in result.stderr.splitlines() if name in line and value in line and "warning" in line]
        lost = int(item is None)
        wrong = int(item is not None and item["date_published"] != expected.isoformat().replace("+00:00", "Z"))
        record("unreadable dates", f"{name}: {value!r}", items_lost=lost, invalid_outputs=wrong,
               note="" if warned else "no warning")
        if lost or wrong or not warned:
            failures.append((name, lost, item and item["date_published"], warned))
    for name, (_text, expected) in READABLE.items():
        item = published.get(Path(name).stem)
        record("unreadable dates", f"{name}: readable", items_lost=int(item is None))
        shown = expected.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if item is None or item["date_published"] != shown or name in result.stderr:
            failures.append((name, item and item["date_published"], expected))
    print(f"unreadable dates: {sum(Path(n).stem not in published for n in CASES)} of {len(CASES)} documents with an "
          f"unreadable date dropped; {sum(Path(n).stem not in published for n in READABLE)} of {len(READABLE)} readable")
    assert not failures, failures
    # the other fields of a document with a bad date are all there
    month13 = published["month13"]
    assert month13["title"] == "Month thirteen" and month13["authors"] == [{"name": "Ann"}] and month13["tags"] == ["a", "b"]
    assert published["jekyll"]["tags"] == ["ruby", "blog"]
    assert published["yesterday"]["date_modified"] == published["yesterday"]["date_published"]


def test_a_second_build_keeps_the_first_sight_date(site: Path):
    """The file time is taken at first sight: touching the file later does not move ``published``."""
    write(site / "seeds" / "a.md", "---\ntitle: A\ndate: someday\n---\n" + BODY, mtime=FILE_TIME)
    assert run_cli("build", cwd=site).returncode == 0
    write(site / "seeds" / "a.md", "---\ntitle: A\ndate: someday\n---\n" + BODY, mtime=datetime(2026, 1, 1, tzinfo=UTC))
    assert run_cli("build", cwd=site).returncode == 0
    (item,) = json.loads((site / "output" / "feed.json").read_bytes())["items"]
    record("unreadable dates", "touched later: published stays at first sight",
           invalid_outputs=int(item["date_published"] != "2025-03-04T05:06:07Z"))
    assert item["date_published"] == "2025-03-04T05:06:07Z"
