"""Round 15 (docs/extraction.md): are blocks repeated across a site boilerplate? The issue names "repeated blocks
across a site" as a signal; seedfeed polls the same sites again and again, so it could remember the lines each
site's pages show and leave them out of a new page's body.

Measured before anything is built: the shipped body of every dev page, with the lines (paragraphs of
``body_text``) that also stand on the site's other dev pages left out. "Other pages" are the dev pages of the
same host with another URL (431 of the 1,655 pages have at least one); "stand on" is either the other page's
whole visible text (resiliparse, ``main_content=False``) or its shipped body. A line counts when it has at
least W words and stands on at least N other pages. Only the pages' HTML is used, never their labels, and no
choice is made: every variant is printed, all pages, beside the shipped default.

Usage::

    python bench/extraction_site.py --jobs 2
"""

from __future__ import annotations

import argparse
import collections
import gzip
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import extraction as bx  # noqa: E402 - bench/extraction.py: data, scoring, runner

VARIANTS = [(source, words, pages) for source in ("page", "body") for words, pages in
            ((1, 1), (3, 1), (5, 1), (8, 1), (1, 2), (5, 2), (1, 3), (5, 3))]


def page_lines(page: dict) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
        html = fh.read()
    try:
        return extract_plain_text(html, main_content=False, alt_texts=False, links=False, list_bullets=False)
    except Exception:  # noqa: BLE001 - a page resiliparse cannot read stands for no lines
        return ""


def host(page: dict) -> str:
    return (urlsplit(page["url"] or "").hostname or "").removeprefix("www.")


def norm(line: str) -> str:
    return " ".join(bx.norm_words(line))


def lines_of(text: str) -> set[str]:
    return {norm(line) for line in text.split("\n") if line.strip()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    pages = bx.load_set("wcxb") + bx.load_set("scrapinghub")
    bodies = [r["got"].get("body_text") or "" for r in bx.pmap(bx.run_one, pages, args.jobs)]
    whole = bx.pmap(page_lines, pages, args.jobs)
    on_site = collections.defaultdict(list)
    for i, p in enumerate(pages):
        if host(p):
            on_site[host(p)].append(i)
    others = [[j for j in on_site.get(host(p), []) if pages[j]["url"] != p["url"]] for p in pages]
    line_sets = {"page": [lines_of(text) for text in whole], "body": [lines_of(text) for text in bodies]}
    print(f"{sum(1 for o in others if o)} of {len(pages)} pages share their host with another dev page")
    print("| lines left out | pages changed | body F1, union | P | R | " + " | ".join(bx.TYPES) + " |")
    print("| --- |" + " --- |" * (4 + len(bx.TYPES)))
    for variant in [None, *VARIANTS]:
        changed, scored = 0, []
        for i, p in enumerate(pages):
            body = bodies[i]
            if variant and others[i]:
                source, words, n = variant
                seen = collections.Counter()
                for j in others[i]:
                    seen.update(line_sets[source][j])
                kept = "\n".join(line for line in body.split("\n")
                                 if not (len((key := norm(line)).split()) >= words and seen[key] >= n))
                changed += kept != body
                body = kept
            pr, rc = bx.body_pr(body, p["body"])
            scored.append({"p": pr, "r": rc, "type": p["type"]})
        f, pr, rc = bx.body_scores(scored)
        per_type = [bx.body_scores([s for s in scored if s["type"] == t])[0] for t in bx.TYPES]
        name = ("none (the shipped default)" if variant is None else
                f"on the site's {'whole pages' if variant[0] == 'page' else 'bodies'}, >= {variant[1]} words, "
                f">= {variant[2]} other pages")
        print(f"| {name} | {changed} | {f:.4f} | {pr:.4f} | {rc:.4f} | " + " | ".join(f"{x:.3f}" for x in per_type)
              + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
