"""Round 11 (docs/extraction.md): a learned content/boilerplate classifier over DOM blocks, scored with the
k-fold of ``bench/extraction.py`` (5 folds over both dev sets, stratified by page type; the model scored on
fold k is trained on the other four only).

Usage::

    python bench/extraction_blocks.py --prepare --jobs 2      # blocks, features, labels of every page (cache)
    python bench/extraction_blocks.py --ceiling               # body F1 of the perfect block labelling
    python bench/extraction_blocks.py --kfold                 # held-out body F1: shipped, (a), (b), (c)

The cache (features, block texts, candidate texts of each page; about 100 MB) is written outside the
repository, to ``$BLOCKS_CACHE`` (default ``/tmp/seedfeed-blocks15``). Needs numpy and lightgbm (study only:
not dependencies of seedfeed).
"""

from __future__ import annotations

import argparse
import gzip
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import extraction as bx  # noqa: E402 - bench/extraction.py: data, folds, scoring

CACHE = Path(os.environ.get("BLOCKS_CACHE", "/tmp/seedfeed-blocks15"))
#: A block is content when this share of its 4-word runs (all of its words, for a block of 1-3) is in the truth.
LABEL_SHARE = 0.5


def prepare_one(page: dict) -> dict | None:
    """Blocks, features and labels of one page, and the candidate texts of the shipped extraction."""
    import numpy as np
    from seedfeed.extraction import body as B
    from seedfeed.extraction.agree import superset
    from seedfeed.extraction.blocks import FEATURES, features, ngram_sets, page_blocks, share_in
    from seedfeed.extraction.meta import collect, looks_like_forum, parse_html
    from seedfeed.extraction.title import looks_like_article
    from seedfeed.extraction.tuning import DEFAULT

    with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
        html = fh.read()
    root = parse_html(html)
    if root is None:
        return None
    url = page["url"]
    pm = collect(root, url)
    base = url or pm.canonical
    B.resolve_lazy_images(root)
    forum = looks_like_forum(pm, root)
    images = B.mark_images(root)
    product = (pm.meta("og:type") or "").lower().startswith("product") or bool(pm.meta("product:price:amount")) \
        or any(o.depth == 0 and "product" in o.types for o in pm.jsonld)
    article = looks_like_article(pm) and not forum
    memo: dict = {}
    t0 = time.process_time()
    shipped = B.extract_body(root, base, article=article, product=product, forum=forum, images=images,
                             tuning=DEFAULT, memo=memo, html=html)[1]
    rules = B.extract_body(root, base, article=article, product=product, forum=forum, images=images,
                           tuning=DEFAULT.with_(agree_medoid=False, superset_share=0.0), memo=memo, html=html)[1]
    tree, memo2 = B._without_consent(root, memo)
    region = B._region(tree, base, images, memo2, DEFAULT)[1]
    third = B._resiliparse(memo2, html)[1]
    t1 = time.process_time()
    blocks = page_blocks(tree)
    cands = [ngram_sets(t) for t in (rules, region, third, shipped)]
    rows = features(blocks, cands, (article, forum, product))
    t2 = time.process_time()
    truth = ngram_sets(page["body"])
    labels = [share_in(b.words, truth) for b in blocks]
    use_medoid = not article and not forum and len(rules) <= B.AGREE_MAX_TEXT
    super_ = bool(third) and len(rules) <= B.AGREE_MAX_TEXT and superset(rules, third, DEFAULT.superset_share,
                                                                         DEFAULT.superset_ratio)
    return {"key": f"{page['set']}/{page['id']}", "set": page["set"], "id": page["id"], "type": page["type"],
            "truth": page["body"], "shipped": shipped, "rules": rules, "region": region, "third": third,
            "flags": (article, forum, product), "use_medoid": use_medoid, "superset": super_,
            "X": np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES) + len(cands) + 2),
            "y": np.asarray(labels, dtype=np.float32),
            "texts": [b.text for b in blocks], "ms_extract": (t1 - t0) * 1000, "ms_blocks": (t2 - t1) * 1000}


def prepare(jobs: int) -> None:
    pages = bx.load_set("scrapinghub") + bx.load_set("wcxb")
    out = [r for r in bx.pmap(prepare_one, pages, jobs) if r is not None]
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "pages.pkl", "wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    ms = [r["ms_blocks"] for r in out]
    print(f"{len(out)} pages of {len(pages)}; blocks per page mean {statistics.mean(len(r['texts']) for r in out):.0f}"
          f", max {max(len(r['texts']) for r in out)}; block pass CPU ms/page mean {statistics.mean(ms):.1f}, "
          f"median {statistics.median(ms):.1f} (extraction itself: mean "
          f"{statistics.mean(r['ms_extract'] for r in out):.1f})")


