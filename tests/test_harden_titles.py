"""Titles are text however a reader reads them (issue #11, item 3).

Many readers render an RSS ``<title>`` as HTML, so a title that *reads* like markup would run there. Every
vector of the hostile corpus is put where titles come from — a ``.txt`` first line, Markdown front matter, an
HTML ``<title>`` and ``<h1>`` — and built through the real CLI; every published title (RSS, Atom, JSON Feed, item
pages, the feed page) is then parsed with html5lib, as a browser would, and must hold no element and no comment.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import html5lib
import lxml.html
from conftest import run_cli, write
from hostile import load_vectors
from lxml import etree
from reliability import record

ATOM = "{http://www.w3.org/2005/Atom}"
VECTORS = [(vid, fam, v) for vid, fam, v in load_vectors() if "\x00" not in v]   # NUL: a binary file, skipped
KINDS = ("txt", "md", "html")


def markup_in(title: str) -> list[str]:
    """The elements and comments html5lib finds when it parses ``title`` as an HTML fragment."""
    fragment = html5lib.parseFragment(title, treebuilder="etree", namespaceHTMLElements=False)
    return [el.tag if isinstance(el.tag, str) else "<!--comment-->" for el in fragment.iter() if el is not fragment]


def seed(kind: str, vector: str) -> str:
    if kind == "txt":
        return f"{vector}\n\nA paragraph of body text.\n"
    if kind == "md":
        return f"---\ntitle: {json.dumps(vector)}\n---\n\nA paragraph of body text.\n"
    escaped = html.escape(vector)
    return (f"<!DOCTYPE html><html><head><title>{escaped}</title></head><body><article><h1>{escaped}</h1>"
            "<p>A paragraph of body text, long enough to be the main content of this small page.</p></article>"
            "</body></html>")


def published_titles(output: Path) -> dict[str, list[str]]:
    """Slug ("v001-txt") -> every title published for it, as a reader gets it after XML/JSON decoding."""
    found: dict[str, list[str]] = {}

    def add(link: str | None, title: str | None) -> None:
        slug = (link or "").rsplit("/", 1)[-1].removesuffix(".html")
        found.setdefault(slug, []).append(title or "")

    rss = etree.fromstring((output / "rss.xml").read_bytes())
    for item in rss.iter("item"):
        add(item.findtext("link"), item.findtext("title"))
    atom = etree.fromstring((output / "atom.xml").read_bytes())
    for entry in atom.iter(f"{ATOM}entry"):
        add(entry.find(f"{ATOM}link").get("href"), entry.findtext(f"{ATOM}title"))
    for item in json.loads((output / "feed.json").read_bytes())["items"]:
        add(item["url"], item.get("title"))
    for page in (output / "items").glob("*.html"):
        root = lxml.html.fromstring(page.read_bytes())
        add(page.name, root.findtext(".//h1"))
        add(page.name, root.findtext(".//title").rsplit(" · ", 1)[0])
    for link in lxml.html.fromstring((output / "index.html").read_bytes()).xpath("//ol[@class='items']//h3/a"):
        add(link.get("href"), link.text_content())
    return found


def test_every_published_title_is_text_for_every_hostile_vector(site: Path):
    for vid, _fam, vector in VECTORS:
        for kind in KINDS:
            write(site / "seeds" / f"{vid}-{kind}.{kind}", seed(kind, vector))
    result = run_cli("build", "--max-items", "1000", "--base-url", "https://feeds.example/", cwd=site, timeout=300)
    assert result.returncode == 0, result.stderr
    titles = published_titles(site / "output")
    failures = []
    for vid, fam, vector in VECTORS:
        for kind in KINDS:
            got = titles.get(f"{vid}-{kind}", [])
            bad = [(t, markup_in(t)) for t in got if markup_in(t)]
            lost = int(len(got) != 6)   # RSS, Atom, JSON Feed, item page <h1> and <title>, the feed page
            record("title safety", f"{vid} {kind} ({fam})", items_lost=lost, executable_survived=len(bad))
            if bad or lost:
                failures.append((vid, kind, vector, bad, len(got)))
    total = sum(len(titles.get(f"{vid}-{kind}", [])) for vid, _f, _v in VECTORS for kind in KINDS)
    unsafe = sum(len(bad) for *_, bad, _n in failures)
    print(f"title safety: {unsafe} of {total} published titles hold an element or comment "
          f"({len(VECTORS)} vectors x {len(KINDS)} kinds x 6 places)")
    assert not failures, failures[:5]


def test_a_title_left_empty_falls_back_as_a_missing_one(site: Path):
    """Markdown: an all-markup front matter title gives way to the first heading; the text of markup is kept."""
    write(site / "seeds" / "a.md", '---\ntitle: "<img src=x onerror=alert(1)>"\n---\n# The ferry timetable\n\nText.\n')
    write(site / "seeds" / "b.txt", "<b>Bold</b> <!-- note --> news & <script>alert(1)</script>views\n\nText.\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    feed = json.loads((site / "output" / "feed.json").read_bytes())
    titles = sorted(item["title"] for item in feed["items"])
    record("title safety", "empty title falls back; markup's text kept",
           items_lost=int(titles != ["Bold news & views", "The ferry timetable"]))
    assert titles == ["Bold news & views", "The ferry timetable"]


def test_atom_summaries_that_read_like_markup_are_declared_html(site: Path):
    """Issue #11, item 8: the W3C validator warns "summary should not contain HTML unless declared in the type
    attribute" for a text summary about the ``<head>`` tag. Summaries are published as escaped text with
    ``type="html"``: the validator has nothing to say, and a reader shows the text, brackets and all."""
    text = "Why the <head> tag & <meta charset> come first."
    write(site / "seeds" / "head.md", f"---\ntitle: The head\nsummary: {json.dumps(text)}\n---\nBody.\n")
    write(site / "seeds" / "plain.txt", "Plain\n\nA summary with <b>markup</b> in it, typed by hand.\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    atom = etree.fromstring((site / "output" / "atom.xml").read_bytes())
    summaries = atom.findall(f".//{ATOM}summary")
    assert len(summaries) == 2
    for summary in summaries:
        # what feedvalidator checks: a text construct (no type, or type="text") must not hold markup
        assert summary.get("type") == "html", etree.tostring(summary)
        shown = "".join(html5lib.parseFragment(summary.text, treebuilder="etree", namespaceHTMLElements=False).itertext())
        assert not markup_in(summary.text) and shown in (text, "A summary with <b>markup</b> in it, typed by hand.")


def test_a_front_matter_language_is_published_only_as_a_language_tag(tmp_path: Path):
    """Found by test_fuzz_seeds: ``lang: "\\u0000"`` put a NUL into the item page's <html lang>."""
    seeds = tmp_path / "seeds"
    write(seeds / "nul.md", '---\ntitle: Nul\nlang: "\\u0000"\n---\nBody.\n')
    write(seeds / "phrase.md", "---\ntitle: Phrase\nlang: English please\n---\nBody.\n")
    write(seeds / "locale.md", "---\ntitle: Locale\nlang: pt_BR\n---\nBody.\n")
    assert run_cli("build", "-q", cwd=tmp_path).returncode == 0
    pages = {p.stem: p.read_bytes() for p in (tmp_path / "output" / "items").glob("*.html")}
    assert b"\x00" not in pages["nul"] and b"<html>" in pages["nul"]
    assert b"<html>" in pages["phrase"]
    assert b'<html lang="pt-BR">' in pages["locale"]
    feed = json.loads((tmp_path / "output" / "feed.json").read_bytes())
    assert {item["title"]: item.get("language") for item in feed["items"]} == {
        "Nul": None, "Phrase": None, "Locale": "pt-BR"}
