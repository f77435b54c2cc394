"""Benchmark ``seedfeed.extraction.extract_page`` on the extraction-dev sets.

Data and scoring rules: ``/work/shared/extraction-dev/README.md`` (scrapinghub Article Extraction Benchmark,
MIT; WCXB v1.0 development set, Copyright (c) 2026 Murrough Foley, CC-BY-4.0). The reference figures printed
beside ours are copied from that README ("Reference scores", measured 2026-11-29).

Usage (bench/README-extraction.md has more)::

    python bench/extraction.py --set both --jobs 2      # the full table
    python bench/extraction.py --kfold --jobs 2         # 5-fold held-out scores of the chosen tuning
    python bench/extraction.py --cpu 300                # CPU per page vs trafilatura.bare_extraction
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(os.environ.get("EXTRACTION_DEV", "/work/shared/extraction-dev"))
WCXB_EXCLUDED = {"2863", "3035"}  # identical HTML to 0670 / 0463 (README, section 2)
TYPES = ["article", "documentation", "forum", "listing", "service", "collection", "product"]

# Reference figures from /work/shared/extraction-dev/README.md, "Reference scores".
# name: (sh F1, P, R, wcxb F1, P, R, title, date, author, ms/page)
REFERENCE = {
    "trafilatura, defaults": (0.953, 0.928, 0.978, 0.817, 0.820, 0.813, 0.512, 0.834, 0.683, 63),
    "trafilatura, no comments": (0.960, 0.942, 0.978, 0.820, 0.829, 0.811, 0.512, 0.834, 0.683, 62),
    "readability-lxml": (0.954, 0.935, 0.974, 0.733, 0.805, 0.672, 0.633, None, None, 45),
    "newspaper3k": (0.894, 0.906, 0.882, 0.660, 0.818, 0.554, 0.671, 0.468, 0.386, 73),
    "goose3": (0.875, 0.931, 0.825, 0.639, 0.812, 0.527, 0.559, 0.589, 0.471, 111),
    "all <p> text": (0.837, 0.794, 0.886, 0.663, 0.690, 0.638, 0.201, None, None, 22),
    "whole page text": (0.665, 0.499, 0.994, 0.717, 0.574, 0.953, 0.201, None, None, 29),
    "trafilatura extract_metadata": (None, None, None, None, None, None, 0.515, 0.842, 0.684, 27),
    "htmldate original_date=True": (None, None, None, None, None, None, None, 0.842, None, 14),
}
# Body F1 per wcxb page type, same order as TYPES.
REFERENCE_TYPES = {
    "trafilatura, defaults": (0.928, 0.906, 0.708, 0.571, 0.753, 0.549, 0.624),
    "trafilatura, no comments": (0.934, 0.906, 0.700, 0.568, 0.753, 0.549, 0.630),
    "readability-lxml": (0.900, 0.827, 0.537, 0.337, 0.591, 0.400, 0.423),
    "newspaper3k": (0.852, 0.782, 0.336, 0.269, 0.351, 0.343, 0.306),
    "goose3": (0.812, 0.648, 0.382, 0.290, 0.432, 0.338, 0.375),
    "all <p> text": (0.792, 0.731, 0.459, 0.414, 0.605, 0.407, 0.413),
    "whole page text": (0.806, 0.819, 0.595, 0.598, 0.680, 0.472, 0.408),
}
_WORD = re.compile(r"\w+")


# ----------------------------------------------------------------------------------------------- scoring
def words(text: str | None) -> list[str]:
    return _WORD.findall(text or "")


def shingles(text: str | None) -> Counter:
    w = words(text)
    return Counter([tuple(w)] if 0 < len(w) < 4 else (tuple(w[i:i + 4]) for i in range(len(w) - 3)))


def body_pr(extracted: str, truth: str) -> tuple[float | None, float | None]:
    """(precision or None when nothing was extracted, recall or None when the truth is empty)."""
    e, t = shingles(extracted), shingles(truth)
    match = sum((e & t).values())
    return (match / e.total() if e else None), (match / t.total() if t else None)


def norm_words(text: str | None) -> list[str]:
    return words(unicodedata.normalize("NFKC", text or "").casefold())


def title_ok(extracted: str | None, truth: str | None) -> bool:
    return norm_words(extracted) == norm_words(truth)


def date_ok(extracted: str | None, truth: str | None) -> bool:
    return bool(extracted and re.match(r"\d{4}-\d{2}-\d{2}", extracted) and extracted[:10] == (truth or "")[:10])


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return n > 0 and any(big[i:i + n] == small for i in range(len(big) - n + 1))


def author_ok(extracted: str | None, truth: str | None) -> bool:
    a, b = norm_words(extracted), norm_words(truth)
    if not a or not b or a == b:
        return bool(a) and a == b
    return len(extracted or "") <= 100 and (_contains(a, b) or _contains(b, a))


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# ----------------------------------------------------------------------------------------------- running
def load_set(name: str) -> list[dict]:
    folder = DATA / ("scrapinghub" if name == "scrapinghub" else "wcxb-dev")
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for pid in sorted(truth):
        rec = truth[pid]
        if name == "scrapinghub":
            pages.append({"set": name, "id": pid, "url": rec.get("url"), "type": "article",
                          "body": rec.get("articleBody") or ""})
            continue
        if pid in WCXB_EXCLUDED or not rec.get("main_content"):
            continue
        pages.append({"set": name, "id": pid, "url": rec.get("url"), "type": rec["page_type"],
                      "body": rec["main_content"], "title": rec.get("title"),
                      "date": rec.get("publish_date"), "author": rec.get("author")})
    for p in pages:
        p["path"] = str(folder / "html" / f"{p['id']}.html.gz")
    return pages


def run_one(page: dict) -> dict:
    from seedfeed.extraction.page import extract_page, page_to_json

    with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
        html = fh.read()
    t0 = time.process_time()
    try:
        result, error = page_to_json(extract_page(html, page["url"])), None
    except Exception as exc:  # noqa: BLE001 - a crash is scored as empty, and reported
        result, error = {}, f"{type(exc).__name__}: {exc}"
    return score(page, result, error, (time.process_time() - t0) * 1000)


def score(page: dict, result: dict, error: str | None, ms: float) -> dict:
    p, r = body_pr(result.get("body_text") or "", page["body"])
    out = {"id": page["id"], "set": page["set"], "type": page["type"], "ms": ms, "p": p, "r": r,
           "error": error, "got": result}
    if page["set"] == "wcxb":
        truth_date = page.get("date") or ""
        out["title_ok"] = title_ok(result.get("title"), page.get("title"))
        out["date_scored"] = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", truth_date))
        out["date_ok"] = date_ok(result.get("published"), truth_date)
        out["author_scored"] = bool(page.get("author"))
        out["author_ok"] = author_ok(result.get("author"), page.get("author"))
    return out


def _mean(values: list) -> float:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else 0.0


def body_scores(results: list[dict]) -> tuple[float, float, float]:
    p = _mean([r["p"] for r in results])
    r_ = _mean([r["r"] for r in results])
    return f1(p, r_), p, r_


def share(results: list[dict], field: str) -> tuple[float, int]:
    scored = [r for r in results if field == "title" or r.get(f"{field}_scored")]
    return (sum(r[f"{field}_ok"] for r in scored) / len(scored) if scored else 0.0), len(scored)


def fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def print_tables(by_set: dict[str, list[dict]]) -> None:
    sh, wc = by_set.get("scrapinghub"), by_set.get("wcxb")
    print("\n## Body F1 / P / R; title, date, author on wcxb-dev; CPU ms/page (wcxb-dev, extract_page only)\n")
    print("| extractor | scrapinghub F1 | P | R | wcxb-dev F1 | P | R | title | date | author | ms mean | ms median |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    row = ["**seedfeed extract_page**"] + ([fmt(x) for x in body_scores(sh)] if sh else ["–"] * 3)
    row += [fmt(x) for x in body_scores(wc)] + [fmt(share(wc, f)[0]) for f in ("title", "date", "author")] if wc \
        else ["–"] * 6
    ms = [r["ms"] for r in wc or sh]
    row += [f"{statistics.mean(ms):.0f}", f"{statistics.median(ms):.0f}"]
    print("| " + " | ".join(row) + " |")
    for name, ref in REFERENCE.items():
        cells = [fmt(x) for x in ref[:9]] + [str(ref[9]), "–"]
        print(f"| {name} (README) | " + " | ".join(cells) + " |")
    if sh:
        print(f"\nscrapinghub pages: {len(sh)}; ms/page mean {statistics.mean(r['ms'] for r in sh):.0f}, "
              f"median {statistics.median(r['ms'] for r in sh):.0f}")
    if not wc:
        return
    counts = Counter(r["type"] for r in wc)
    print(f"wcxb-dev pages: {len(wc)} (title {len(wc)}, date {share(wc, 'date')[1]}, "
          f"author {share(wc, 'author')[1]})")
    print("\n## wcxb-dev body F1 by page type\n")
    print("| extractor | " + " | ".join(f"{t} ({counts.get(t, 0)})" for t in TYPES) + " |")
    print("| --- |" + " --- |" * len(TYPES))
    ours = [fmt(body_scores([r for r in wc if r["type"] == t])[0]) if counts.get(t) else "–" for t in TYPES]
    print("| **seedfeed** | " + " | ".join(ours) + " |")
    for name, ref in REFERENCE_TYPES.items():
        print(f"| {name} (README) | " + " | ".join(fmt(x) for x in ref) + " |")


# ----------------------------------------------------------------------------------------------- k-fold
# Named candidate tunings (overrides of seedfeed.extraction.tuning.Tuning). --kfold picks one on 4 folds (by the sum of
# body F1, title, date and author on those pages) and scores it on the fifth, so no threshold is judged on the
# pages it was chosen on. "default" is what seedfeed ships; "old" is the tuning before the k-fold work.
AUTHOR_RULES = ("author_label", "author_byline", "author_json", "author_profile")
# rounds 4 and 5 came after the old tuning and the grid: their rules are off in those candidates
R5_AUTHOR = {k: True for k in ("author_and", "author_written", "author_escaped", "author_flip", "author_class")}
R5_TITLE = {"title_last_part": True, "title_contained": True}
R4 = {k: False for k in (*R5_AUTHOR, *R5_TITLE, "date_visible")}  # round 4's default: "default" without round 5
NO_REPAIRS = {"author_glued": False, "author_digits": False, **R4}
OLD = {"region_share": 0.4, "trim": True, "title_h1_strip": False, **{k: False for k in AUTHOR_RULES}, **NO_REPAIRS}
CANDIDATES: dict[str, dict] = {"default": {}, "old": OLD}
# One change at a time from the old tuning (the first round of docs/extraction.md).
CANDIDATES.update({f"old + {k}={v}": {**OLD, k: v} for k, v in (
    ("region_share", 0.3), ("region_share", 0.5), ("region_share", 0.6), ("region_share", 0.7), ("region_share", 0.8),
    ("prose_words", 20), ("prose_words", 40), ("trim", False), ("trim_min", 0.6), ("trim_min", 0.8),
    ("recall_min_words", 10**9), ("recall_min_words", 150), ("fast", True), ("date_extensive", False),
    ("region_products", True), ("date_text", True), ("title_h1_strip", True), ("trim_fast", True),
    *((k, True) for k in AUTHOR_RULES))})
# The final grid: every combination of the choices that helped alone (--candidates grid).
GRID = {f"grid r{r} {trim} a{int(a)} h{int(h)}": {"region_share": r, "title_h1_strip": h, "trim": trim != "notrim",
                                                   "trim_fast": trim == "trimfast", **{k: a for k in AUTHOR_RULES},
                                                   **NO_REPAIRS}
        for r in (0.4, 0.7, 0.9, 1.0) for trim in ("trim", "trimfast", "notrim") for a in (False, True)
        for h in (False, True)}
CANDIDATES.update(GRID)
CANDIDATES.update({"no region on forums": {"region_forums": False}, "region 0.9": {"region_share": 0.9},
                   **{f"region {r} + no region on forums": {"region_share": r, "region_forums": False} for r in (0.7, 0.9)},
                   "no author repairs": {**R4, "author_glued": False, "author_digits": False},
                   "author glued": {**R4, "author_glued": True, "author_digits": False},
                   "author digits": {**R4, "author_glued": False, "author_digits": True}})
# Round 5: the new author and title rules (now on by default), alone and together, against round 4's default.
CANDIDATES.update({"round 4": R4, **{f"round 4 + {k}": {**R4, k: True} for k in (*R5_AUTHOR, *R5_TITLE, "date_visible")},
                   "round 4 + r5 author": {**R4, **R5_AUTHOR}, "round 4 + r5 title": {**R4, **R5_TITLE},
                   "default - date_visible": {"date_visible": False}})
ROUND5 = ["round 4", *(f"round 4 + {k}" for k in (*R5_AUTHOR, *R5_TITLE, "date_visible")), "round 4 + r5 author",
          "round 4 + r5 title", "default - date_visible", "default"]
# Round 6: the main region's cleaning (body; now on by default), against round 5's default: kept hidden and
# aria-hidden elements, boilerplate words at the start of class/id words only ("core"), then the sectional
# <header>/<footer> rule on top. (A rule keeping <button>s of 4+ words was never chosen: docs/extraction.md.)
R6_CORE = {"region_drop_hidden": False, "region_drop_aria_hidden": False, "region_word_start": True}
R6_OFF = {"region_drop_hidden": True, "region_drop_aria_hidden": True, "region_word_start": False,
          "region_sectional": False}
for _c in CANDIDATES.values():  # the candidates of the earlier rounds stay what they were
    if _c:
        _c.update({k: v for k, v in R6_OFF.items() if k not in _c})
R6_ALL = {**R6_CORE, "region_sectional": True}
CANDIDATES.update({"round 5": R6_OFF, **{f"round 5 + {k}={v}": {**R6_OFF, k: v} for k, v in R6_ALL.items()},
                   "round 5 + r6 core": {**R6_OFF, **R6_CORE}, "round 5 + r6 core + sectional": R6_ALL})
ROUND5[-1] = "round 5"  # round 5's "default"
ROUND6 = ["round 5", "round 5 + r6 core", "round 5 + r6 core + sectional", "default"]
# after round 6: the region share again, now that the region keeps more (--candidates "r6 share")
CANDIDATES.update({f"default, region {r}": {"region_share": r} for r in (0.8, 0.9, 1.2)})
R6_SHARE = ["default", *(f"default, region {r}" for r in (0.8, 0.9, 1.2))]


def _earlier_rounds_without(rules: dict) -> None:
    """A new round's rules, off in every earlier round's candidate (all but "default"): those stay what they were."""
    for name, candidate in CANDIDATES.items():
        if name != "default":
            candidate.update({k: v for k, v in rules.items() if k not in candidate})


# Round 7: resiliparse's main content as a third candidate body (seedfeed.extraction.agree), against round 6's
# default: the medoid of the three on pages not marked as articles (also on forums / products, or not), and the
# "cut short" rule (resiliparse holds share of the body's runs and ratio times as many), alone and together.
R7_OFF = {"agree_medoid": False, "superset_share": 0.0}
_earlier_rounds_without(R7_OFF)
_MEDOID = {"r7 medoid": {"agree_forums": True}, "r7 medoid, no forums": {"agree_forums": False},
           "r7 medoid, no products": {"agree_forums": True, "agree_products": False},
           "r7 medoid, no forums or products": {"agree_forums": False, "agree_products": False},
           # the cheap ones: the medoid only where the region is made anyway (no forums, products or prose)
           "r7 medoid, no forums or prose": {"agree_forums": False, "agree_prose": False},
           "r7 medoid, no forums, products or prose": {"agree_forums": False, "agree_products": False,
                                                       "agree_prose": False}}
_SUPER = {"superset 0.8x3": {"superset_share": 0.8, "superset_ratio": 3.0},
          "superset 0.8x2": {"superset_share": 0.8, "superset_ratio": 2.0}}
CANDIDATES.update({"round 6": dict(R7_OFF),
                   **{f"round 6 + {k}": {**R7_OFF, **v} for k, v in _SUPER.items()},
                   **{k: {**R7_OFF, "agree_medoid": True, **v} for k, v in _MEDOID.items()},
                   **{f"{k} + {j}": {**R7_OFF, "agree_medoid": True, **v, **w} for k, v in _MEDOID.items()
                      for j, w in _SUPER.items()}})
ROUND6[-1] = R6_SHARE[0] = "round 6"  # round 6's "default"
ROUND7 = ["round 6", *(f"round 6 + {k}" for k in _SUPER), *_MEDOID,
          *(f"{k} + {j}" for k in _MEDOID for j in _SUPER)]
# Round 9: the main region narrowed around its repeated blocks (cards_link_share) and, on pages marked as
# articles, that region when it is a list of repeated blocks with more text (cards_article_ratio / _share),
# against round 8's default (both off).
R9_OFF = {"cards_link_share": 0.0, "cards_article_ratio": 0.0}
_earlier_rounds_without(R9_OFF)
_NARROW = {"r9 narrow 0.3": {"cards_link_share": 0.3}, "r9 narrow 0.5": {"cards_link_share": 0.5}}
_LISTED = {"article 2x": {"cards_article_ratio": 2.0}, "article 3x": {"cards_article_ratio": 3.0},
           "article 2x share 0.7": {"cards_article_ratio": 2.0, "cards_article_share": 0.7}}
CANDIDATES.update({"round 8": dict(R9_OFF), **{k: {**R9_OFF, **v} for k, v in _NARROW.items()},
                   **{f"r9 {j}": {**R9_OFF, **w} for j, w in _LISTED.items()},
                   **{f"{k} + {j}": {**R9_OFF, **v, **w} for k, v in _NARROW.items() for j, w in _LISTED.items()}})
ROUND9 = ["round 8", *_NARROW, *(f"r9 {j}" for j in _LISTED), *(f"{k} + {j}" for k in _NARROW for j in _LISTED)]
# Round 10: the body chosen on a copy of the page without its cookie-consent dialogs (consent_drop), against
# round 9's default.
R10_OFF = {"consent_drop": False}
_earlier_rounds_without(R10_OFF)
CANDIDATES.update({"round 9": dict(R10_OFF), "r10 consent": {"consent_drop": True}})
ROUND10 = ["round 9", "r10 consent"]
# Round 12: a JSON-LD published date gives way to the first date the page text shows, when that is another day
# (date_ld_shown), against round 10's default.
R12_OFF = {"date_ld_shown": False}
_earlier_rounds_without(R12_OFF)
CANDIDATES.update({"round 10": dict(R12_OFF), "r12 ld shown": {"date_ld_shown": True}})
ROUND12 = ["round 10", "r12 ld shown"]
# Round 13: the text of the "cut short" rule read again without the page's comment sections (superset_comments),
# calls to action ("Read more", "Add to cart") left out of the main region and resiliparse's text (cta_drop), and
# two date rules (date_time_text, date_htmldate_labelled), against round 12's default.
_R13_BODY = {"superset_comments": True, "cta_drop": True}
_R13_DATES = {"date_time_text": True, "date_htmldate_labelled": True}
R13_OFF = {k: False for k in (*_R13_BODY, *_R13_DATES)}
_earlier_rounds_without(R13_OFF)
CANDIDATES.update({"round 12": dict(R13_OFF), "r13 no comments": {**R13_OFF, "superset_comments": True},
                   "r13 no comments + calls to action": {**R13_OFF, **_R13_BODY},
                   "r13 dates": {**R13_OFF, **_R13_DATES}, "r13 body + dates": {**_R13_BODY, **_R13_DATES}})
ROUND13 = ["round 12", "r13 no comments", "r13 no comments + calls to action", "r13 dates", "r13 body + dates"]
# Round 14: runs of repeated blocks dropped from the chosen body (repeats_words words together, runs of
# repeats_run blocks), against round 13's default.
R14_OFF = {"repeats_words": 0, "repeats_run": 1}
_earlier_rounds_without(R14_OFF)
_REPEATS = {f"r14 repeats {run}x{w}": {"repeats_run": run, "repeats_words": w}
            for run, w in ((1, 12), (1, 20), (2, 6), (2, 10), (3, 10))}
CANDIDATES.update({"round 13": dict(R14_OFF), **_REPEATS})
ROUND14 = ["round 13", *_REPEATS]
FOLDS, SEED = 5, 15


def pmap(func, pages: list[dict], jobs: int) -> list:
    if jobs <= 1:
        return [func(p) for p in pages]
    with multiprocessing.Pool(jobs) as pool:
        return pool.map(func, pages, chunksize=4)


def assign_folds(pages: list[dict]) -> dict[str, int]:
    """Deterministic folds, stratified by page type (scrapinghub pages are articles): each type is shuffled
    with a fixed seed and dealt round-robin, continuing the rotation from type to type."""
    folds, turn = {}, 0
    for t in TYPES:
        group = sorted((p for p in pages if p["type"] == t), key=lambda p: (p["set"], p["id"]))
        random.Random(f"{SEED}-{t}").shuffle(group)
        for p in group:
            folds[f"{p['set']}/{p['id']}"] = turn % FOLDS
            turn += 1
    return folds


def run_variants(page: dict) -> list[dict]:
    """run_one for every candidate, sharing the parse and the trafilatura runs."""
    from seedfeed.extraction.page import extract_variants, page_to_json
    from seedfeed.extraction.tuning import Tuning

    with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
        html = fh.read()
    tunings = [Tuning(**CANDIDATES[name]) for name in CANDIDATES]
    try:
        got, error = [page_to_json(x) for x in extract_variants(html, page["url"], tunings)], None
    except Exception as exc:  # noqa: BLE001 - a crash is scored as empty, and reported
        got, error = [{} for _ in tunings], f"{type(exc).__name__}: {exc}"
    return [{**score(page, g, error, 0.0), "got": {}} for g in got]


def summary(results: list[dict]) -> dict[str, float]:
    """Body F1 over the union and per set and page type; title, date and author shares (wcxb-dev)."""
    wc = [r for r in results if r["set"] == "wcxb"]
    out = {"body F1 (union)": body_scores(results)[0],
           "body F1 scrapinghub": body_scores([r for r in results if r["set"] == "scrapinghub"])[0],
           "body F1 wcxb-dev": body_scores(wc)[0]}
    out.update({f"body F1 {t}": body_scores([r for r in results if r["type"] == t])[0] for t in TYPES})
    out.update({f: share(wc, f)[0] for f in ("title", "date", "author")})
    return out


def kfold(pages: list[dict], jobs: int) -> None:
    folds = assign_folds(pages)
    per_page = pmap(run_variants, pages, jobs)
    names = list(CANDIDATES)
    fold_of = [folds[f"{p['set']}/{p['id']}"] for p in pages]
    held: list[dict[str, float]] = []
    print(f"# k-fold: {FOLDS} folds (seed {SEED}, stratified by type), {len(pages)} pages, candidates: {names}\n")
    for k in range(FOLDS):
        def objective(c: int, k: int = k) -> float:
            train = [res[c] for res, f in zip(per_page, fold_of, strict=True) if f != k]
            s = summary(train)
            return s["body F1 (union)"] + s["title"] + s["date"] + s["author"]
        best = max(range(len(names)), key=lambda c: (objective(c), -c))
        held.append(summary([res[best] for res, f in zip(per_page, fold_of, strict=True) if f == k]))
        print(f"fold {k}: {sum(f == k for f in fold_of)} pages held out, chosen on the other 4: {names[best]}")
    print("\n| held-out score | mean | ± sd | min | max | " + " | ".join(f"fold {k}" for k in range(FOLDS)) + " |")
    print("| --- |" + " --- |" * (4 + FOLDS))
    for key in held[0]:
        vals = [h[key] for h in held]
        print(f"| {key} | {statistics.mean(vals):.3f} | {statistics.stdev(vals):.3f} | {min(vals):.3f} | "
              f"{max(vals):.3f} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    print("\n## every candidate, scored on all pages (for the log; the selection above never sees its held-out fold)\n")
    print("| candidate | body F1 union | scrapinghub | wcxb-dev | title | date | author |\n| --- |" + " --- |" * 6)
    for c, name in enumerate(names):
        s = summary([res[c] for res in per_page])
        print(f"| {name} | " + " | ".join(f"{s[k]:.4f}" for k in ("body F1 (union)", "body F1 scrapinghub",
                                                                   "body F1 wcxb-dev", "title", "date", "author")) + " |")
    print(f"\npages that raised: {sum(1 for res in per_page if res[0]['error'])}")


def cpu_ratio(pages: list[dict], n: int, candidate: str | None = None) -> None:
    """CPU per page (time.process_time) of extract_page and trafilatura.bare_extraction (metadata, no comments)
    on the same pages, alternating in one process, so the ratio holds whatever else the machine is doing."""
    from functools import partial

    import trafilatura
    from seedfeed.extraction.page import extract_page as default_extract
    from seedfeed.extraction.tuning import Tuning

    extract_page = partial(default_extract, tuning=Tuning(**CANDIDATES[candidate])) if candidate else default_extract
    sample = pages[:: max(1, len(pages) // n)][:n]
    traf = partial(trafilatura.bare_extraction, with_metadata=True, include_comments=False)
    times: dict = {extract_page: [], traf: []}
    for i, page in enumerate([sample[0]] + sample):  # the first page only warms up imports and caches
        with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
            html = fh.read()
        # who goes first alternates: both share lazily built caches (htmldate's dateparser locales)
        for func in (extract_page, traf) if i % 2 else (traf, extract_page):
            t0 = time.process_time()
            func(html, url=page["url"])
            if i:
                times[func].append((time.process_time() - t0) * 1000)
    ours, theirs = times[extract_page], times[traf]
    print(f"## CPU ms/page in one process, {len(sample)} pages spread over the chosen sets\n\n| extractor | mean | "
          f"median |\n| --- | --- | --- |\n| seedfeed extract_page | {statistics.mean(ours):.1f} | "
          f"{statistics.median(ours):.1f} |\n| trafilatura bare_extraction (with_metadata, no comments) | "
          f"{statistics.mean(theirs):.1f} | {statistics.median(theirs):.1f} |")
    print(f"\nratio of means: {statistics.mean(ours) / statistics.mean(theirs):.2f}x; "
          f"ratio of medians: {statistics.median(ours) / statistics.median(theirs):.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=["scrapinghub", "wcxb", "both"], default="both")
    ap.add_argument("--limit", type=int, default=0, help="N scored pages of each set, spread evenly over it")
    ap.add_argument("--type", help="only wcxb pages of this page type")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--dump", help="write one JSON per page (extraction, truth, scores) into this folder")
    ap.add_argument("--cpu", type=int, default=0, metavar="N",
                    help="only time extract_page beside trafilatura bare_extraction on N pages, in one process")
    ap.add_argument("--kfold", action="store_true", help="5-fold selection of the candidate tunings (see CANDIDATES)")
    ap.add_argument("--candidates", help="comma-separated subset of CANDIDATES for --kfold")
    args = ap.parse_args(argv)

    names = ["scrapinghub", "wcxb"] if args.set == "both" else [args.set]
    pages: list[dict] = []
    for name in names:
        chosen = load_set(name)
        if args.type:
            chosen = [p for p in chosen if p["type"] == args.type]
        if args.limit:
            step = max(1, len(chosen) // args.limit)  # spread over the set, not the first ids only
            chosen = chosen[::step][: args.limit]
        pages.extend(chosen)

    if args.cpu:
        return cpu_ratio(pages, args.cpu, args.candidates) or 0
    if args.kfold:
        if args.candidates:  # exactly these, in this order ("grid": the final grid)
            named = {"grid": list(GRID), "round5": ROUND5, "round6": ROUND6, "r6 share": R6_SHARE,
                     "round7": ROUND7, "round9": ROUND9, "round10": ROUND10, "round12": ROUND12, "round13": ROUND13,
                     "round14": ROUND14}
            wanted = named.get(args.candidates) or args.candidates.split(",")
            chosen = {name: CANDIDATES[name] for name in wanted}
            CANDIDATES.clear()
            CANDIDATES.update(chosen)
        kfold(pages, args.jobs)
        return 0
    wall = time.time()
    results = pmap(run_one, pages, args.jobs)
    wall = time.time() - wall

    by_set: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_set[r["set"]].append(r)
    print(f"# seedfeed extraction benchmark ({len(results)} pages, {wall:.0f} s wall, jobs={args.jobs})")
    print_tables(by_set)
    errors = [f"{r['set']} {r['id']}: {r['error']}" for r in results if r["error"]]
    print(f"\n{len(errors)} pages raised (scored as empty)" + "".join(f"\n  {e}" for e in errors[:20]))
    if args.dump:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        for page, r in zip(pages, results, strict=True):
            truth = {k: page.get(k) for k in ("url", "type", "title", "date", "author", "body")}
            (out / f"{r['set']}-{r['id']}.json").write_text(
                json.dumps({"result": r, "truth": truth}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