def load() -> tuple[list[dict], list[int]]:
    with open(CACHE / "pages.pkl", "rb") as fh:
        pages = pickle.load(fh)
    folds = bx.assign_folds([{"set": p["set"], "id": p["id"], "type": p["type"]} for p in pages])
    return pages, [folds[p["key"]] for p in pages]


def joined(texts: list[str], keep) -> str:
    return "\n\n".join(t for t, k in zip(texts, keep, strict=True) if k)


def table(pages: list[dict], fold_of: list[int], texts: dict[str, list[str]]) -> None:
    """Held-out body F1 of each named list of texts (one per page): mean ± sd [min, max] over the 5 folds,
    union, per set and per page type."""
    keys = ["union", "scrapinghub", "wcxb-dev", *bx.TYPES]

    def select(k: int, key: str) -> list[int]:
        idx = [i for i, f in enumerate(fold_of) if f == k]
        if key == "union":
            return idx
        if key in ("scrapinghub", "wcxb-dev"):
            return [i for i in idx if pages[i]["set"] == ("scrapinghub" if key == "scrapinghub" else "wcxb")]
        return [i for i in idx if pages[i]["type"] == key]

    scored = {name: [dict(zip(("p", "r"), bx.body_pr(t, p["truth"]), strict=True)) for t, p in zip(ts, pages,
                                                                                                       strict=True)]
              for name, ts in texts.items()}
    print("| body F1 (held-out, 5 folds: mean ± sd [min, max]) | " + " | ".join(texts) + " |")
    print("| --- |" + " --- |" * len(texts))
    for key in keys:
        cells = []
        for name in texts:
            vals = [bx.body_scores([scored[name][i] for i in select(k, key)])[0] for k in range(bx.FOLDS)]
            cells.append(f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals):.3f} [{min(vals):.3f}, "
                         f"{max(vals):.3f}]")
        n = len(select(0, key)) + sum(len(select(k, key)) for k in range(1, bx.FOLDS))
        print(f"| {key} ({n}) | " + " | ".join(cells) + " |")


def ceiling() -> None:
    pages, fold_of = load()
    texts = {"shipped default": [p["shipped"] for p in pages]}
    for share in (0.3, 0.5, 0.7):
        texts[f"perfect blocks (label share {share})"] = [joined(p["texts"], p["y"] >= share) for p in pages]
    table(pages, fold_of, texts)


def train(X, y, seed: int = 15, trees: int = 200, leaves: int = 31):
    import lightgbm as lgb

    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": leaves, "min_data_in_leaf": 40,
              "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "seed": seed, "num_threads": 1,
              "verbose": -1}
    return lgb.train(params, lgb.Dataset(X, label=y.astype("float32")), num_boost_round=trees)


def kfold(threshold: float) -> None:
    import numpy as np
    from seedfeed.extraction.agree import medoid, shingles

    pages, fold_of = load()
    probs: list = [None] * len(pages)
    for k in range(bx.FOLDS):
        train_idx = [i for i, f in enumerate(fold_of) if f != k]
        X = np.concatenate([pages[i]["X"] for i in train_idx])
        y = np.concatenate([pages[i]["y"] for i in train_idx]) >= LABEL_SHARE
        t0 = time.process_time()
        model = train(X, y)
        for i, f in enumerate(fold_of):
            if f == k and len(pages[i]["texts"]):
                probs[i] = model.predict(pages[i]["X"])
        print(f"fold {k}: trained on {len(train_idx)} pages, {len(y)} blocks ({y.mean():.0%} content), "
              f"{time.process_time() - t0:.0f} s CPU")
    clf = [joined(p["texts"], (pr >= threshold) if pr is not None else []) for p, pr in zip(pages, probs, strict=True)]
    fourth, replay = [], []
    for p, c in zip(pages, clf, strict=True):
        for out, extra in ((replay, []), (fourth, [c])):
            if p["superset"]:
                out.append(p["third"])
            elif p["use_medoid"] and p["third"]:
                cands = [p["rules"], p["region"], p["third"], *extra]
                out.append(cands[medoid([shingles(t) for t in cands])])
            else:
                out.append(p["shipped"])
    print(f"replay of the shipped choice: {sum(a == p['shipped'] for a, p in zip(replay, pages, strict=True))} of "
          f"{len(pages)} pages give the shipped text")
    nonart = [c if not p["flags"][0] else p["shipped"] for p, c in zip(pages, clf, strict=True)]
    table(pages, fold_of, {"shipped default": [p["shipped"] for p in pages], f"(a) classifier alone (p >= "
                           f"{threshold})": clf, "(b) 4th candidate of the medoid": fourth,
                           "(c) classifier on pages not marked as articles": nonart})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--kfold", action="store_true")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    if args.prepare:
        prepare(args.jobs)
    if args.ceiling:
        ceiling()
    if args.kfold:
        kfold(args.threshold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
