"""``seedfeed check``: the lints on hand-made broken feeds, and the comparison with the previous build on real ones."""

from __future__ import annotations

import json
import shutil

import pytest
from seedfeed.check.command import Diff, compare, is_rebroadcast
from seedfeed.check.lint import Seen, lint
from seedfeed.check.rules import relative_urls, rfc822, rfc3339

from tests.conftest import ROOT, run_cli, write

SELF = "https://example.org/feeds/"

RSS_OK = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>T</title><link>https://example.org/</link><description>D</description>
<atom:link href="{SELF}rss.xml" rel="self" type="application/rss+xml"/>
<item><title>A</title><guid isPermaLink="false">urn:a</guid><pubDate>Sun, 01 Mar 2026 12:00:00 +0000</pubDate>
<description>&lt;a href="https://example.org/x"&gt;x&lt;/a&gt;</description></item>
</channel></rss>"""

ATOM_OK = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:feed</id><title>T</title><updated>2026-03-01T12:00:00Z</updated>
<author><name>N</name></author>
<link href="{SELF}atom.xml" rel="self"/><link href="https://example.org/" rel="alternate"/>
<entry><id>urn:a</id><title>A</title><updated>2026-03-01T12:00:00+01:00</updated>
<link href="https://example.org/a"/><content type="html">&lt;img src="https://example.org/i.png"&gt;</content></entry>
</feed>"""

JSON_OK = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "home_page_url": "https://example.org/",
           "feed_url": f"{SELF}feed.json",
           "items": [{"id": "urn:a", "content_html": "<p>x</p>", "date_published": "2026-03-01T12:00:00Z"}]}


def messages(kind: str, text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    name = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}[kind]
    return [p.line() for p in lint(kind, data, name, SELF + name).problems]


def test_valid_feeds_of_each_format_have_no_problems():
    assert messages("rss", RSS_OK) == []
    assert messages("atom", ATOM_OK) == []
    assert messages("json", json.dumps(JSON_OK)) == []


@pytest.mark.parametrize(("kind", "before", "after", "expected"), [
    ("rss", "<description>D</description>", "", "error: rss.xml: channel has no <description>"),
    ("rss", "<title>A</title>", "", None),  # title or description is enough
    ("rss", '<guid isPermaLink="false">urn:a</guid>', "", "error: rss.xml: item #1: has no <guid>"),
    ("rss", "+0000</pubDate>", "</pubDate>",
     "error: rss.xml: item urn:a: <pubDate> 'Sun, 01 Mar 2026 12:00:00' has no time zone"),
    ("rss", "https://example.org/x", "/x", "error: rss.xml: item urn:a: <description> has a relative URL '/x'"),
    ("rss", "</item>", '</item><item><title>B</title><guid isPermaLink="false">urn:a</guid></item>',
     "error: rss.xml: item urn:a: id is used by more than one item"),
    ("rss", f"{SELF}rss.xml", "https://elsewhere.org/rss.xml",
     f"error: rss.xml: self link 'https://elsewhere.org/rss.xml' is not where the feed is served ({SELF}rss.xml)"),
    ("rss", "<link>https://example.org/</link>", f"<link>{SELF}rss.xml</link>",
     f"error: rss.xml: site link '{SELF}rss.xml' is the feed's own URL"),
    ("rss", "<title>A</title>", "<title>A\x01</title>", "error: rss.xml: line 5: U+0001 is not allowed in XML"),
    ("rss", "<title>A</title>", "<title>A&#x1b;</title>", "error: rss.xml: line 5: &#x1b; is not allowed in XML"),
    ("rss", "</channel>", "", "error: rss.xml: is not well-formed XML"),
    ("atom", "<author><name>N</name></author>", "", "error: atom.xml: item urn:a: has no <author>, and neither has the feed"),
    ("atom", "+01:00</updated>", "</updated>", "error: atom.xml: item urn:a: <updated> '2026-03-01T12:00:00' has no time zone"),
    ("atom", "<updated>2026-03-01T12:00:00Z</updated>", "", "error: atom.xml: feed has no <updated>"),
    ("atom", "<title>A</title>", "", "error: atom.xml: item urn:a: has no <title>"),
    ("atom", "https://example.org/i.png", "i.png", "error: atom.xml: item urn:a: <content> has a relative URL 'i.png'"),
    ("atom", 'rel="self"/>', 'rel="self"/><link href="x.html" rel="related"/>',
     "error: atom.xml: feed <link rel=related>: 'x.html' is a relative URL"),
    ("atom", f'<link href="{SELF}atom.xml" rel="self"/>', "",
     f"warning: atom.xml: has no self link; add one pointing at {SELF}atom.xml"),
])
def test_each_rule_names_the_file_the_item_and_the_problem(kind, before, after, expected):
    base = {"rss": RSS_OK, "atom": ATOM_OK}[kind]
    assert before in base
    found = messages(kind, base.replace(before, after, 1))
    if expected is None:
        assert found == []
    else:
        assert any(m.startswith(expected) for m in found), found


