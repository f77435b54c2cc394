"""RFC 5005 archives: complete history in fixed-size archive documents chained from the subscription documents,
full pages that never change, JSON Feed next_url paging, ``check`` walking the chains, ``serve`` marking
sealed pages immutable, and ``archives = false`` leaving no trace."""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path

import feedparser
from lxml import etree
from seedfeed.serve import FeedServer

from tests.conftest import run_cli, write

ENV = {"SOURCE_DATE_EPOCH": "1780000000"}
FH = "{http://purl.org/syndication/history/1.0}archive"
ATOM = "{http://www.w3.org/2005/Atom}"
CONFIG = 'base_url = "https://example.org/feeds/"\nmax_items = 3\narchive_size = 4\n'


def post(folder: Path, n: int, body: str = "") -> None:
    write(folder / "seeds" / f"p{n:02}.md",
          f"---\ntitle: Post {n}\ndate: 2026-01-{n:02}T10:00:00Z\n---\n\nBody of post {n}. {body}\n")


def build(folder: Path) -> None:
    result = run_cli("build", cwd=folder, env=ENV)
    assert result.returncode == 0, result.stderr


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "output" / "archive").iterdir())}


def links(path: Path) -> dict[str, str]:
    root = etree.parse(str(path)).getroot()
    parent = root.find("channel") if root.tag == "rss" else root
    return {el.get("rel"): el.get("href") for el in parent.findall(f"{ATOM}link")}


def walk(folder: Path, start: str) -> list[str]:
    """Follow prev-archive from a subscription document, as a reader would; the ids of every document, in order."""
    base = "https://example.org/feeds/"
    ids, href = [], base + start
    while href:
        path = folder / "output" / href.removeprefix(base)
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.bozo_exception)
        ids += [e.id for e in parsed.entries]
        href = links(path).get("prev-archive")
    return ids


def test_archives_hold_every_item_once_and_full_pages_never_change(tmp_path):
    write(tmp_path / "seedfeed.toml", CONFIG)
    for n in range(1, 13):
        post(tmp_path, n)
    build(tmp_path)
    out = tmp_path / "output"
    # the newest 3 stay in the subscription documents; the 9 before them fill pages of 4, oldest first
    assert sorted(p.name for p in (out / "archive").iterdir()) == [
        f"{stem}-{n}.{ext}" for stem, ext in (("atom", "xml"), ("feed", "json"), ("rss", "xml")) for n in (1, 2, 3)]
    assert [e.title for e in feedparser.parse((out / "rss.xml").read_bytes()).entries] == ["Post 12", "Post 11", "Post 10"]
    assert [e.title for e in feedparser.parse((out / "archive" / "atom-3.xml").read_bytes()).entries] == ["Post 9"]
    for start in ("rss.xml", "atom.xml"):
        ids = walk(tmp_path, start)
        assert len(ids) == 12 == len(set(ids)), "every item exactly once across the chain"
    page1 = links(out / "archive" / "atom-1.xml")
    assert page1 == {"self": "https://example.org/feeds/archive/atom-1.xml", "alternate": "https://example.org/feeds/",
                     "current": "https://example.org/feeds/atom.xml",
                     "next-archive": "https://example.org/feeds/archive/atom-2.xml"}
    assert links(out / "archive" / "rss-2.xml")["prev-archive"] == "https://example.org/feeds/archive/rss-1.xml"
    assert etree.parse(str(out / "archive" / "rss-1.xml")).getroot().find(f"channel/{FH}") is not None
    assert etree.parse(str(out / "rss.xml")).getroot().find(f"channel/{FH}") is None
    # JSON Feed: next_url runs from feed.json to ever older pages; the oldest has none
    pages, url, seen = [], "https://example.org/feeds/feed.json", []
    while url:
        doc = json.loads((out / url.removeprefix("https://example.org/feeds/")).read_text())
        pages.append(url.rsplit("/", 1)[1])
        seen += [i["id"] for i in doc["items"]]
        url = doc.get("next_url")
    assert pages == ["feed.json", "feed-3.json", "feed-2.json", "feed-1.json"] and len(set(seen)) == 12

    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    before = digests(tmp_path)

    for n in range(13, 17):   # four more scroll out: page 3 fills up and page 4 starts; full pages 1, 2 stay as they are
        post(tmp_path, n)
    build(tmp_path)
    after = digests(tmp_path)
    assert {n for n in before if before[n] != after[n]} == {"rss-3.xml", "atom-3.xml", "feed-3.json"}
    assert {n for n in after if n not in before} == {"rss-4.xml", "atom-4.xml", "feed-4.json"}

    for n in range(17, 21):   # and now full page 3 has a successor too: it never changes again
        post(tmp_path, n)
    build(tmp_path)
    again = digests(tmp_path)
    assert {n for n in after if again[n] != after[n]} == {"rss-4.xml", "atom-4.xml", "feed-4.json"}

    post(tmp_path, 2, body="An edit.")   # an edit to an archived item rewrites only the page that holds it
    build(tmp_path)
    edited = digests(tmp_path)
    assert {n for n in edited if edited[n] != again[n]} == {"rss-1.xml", "atom-1.xml", "feed-1.json"}
    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    server = FeedServer(out, port=0)
    server.start()
    try:
        def cache_control(path: str) -> str:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            return response.getheader("Cache-Control") or ""
        assert cache_control("/archive/rss-1.xml") == "max-age=31536000, immutable"
        assert cache_control("/archive/rss-1.xml") == "max-age=31536000, immutable"   # again: remembered as sealed
        assert cache_control("/archive/feed-2.json") == "max-age=31536000, immutable"
        assert (out / "archive" / "atom-5.xml").is_file()
        assert "immutable" not in cache_control("/archive/atom-5.xml")   # the newest page still fills up
        assert "immutable" not in cache_control("/rss.xml")
    finally:
        server.stop()


