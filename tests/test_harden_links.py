"""Links in bodies work (issue #11, item 6).

A Markdown seed linking ``img/ferry-map.png`` or ``timetable.html`` beside it got ``.../items/img/ferry-map.png``
in every reader: 404. Each case builds through the real CLI and follows every link in every published body (RSS
``content:encoded``, Atom ``content``, JSON Feed ``content_html``, the item pages) that points into the output, to
a file that must be there; links to other seeds must reach their item pages, and root-relative links the site.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from conftest import run_cli, write
from lxml import etree
from reliability import record

BASE = "https://feeds.example/"
SITE = "https://example.org/site/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONFIG = f'base_url = "{BASE}"\nlink = "{SITE}"\nmax_bytes = 100000\n'


def bodies(output: Path) -> list[tuple[str, str]]:
    """(where, HTML) of every published body."""
    found = []
    rss = etree.fromstring((output / "rss.xml").read_bytes())
    found += [("rss", el.text or "") for el in rss.iter("{http://purl.org/rss/1.0/modules/content/}encoded")]
    found += [("rss", el.text or "") for el in rss.iter("description") if el.getparent().tag == "item"]
    atom = etree.fromstring((output / "atom.xml").read_bytes())
    found += [("atom", el.text or "") for el in atom.iter("{http://www.w3.org/2005/Atom}content")]
    found += [("json", i["content_html"]) for i in json.loads((output / "feed.json").read_bytes())["items"]]
    for page in sorted((output / "items").glob("*.html")):
        article = lxml.html.fromstring(page.read_bytes()).find(".//article")
        found.append((f"page {page.name}", lxml.html.tostring(article, encoding="unicode")))
    return found


def links(html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [el.get("href") or el.get("src") for el in root.iter() if el.get("href") or el.get("src")]


def follow(output: Path) -> dict[str, list[str]]:
    """Every link of every body -> where it was found; and the broken ones (into the output, not there)."""
    out: dict[str, list[str]] = {}
    for where, html in bodies(output):
        for url in links(html):
            out.setdefault(url, []).append(where)
    return out


def target(output: Path, url: str) -> Path | None:
    if not url.startswith(BASE):
        return None
    rel = unquote(urlsplit(url).path[len(urlsplit(BASE).path):])
    return output / rel


def broken(output: Path, found: dict[str, list[str]]) -> list[str]:
    return [url for url in found if (path := target(output, url)) is not None and not path.is_file()]


def ferry_site(site: Path) -> None:
    write(site / "seedfeed.toml", CONFIG)
    write(site / "seeds" / "img" / "ferry-map.png", PNG)
    write(site / "seeds" / "docs" / "fares table.pdf", b"%PDF-1.4 fares")
    write(site / "seeds" / "timetable.html", "<html><head><title>Timetable</title></head><body><article><h1>Timetable"
          "</h1><p>Departures every hour from the harbour, all year round, weather permitting.</p></article></body></html>")
    write(site / "seeds" / "notes" / "other.md", "# Other\n\nBack to the [ferry](../ferry.md).\n")
    write(site / "seeds" / "ferry.md", "---\ntitle: Ferry\n---\n![Ferry map](img/ferry-map.png)\n\n"
          "See the [timetable](timetable.html#winter), the [fares](docs/fares%20table.pdf), [a note](notes/other.md) "
          "and the [history](/docs/history/).\n")


def test_local_files_seed_links_and_root_relative_links_all_resolve(site: Path):
    ferry_site(site)
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    output = site / "output"
    found = follow(output)
    bad = broken(output, found)
    into_output = [url for url in found if url.startswith(BASE)]
    print(f"local links: {len(bad)} of {len(into_output)} links into the output are broken "
          f"({len(found)} distinct links in {len(bodies(output))} bodies)")
    record("local links", "image, PDF (with a space), seed .html/.md, ../ between seeds, root-relative",
           invalid_outputs=len(bad))
    assert not bad, bad
    assert (output / "files" / "img" / "ferry-map.png").read_bytes() == PNG
    assert (output / "files" / "docs" / "fares table.pdf").is_file()
    # links to other seeds reach their item pages; root-relative links go to the site link
    assert f"{BASE}items/timetable.html#winter" in found and f"{BASE}items/other.html" in found
    assert f"{BASE}items/ferry.html" in found
    assert "https://example.org/docs/history/" in found and f"{BASE}docs/history/" not in found   # the site's host
    check = run_cli("check", cwd=site)
    assert check.returncode == 0, check.stdout


def test_local_files_are_updated_when_they_change_and_removed_when_nothing_links_to_them(site: Path):
    ferry_site(site)
    assert run_cli("build", cwd=site).returncode == 0
    published = site / "output" / "files" / "img" / "ferry-map.png"
    write(site / "seeds" / "img" / "ferry-map.png", PNG + b"v2")          # the document itself does not change
    assert run_cli("build", cwd=site).returncode == 0
    updated = published.read_bytes() == PNG + b"v2"
    text = (site / "seeds" / "ferry.md").read_text().replace("![Ferry map](img/ferry-map.png)", "No map any more.")
    write(site / "seeds" / "ferry.md", text)
    assert run_cli("build", cwd=site).returncode == 0
    removed = not published.exists() and not published.parent.exists()
    still = (site / "output" / "files" / "docs" / "fares table.pdf").is_file()
    os.remove(site / "seeds" / "ferry.md")
    assert run_cli("build", cwd=site).returncode == 0
    gone = not (site / "output" / "files").exists() or not any((site / "output" / "files").rglob("*.*"))
    record("local links", "updated when changed, removed when unreferenced", invalid_outputs=int(not updated)
           + int(not removed) + int(not still) + int(not gone))
    assert updated and removed and still and gone, (updated, removed, still, gone)


def test_files_that_may_not_be_published_are_reported_and_check_names_the_broken_links(site: Path, tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("TOPSECRET-CONTENT")
    write(site / "seedfeed.toml", CONFIG)
    write(site / "seeds" / "big.png", b"x" * 200_000)                    # over max_bytes
    write(site / "seeds" / ".hidden.png", PNG)
    os.symlink(outside, site / "seeds" / "escape.png")
    write(site / "seeds" / "a.md", "# A\n\n![big](big.png) ![hidden](.hidden.png) ![escape](escape.png) "
          "![up](../secret.txt) ![missing](missing.png)\n")
    write(site / "seeds" / "b.txt", "B\n\nA document that is fine.\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    published = sorted(p.name for p in (site / "output").rglob("*") if p.is_file() and "files" in p.parts)
    warned = [name for name in ("big.png", ".hidden.png", "escape.png", "../secret.txt", "missing.png")
              if any(name in line and "a.md" in line for line in result.stderr.splitlines())]
    items = json.loads((site / "output" / "feed.json").read_bytes())["items"]
    check = run_cli("check", cwd=site)
    reported = [name for name in ("big.png", ".hidden.png", "escape.png", "missing.png")
                if f"links to {BASE}files/{name}" in check.stdout]
    record("local links", "too large, hidden, symlink out, ../ out, missing: reported, not published",
           items_lost=2 - len(items), invalid_outputs=len(published), note=f"{len(warned)} of 5 warned")
    assert published == [] and len(items) == 2
    assert len(warned) == 5, result.stderr
    assert check.returncode == 1 and len(reported) == 4, check.stdout
    assert "TOPSECRET" not in "".join(p.read_text(errors="replace") for p in (site / "output").rglob("*") if p.is_file())