@pytest.mark.parametrize(("change", "expected"), [
    ({"version": "1.1"}, "error: feed.json: version '1.1' is not https://jsonfeed.org/version/1.1"),
    ({"feed_url": "https://example.org/"}, "error: feed.json: self link 'https://example.org/' is not where"),
    ({"home_page_url": f"{SELF}feed.json"}, "error: feed.json: site link"),
    ({"items": [{"content_html": "x"}]}, "error: feed.json: item #1: has no id"),
    ({"items": [{"id": "a"}]}, "error: feed.json: item a: has neither content_html nor content_text"),
    ({"items": [{"id": "a", "content_text": "x", "date_modified": "2026-03-01 12:00"}]},
     "error: feed.json: item a: date_modified '2026-03-01 12:00' is not an RFC 3339 date"),
    ({"items": [{"id": "a", "content_html": "<a href='b.html'>b</a>"}]},
     "error: feed.json: item a: content_html has a relative URL 'b.html'"),
    ({"items": [{"id": "a", "content_text": "x\x0b"}]}, "error: feed.json: item a: U+000B is not allowed"),
    ({"items": [{"id": "a", "content_text": "x"}, {"id": "a", "content_text": "y"}]},
     "error: feed.json: item a: id is used by more than one item"),
])
def test_json_feed_rules(change, expected):
    found = messages("json", json.dumps({**JSON_OK, **change}))
    assert any(m.startswith(expected) for m in found), found


def test_date_and_url_rules():
    assert rfc3339("2026-03-01T12:00:00.5-05:00") is None and rfc3339("2026-03-01T12:00:00Z") is None
    assert "no time zone" in rfc3339("2026-03-01T12:00:00")
    assert "not a real date" in rfc3339("2026-02-30T12:00:00Z")
    assert rfc822("Sun, 01 Mar 2026 12:00:00 GMT") is None and rfc822("1 Mar 26 12:00 -0500") is None
    assert "not an RFC 822" in rfc822("2026-03-01T12:00:00Z")
    assert relative_urls('<a href="#fn1">1</a><img srcset="a.png 1x, https://x.org/b.png 2x" src="data:,">') == \
        ["#fn1", "a.png"]


def test_an_rss_item_whose_neighbours_changed_is_not_updated():
    (alone,) = lint("rss", RSS_OK.encode(), "rss.xml", SELF + "rss.xml").items
    pushed = RSS_OK.replace("</item>", '</item><item><title>N</title><guid isPermaLink="false">urn:n</guid></item>')
    assert alone in lint("rss", pushed.encode(), "rss.xml", SELF + "rss.xml").items


def test_comparison_counts_and_rebroadcast_threshold():
    before = [Seen(f"old{i}", "v1", f"https://e.org/{i}", f"T{i}") for i in range(10)]
    after = [Seen("old0", "v2", "https://e.org/0", "T0")] + before[1:9] + [Seen("new", "v1", "https://e.org/new", "N")]
    diff = compare(before, after)
    assert (diff.new, diff.updated, diff.removed, diff.lookalikes) == (["new"], ["old0"], ["old9"], [])
    assert not is_rebroadcast(diff, 10)
    reminted = [Seen(f"new{i}", "v1", f"https://e.org/{i}", "other") for i in range(2)] + before[2:]
    assert is_rebroadcast(compare(before, reminted), 10)     # 2 of 10 >= 20%
    assert not is_rebroadcast(Diff(lookalikes=[("a", "b")] * 4), 100)
    assert is_rebroadcast(Diff(lookalikes=[("a", "b")] * 5), 1000)


# ---------------------------------------------------------------------------------------- the command

def seeds(site, n: int) -> None:
    for i in range(n):
        write(site / "seeds" / f"doc{i}.md", f"# Document {i}\n\nBody of document {i}, with [a link](doc0.md).\n")


