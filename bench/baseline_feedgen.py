"""The minimal baseline for bench/build.py: read every seed file, write RSS and Atom with feedgen, no state.

What a person would write in twenty lines: no sanitizing, no ids kept, no item pages, no change detection.
Usage: python bench/baseline_feedgen.py SEEDS OUTPUT [MAX_ITEMS]
"""

from __future__ import annotations

import html
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator


def main(seeds: Path, output: Path, max_items: int = 50) -> None:
    docs = []
    for path in sorted(seeds.rglob("*")):
        if path.suffix not in (".txt", ".md") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.strip().split("\n")
        title = lines[0].lstrip("# ").strip()
        paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
        mtime = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        docs.append((mtime, path, title, paragraphs))
    docs.sort(key=lambda d: d[0], reverse=True)
    fg = FeedGenerator()
    fg.id("urn:baseline")
    fg.title("Baseline")
    fg.link(href="http://localhost:8000/", rel="alternate")
    fg.description("baseline")
    for mtime, path, title, paragraphs in docs[:max_items]:
        fe = fg.add_entry(order="append")
        fe.id(f"urn:baseline:{path.name}")
        fe.title(title)
        fe.link(href=f"http://localhost:8000/{path.name}")
        fe.published(mtime)
        fe.updated(mtime)
        fe.description(paragraphs[0] if paragraphs else "", isSummary=True)
        fe.content("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs), type="html")
    output.mkdir(parents=True, exist_ok=True)
    fg.rss_file(str(output / "rss.xml"))
    fg.atom_file(str(output / "atom.xml"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 50)