def test_check_reports_broken_links_gaps_and_duplicates(tmp_path):
    write(tmp_path / "seedfeed.toml", CONFIG)
    for n in range(1, 12):
        post(tmp_path, n)
    build(tmp_path)
    archive = tmp_path / "output" / "archive"
    rss2 = archive / "rss-2.xml"
    rss2.write_text(rss2.read_text().replace("archive/rss-1.xml", "archive/rss-9.xml"))
    atom1 = archive / "atom-1.xml"
    atom2 = archive / "atom-2.xml"
    entry = etree.parse(str(atom2)).getroot().find(f"{ATOM}entry")
    tree = etree.parse(str(atom1))
    tree.getroot().append(entry)             # an item of page 2 copied into page 1
    tree.write(str(atom1), xml_declaration=True, encoding="UTF-8")
    feed1 = archive / "feed-1.json"
    feed1.unlink()
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert "broken archive link: https://example.org/feeds/archive/rss-9.xml" in out
    assert "archive/rss-1.xml is not reachable through the archive chain" in out
    assert "duplicate: also in archive/atom-2.xml" in out
    assert "broken archive link: https://example.org/feeds/archive/feed-1.json" in out


def test_archives_off_publishes_only_the_newest_items(tmp_path):
    write(tmp_path / "seedfeed.toml", CONFIG + "archives = false\n")
    for n in range(1, 13):
        post(tmp_path, n)
    build(tmp_path)
    out = tmp_path / "output"
    assert not (out / "archive").exists()
    assert [e.title for e in feedparser.parse((out / "atom.xml").read_bytes()).entries] == ["Post 12", "Post 11", "Post 10"]
    assert b"archive" not in (out / "rss.xml").read_bytes() + (out / "atom.xml").read_bytes()
    assert sorted(p.name for p in (out / "items").iterdir()) == ["p10.html", "p11.html", "p12.html"]
    assert "next_url" not in json.loads((out / "feed.json").read_text())


def test_a_deleted_archive_folder_is_written_again_by_the_next_build(tmp_path):
    write(tmp_path / "seedfeed.toml", CONFIG)
    for n in range(1, 13):
        post(tmp_path, n)
    build(tmp_path)
    before = digests(tmp_path)
    for path in (tmp_path / "output" / "archive").iterdir():
        path.unlink()
    build(tmp_path)   # nothing changed in the seeds: the missing pages alone make it render
    assert digests(tmp_path) == before