def test_a_fresh_build_passes_and_says_there_is_nothing_to_compare_yet(site):
    seeds(site, 3)
    assert run_cli("build", cwd=site).returncode == 0
    result = run_cli("check", cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "output/atom.xml: no previous version to compare with" in result.stdout
    assert result.stdout.splitlines()[-1] == "seedfeed check: 1 feed, 0 errors, 0 warnings"


def test_the_shipped_seeds_and_golden_cases_build_into_feeds_that_pass(tmp_path):
    for case in [ROOT / "seeds", *sorted((ROOT / "tests" / "data" / "golden").glob("*/seeds"))]:
        site = tmp_path / case.parent.name
        shutil.copytree(case, site / "seeds")
        assert run_cli("build", "--base-url", "https://example.org/feeds/", cwd=site).returncode == 0
        result = run_cli("check", "-q", "--base-url", "https://example.org/feeds/", cwd=site)
        assert result.returncode == 0, f"{case}:\n{result.stdout}"


def test_check_reports_new_updated_and_removed_since_the_previous_build(site):
    seeds(site, 3)
    assert run_cli("build", cwd=site).returncode == 0
    write(site / "seeds" / "doc0.md", "# Document 0\n\nEdited.\n")
    (site / "seeds" / "doc1.md").unlink()
    write(site / "seeds" / "doc9.md", "# Document 9\n\nNew.\n")
    assert run_cli("build", cwd=site).returncode == 0
    result = run_cli("check", cwd=site)
    assert result.returncode == 0, result.stdout
    assert "output/atom.xml: since the previous version: 1 new, 1 updated, 1 removed" in result.stdout
    assert (site / ".seedfeed" / "previous" / "_default" / "atom.xml").is_file()
    assert not (site / "output" / "previous").exists()


def test_lost_state_makes_check_shout_about_a_mass_rebroadcast(site):
    seeds(site, 6)
    assert run_cli("build", cwd=site).returncode == 0
    # State and output both lost (a fresh machine): ids get minted again, and nothing published is left to
    # recover them from. The feeds published before are what check compares with.
    published = {name: (site / "output" / name).read_bytes() for name in ("rss.xml", "atom.xml", "feed.json")}
    shutil.rmtree(site / ".seedfeed")
    shutil.rmtree(site / "output")
    assert run_cli("build", cwd=site).returncode == 0
    for name, data in published.items():
        write(site / ".seedfeed" / "previous" / "_default" / name, data)
    result = run_cli("check", "-q", cwd=site)
    assert result.returncode == 1
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert f"error: output/{name}: MASS RE-BROADCAST: 6 of 6 ids vanished and 6 items came back" in result.stdout
    assert result.stdout.splitlines()[-1] == "seedfeed check: 1 feed, 3 errors, 0 warnings -- FAILED"


def test_config_feeds_are_checked_against_the_config_base_url(site):
    write(site / "seedfeed.toml", 'base_url = "https://example.org/f/"\n[[feeds]]\nname = "news"\nseeds = ["seeds"]\n'
                                  '[[feeds]]\nname = "blog"\nseeds = ["seeds"]\n')
    seeds(site, 2)
    assert run_cli("build", cwd=site).returncode == 0
    assert run_cli("check", cwd=site).returncode == 0
    result = run_cli("check", "--base-url", "https://moved.example/", cwd=site)
    assert result.returncode == 1
    assert ("error: output/news/atom.xml: self link 'https://example.org/f/news/atom.xml' is not where the feed is "
            "served (https://moved.example/news/atom.xml)") in result.stdout


def test_check_after_build_with_base_url_uses_what_the_build_used(site):
    """Issue #11, item 7: with no --base-url and no config, check compares self links with the base URL the last
    build published for (the state keeps it), not with the default http://localhost:8000/."""
    seeds(site, 2)
    assert run_cli("build", "--base-url", "https://feeds.example/", cwd=site).returncode == 0
    result = run_cli("check", cwd=site)
    assert result.returncode == 0, result.stdout
    assert "is not where the feed is served" not in result.stdout
    assert result.stdout.splitlines()[-1] == "seedfeed check: 1 feed, 0 errors, 0 warnings"
    # an explicit --base-url still wins: the feeds are not served there
    moved = run_cli("check", "--base-url", "https://moved.example/", cwd=site)
    assert moved.returncode == 1 and "(https://moved.example/atom.xml)" in moved.stdout


def test_without_config_feed_folders_are_discovered_and_missing_files_fail(tmp_path):
    (tmp_path / "output" / "a").mkdir(parents=True)
    (tmp_path / "output" / "a" / "atom.xml").write_text(ATOM_OK.replace(SELF, "http://localhost:8000/a/"))
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: output/a/rss.xml: is missing; run seedfeed build" in result.stdout
    assert "output/a/atom.xml" not in result.stdout.replace("output/a/atom.xml: no previous", "")


def test_warnings_fail_only_with_strict(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    (out / "rss.xml").write_text(RSS_OK.replace(SELF, "http://localhost:8000/").replace(
        '<atom:link href="http://localhost:8000/rss.xml" rel="self" type="application/rss+xml"/>', ""))
    (out / "atom.xml").write_text(ATOM_OK.replace(SELF, "http://localhost:8000/"))
    (out / "feed.json").write_text(json.dumps({**JSON_OK, "feed_url": "http://localhost:8000/feed.json"}))
    assert run_cli("check", cwd=tmp_path).returncode == 0
    strict = run_cli("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "warning: output/rss.xml: has no self link" in strict.stdout
