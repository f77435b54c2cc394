"""Fuzzed seeds (hypothesis): arbitrary bytes as a seed file of every extension, and arbitrary text in every
front-matter field and the body, built with the real pipeline.

The property: every document is either published (its item in RSS, Atom and JSON Feed alike) or reported by
its file name; no run raises; every output is well-formed (lxml without recovery, feedparser ``bozo == 0``,
``json.loads``) and item pages parse; and nothing executable reaches any output.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once

from tests.conftest import FIXED_NOW, ROOT, run_cli, write
from tests.hostile import executable_in_output, feed_entries, invalid_outputs
from tests.reliability import record

EXAMPLES = int(os.environ.get("SEEDFEED_FUZZ_EXAMPLES", "1"))   # a multiplier: 10 for a longer hunt
EXTENSIONS = [".txt", ".md", ".html", ".htm", ".markdown", ".text"]
BUG = "seedfeed bug"

# Bytes that are more likely than uniform noise to reach the interesting paths: BOMs, NULs, front-matter fences,
# markup, invalid UTF-8, UTF-16 pairs, XML-illegal controls.
_PIECES = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b"---\n", b"+++\n", b"\n---\n", b"title: ", b"<p>",
           b"<html><head><title>", b"</title>", b"<script>", b"\xc3\xa9", b"\xe9", b"\xed\xa0\x80", b"\x1b\x0c",
           b"\r\n", b"\n\n", b"# ", b"&#0;", b"&#xD800;", b"<![CDATA[", b"]]>", b"\x85", b"\xe2\x80\xa8"]
seed_bytes = st.one_of(
    st.binary(max_size=600),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=20), st.text(max_size=30).map(str.encode)),
             max_size=30).map(b"".join),
)


def check_build(site: Path, names: list[str], report, case: str, category: str = "fuzzed seeds") -> None:  # noqa: ANN001
    """Published-or-reported for each file in ``names``; valid outputs; nothing executable. Records the case."""
    output = site / "output"
    problems = report.problems()
    skipped = {Path(s.origin).name for s in report.skipped}
    crashed = sum(BUG in p for p in problems)
    rss, atom, js = feed_entries(output)
    published = len(rss & atom & js)
    lost = len(names) - len(skipped & set(names)) - published
    invalid = invalid_outputs(output) + ([f"feeds disagree: {rss ^ atom} {rss ^ js}"] if not rss == atom == js else [])
    executable = executable_in_output(output)
    record(category, case, crashed=crashed, items_lost=max(lost, 0), invalid_outputs=len(invalid),
           executable_survived=len(executable))
    assert crashed == 0, problems
    assert lost == 0, (names, skipped, published, problems)
    assert not invalid, invalid
    assert not executable, executable


def build(site: Path):  # noqa: ANN201
    config = load(None, Overrides(max_items=1000, base_url="https://example.org/f/"), site)
    return run_once(config, FIXED_NOW)


@settings(max_examples=60 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=st.lists(st.tuples(seed_bytes, st.sampled_from(EXTENSIONS)), min_size=1, max_size=6))
def test_arbitrary_bytes_as_seed_files(files):
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        names = []
        for i, (data, ext) in enumerate(files):
            names.append(f"f{i}{ext}")
            write(site / "seeds" / names[-1], data)
        report = build(site)
        check_build(site, names, report, f"bytes: {len(files)} files, {sum(len(d) for d, _ in files)} bytes")


any_text = st.text(max_size=120)            # any code point but surrogates (YAML escapes add those below)
dates = st.one_of(
    any_text,
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), None]))
    .map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2024-02-30", "2024-13-01", "now", "",
                     "1970-01-01", "2038-01-19T03:14:08Z", "-1", "99999-01-01"]),
)
fields = st.fixed_dictionaries({
    "title": any_text, "summary": any_text, "author": any_text, "tags": st.lists(any_text, max_size=4),
    "date": dates, "updated": dates, "link": st.one_of(any_text, st.just("https://example.org/a b?c=<d>\"e\"")),
    "id": any_text, "lang": any_text, "image": any_text,
})


def _yaml_value(value, escaped: bool) -> str:  # noqa: ANN001
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v, escaped) for v in value) + "]"
    return json.dumps(value, ensure_ascii=escaped)   # a JSON string is a YAML double-quoted scalar


def _toml_value(value) -> str:  # noqa: ANN001
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False).replace("\\/", "/")   # close to a TOML basic string


@settings(max_examples=80 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=fields, body=st.text(max_size=300), style=st.sampled_from(["yaml", "yaml-ascii", "yaml-raw", "toml"]),
       surrogate=st.booleans())
def test_arbitrary_text_in_every_front_matter_field(meta, body, style, surrogate):
    if surrogate and style == "yaml-ascii":
        meta = {**meta, "title": meta["title"] + "\ud800", "author": "\udfff" + meta["author"]}
    if style == "toml":
        block = "+++\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in meta.items()) + "+++\n"
    elif style == "yaml-raw":   # unquoted: whatever YAML makes of it (or a reported parse error)
        block = "---\n" + "".join(f"{k}: {v if not isinstance(v, list) else v}\n" for k, v in meta.items()) + "---\n"
    else:
        block = "---\n" + "".join(f"{k}: {_yaml_value(v, style == 'yaml-ascii')}\n" for k, v in meta.items()) + "---\n"
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        write(site / "seeds" / "doc.md", (block + "\n" + body).encode("utf-8", "surrogatepass"))
        write(site / "seeds" / "control.txt", "Control\n\nAlways publishable.\n")
        report = build(site)
        check_build(site, ["doc.md", "control.txt"], report, f"front matter ({style})")
        assert "control.txt" not in {Path(s.origin).name for s in report.skipped}


@settings(max_examples=40 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=any_text, body=st.text(max_size=400), head=st.text(max_size=200))
def test_arbitrary_text_in_html_seed_fields(title, body, head):
    """Arbitrary text where a page's title, meta description, author and body go (HTML-escaped, as a
    well-meaning author would write them) and raw in the <head> (as a broken one would)."""
    from html import escape

    page = (f"<!doctype html><html><head><title>{escape(title)}</title>"
            f'<meta name="description" content="{escape(body[:200])}"><meta name="author" content="{escape(title)}">'
            f"{head}</head><body><article><h1>{escape(title)}</h1><p>{escape(body)}</p></article></body></html>")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        write(site / "seeds" / "page.html", page.encode("utf-8", "surrogatepass"))
        report = build(site)
        check_build(site, ["page.html"], report, "html seed fields")


def test_cli_builds_a_folder_of_fuzzed_files(tmp_path: Path):
    """The real CLI on a folder mixing every kind of damage: exit 0, every skipped file named on stderr."""
    import random

    rng = random.Random(5)
    names = []
    for i in range(40):
        data = bytes(rng.choice(b"".join(_PIECES) + bytes(range(256))) for _ in range(rng.randrange(0, 400)))
        names.append(f"r{i:02d}{EXTENSIONS[i % len(EXTENSIONS)]}")
        write(tmp_path / "seeds" / names[-1], data)
    write(tmp_path / "seeds" / "ok.md", "---\ntitle: Fine\n---\nBody.\n")
    start = time.monotonic()
    result = run_cli("build", "--max-items", "1000", cwd=tmp_path, timeout=300)
    seconds = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert BUG not in result.stderr
    skipped = {line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in result.stderr.splitlines()
               if line.startswith("skipped ")}
    rss, atom, js = feed_entries(tmp_path / "output")
    lost = len(names) + 1 - len(skipped) - len(rss & atom & js)
    invalid = invalid_outputs(tmp_path / "output")
    executable = executable_in_output(tmp_path / "output")
    record("fuzzed seeds", "CLI: 41 random files", items_lost=max(lost, 0), invalid_outputs=len(invalid),
           executable_survived=len(executable), seconds=round(seconds, 2))
    assert lost == 0, (skipped, len(rss), result.stderr)
    assert not invalid and not executable
    assert ROOT.is_dir()
