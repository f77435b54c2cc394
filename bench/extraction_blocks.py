"""Round 11 (docs/extraction.md): a learned content/boilerplate classifier over DOM blocks, scored with the
k-fold of ``bench/extraction.py`` (5 folds over both dev sets, stratified by page type; the model scored on
fold k is trained on the other four only).

Usage::

    python bench/extraction_blocks.py --prepare --jobs 2      # blocks, features, labels of every page (cache)
    python bench/extraction_blocks.py --ceiling               # body F1 of the perfect block labelling
    python bench/extraction_blocks.py --kfold --weight page   # held-out body F1: shipped, (a), (b), (c)
    python bench/extraction_blocks.py --cost 300              # CPU of the block pass and the model vs trafilatura
    python bench/extraction_blocks.py --importance            # round 11b: LightGBM gain importance of the features
    python bench/extraction_blocks.py --cheap gbm200x31:all gbm20d3:all logreg:all   # round 11b: held-out (c)
    python bench/extraction_blocks.py --cost 300 --cheap gbm20d3:shipped logreg:shipped  # round 11b: their CPU
    python bench/extraction_blocks.py --learning-curve 0.25 0.5 0.75 1 --weight page  # round 15: more pages?

The cache (features, block texts, candidate texts of each page; about 220 MB) is written outside the
repository, to ``$BLOCKS_CACHE`` (default ``/tmp/seedfeed-blocks``). Needs numpy and lightgbm (study only:
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

CACHE = Path(os.environ.get("BLOCKS_CACHE", "/tmp/seedfeed-blocks"))
#: A block is content when this share of its 4-word runs (all of its words, for a block of 1-3) is in the truth.
LABEL_SHARE = 0.5
#: "context": labels by context_labels; "block": by the block's own runs only (short blocks by any occurrence).
LABELS = os.environ.get("BLOCKS_LABELS", "context")
#: The model's size (LightGBM trees and leaves per tree).
TREES, LEAVES = int(os.environ.get("BLOCKS_TREES", 200)), int(os.environ.get("BLOCKS_LEAVES", 31))


def prepare_one(page: dict) -> dict | None:
    """Blocks, features and labels of one page, and the candidate texts of the shipped extraction."""
    import numpy as np
    from seedfeed.extraction import body as B
    from seedfeed.extraction.agree import superset
    from seedfeed.extraction.blocks import feature_names, features, ngram_sets, page_blocks, share_in
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
    ids: dict = {}
    groups = []  # each block's element and its 3 nearest ancestors, as page-local numbers (for the 2nd stage)
    for b in blocks:
        chain, el = [], b.el
        for _ in range(4):
            chain.append(ids.setdefault(el, len(ids)) if el is not None else -1)
            el = el.getparent() if el is not None else None
        groups.append(chain)
    truth = ngram_sets(page["body"])
    labels = [share_in(b.words, truth) for b in blocks]
    use_medoid = not article and not forum and len(rules) <= B.AGREE_MAX_TEXT
    super_ = bool(third) and len(rules) <= B.AGREE_MAX_TEXT and superset(rules, third, DEFAULT.superset_share,
                                                                         DEFAULT.superset_ratio)
    return {"key": f"{page['set']}/{page['id']}", "set": page["set"], "id": page["id"], "type": page["type"],
            "truth": page["body"], "shipped": shipped, "rules": rules, "region": region, "third": third,
            "flags": (article, forum, product), "use_medoid": use_medoid, "superset": super_,
            "X": np.asarray(rows, dtype=np.float32).reshape(len(rows), len(feature_names(len(cands)))),
            "y": np.asarray(labels, dtype=np.float32),
            "texts": [b.text for b in blocks], "groups": np.asarray(groups, dtype=np.int32).reshape(len(groups), 4),
            "ms_extract": (t1 - t0) * 1000, "ms_blocks": (t2 - t1) * 1000}


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


def context_labels(texts: list[str], truth: str):
    """The share of each block's 4-word runs found in the truth, the runs taken over the block with the last 3
    words of the block before it and the first 3 of the block after it (every run touching the block counts).
    A short block ("Gray", "Sofas") then counts as content only where the truth has it among the same
    neighbours: a filter list's colour is not labelled content because a product's colour is."""
    import numpy as np
    from seedfeed.extraction.blocks import ngram_sets

    runs = ngram_sets(truth)[3]
    flat = " " + " ".join(bx.words(truth)) + " "
    words = [bx.words(t) for t in texts]
    out = []
    for i, w in enumerate(words):
        before = words[i - 1][-3:] if i else []
        after = words[i + 1][:3] if i + 1 < len(words) else []
        ctx = before + w + after
        if len(ctx) < 4:
            out.append(1.0 if ctx and f" {' '.join(ctx)} " in flat else 0.0)
            continue
        lo, hi = len(before), len(before) + len(w)  # the block's words are ctx[lo:hi]
        starts = [s for s in range(len(ctx) - 3) if s < hi and s + 3 >= lo]
        out.append(sum(1 for s in starts if tuple(ctx[s:s + 4]) in runs) / len(starts))
    return np.asarray(out, dtype=np.float32)


def load() -> tuple[list[dict], list[int]]:
    with open(CACHE / "pages.pkl", "rb") as fh:
        pages = pickle.load(fh)
    if LABELS == "context":
        for p in pages:
            p["y"] = context_labels(p["texts"], p["truth"])
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


def train(X, y, seed: int = 15, weight=None):
    import lightgbm as lgb

    trees, leaves = TREES, LEAVES
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": leaves, "min_data_in_leaf": 40,
              "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "seed": seed, "num_threads": 1,
              "verbose": -1}
    return lgb.train(params, lgb.Dataset(X, label=y.astype("float32"), weight=weight), num_boost_round=trees)


def weights(pages: list[dict], idx: list[int], how: str):
    """Training weight of each block: "none"; "page" (the block's share of its page's words: every page counts
    the same, and a long block more than a short one, as the page-averaged score does); "mix" (half that, half
    uniform over the page's blocks)."""
    import numpy as np

    if how == "none":
        return None
    out = []
    for i in idx:
        w = pages[i]["X"][:, 0]
        share = w / max(1.0, float(w.sum()))
        out.append(share if how == "page" else 0.5 * share + 0.5 / max(1, len(w)))
    return np.concatenate(out) * 1000


def context(page: dict, prob):
    """Second-stage features of each block from the first stage's probabilities: its own, its 2 neighbours' on
    each side, the word-weighted mean and the max over the blocks sharing its element and each of its 3 nearest
    ancestors, and the page's word-weighted mean."""
    import numpy as np

    n = len(prob)
    w = page["X"][:, 0].astype(np.float64)
    pad = np.concatenate([[-1.0, -1.0], prob, [-1.0, -1.0]])
    cols = [prob, pad[0:n], pad[1:n + 1], pad[3:n + 3], pad[4:n + 4]]
    for level in range(4):
        g = page["groups"][:, level]
        g = np.where(g < 0, int(g.max(initial=0)) + 1 + np.arange(n), g)  # no such ancestor: a group of one
        size = int(g.max()) + 1 if n else 0
        tw = np.bincount(g, weights=w, minlength=size)
        tp = np.bincount(g, weights=w * prob, minlength=size)
        mx = np.full(size, -1.0)
        np.maximum.at(mx, g, prob)
        cols += [tp[g] / np.maximum(tw[g], 1.0), mx[g], np.bincount(g, minlength=size)[g].astype(np.float64)]
    cols.append(np.full(n, float((w * prob).sum() / max(1.0, w.sum()))))
    return np.column_stack(cols).astype(np.float32) if n else np.zeros((0, len(cols)), dtype=np.float32)


def _fit_predict(pages, train_idx, test_idx, weight, extra=None):
    """Train on ``train_idx`` (features plus ``extra[i]`` columns when given), predict ``test_idx``."""
    import numpy as np

    def X(i):
        return np.hstack([pages[i]["X"], extra[i]]) if extra is not None else pages[i]["X"]

    model = train(np.concatenate([X(i) for i in train_idx]),
                  np.concatenate([pages[i]["y"] for i in train_idx]) >= LABEL_SHARE,
                  weight=weights(pages, train_idx, weight))
    return {i: (model.predict(X(i)) if len(pages[i]["texts"]) else np.zeros(0)) for i in test_idx}


def stacked(pages, fold_of, weight):
    """Held-out probabilities of the two-stage model: the second stage sees the first stage's probabilities of
    the block's neighbours and containers; on the training folds those come from inner folds (the first stage
    never predicts a page it was trained on)."""
    probs: list = [None] * len(pages)
    for k in range(bx.FOLDS):
        t0 = time.process_time()
        train_idx = [i for i, f in enumerate(fold_of) if f != k]
        test_idx = [i for i, f in enumerate(fold_of) if f == k]
        oof: dict = {}
        for j in sorted({fold_of[i] for i in train_idx}):
            inner_train = [i for i in train_idx if fold_of[i] != j]
            oof.update(_fit_predict(pages, inner_train, [i for i in train_idx if fold_of[i] == j], weight))
        oof.update(_fit_predict(pages, train_idx, test_idx, weight))
        extra = {i: context(pages[i], oof[i]) for i in oof}
        probs_k = _fit_predict(pages, train_idx, test_idx, weight, extra)
        for i in test_idx:
            probs[i] = probs_k[i]
        print(f"fold {k}: two stages, {time.process_time() - t0:.0f} s CPU")
    return probs


def kfold(threshold: float, weight: str = "none", stack: bool = False) -> None:
    import numpy as np
    from seedfeed.extraction.agree import medoid, shingles

    pages, fold_of = load()
    probs: list = stacked(pages, fold_of, weight) if stack else [None] * len(pages)
    for k in range(bx.FOLDS if not stack else 0):
        train_idx = [i for i, f in enumerate(fold_of) if f != k]
        X = np.concatenate([pages[i]["X"] for i in train_idx])
        y = np.concatenate([pages[i]["y"] for i in train_idx]) >= LABEL_SHARE
        t0 = time.process_time()
        model = train(X, y, weight=weights(pages, train_idx, weight))
        for i, f in enumerate(fold_of):
            if f == k and len(pages[i]["texts"]):
                probs[i] = model.predict(pages[i]["X"])
        print(f"fold {k}: trained on {len(train_idx)} pages, {len(y)} blocks ({y.mean():.0%} content), "
              f"{time.process_time() - t0:.0f} s CPU")
    with open(CACHE / f"probs-{weight}{'-stack' if stack else ''}.pkl", "wb") as fh:
        pickle.dump(probs, fh)
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
                           "(a) on pages not marked as articles": nonart,
                           "(c) filter/extend the shipped body": filter_extend(pages, fold_of, probs)})


#: (c) filter/extend: a block of the shipped body is kept when its probability is at least LOW, a block outside it
#: is added when at least HIGH; on all pages, on pages not marked as articles, or on forum/product pages only.
FILTER_GRID = [(lo, hi) for lo in (0.0, 0.1, 0.2, 0.3, 0.4) for hi in (0.5, 0.7, 0.9, 1.01)]
GATES = {"all pages": lambda p: True, "not articles": lambda p: not p["flags"][0],
         "forum/product pages": lambda p: p["flags"][1] or p["flags"][2]}


def filter_extend(pages: list[dict], fold_of: list[int], probs: list) -> list[str]:
    """Held-out texts of the filter/extend rule: (LOW, HIGH, gate) chosen by body F1 on the 4 other folds."""
    from seedfeed.extraction.blocks import feature_names

    col = feature_names(4).index("agree_3")  # the block's share in the shipped body
    texts, scores = {}, {}
    for lo, hi in FILTER_GRID:
        for gate_name, gate in GATES.items():
            out = []
            for p, q in zip(pages, probs, strict=True):
                if not gate(p) or q is None or not len(q):
                    out.append(p["shipped"])
                    continue
                inside = p["X"][:, col] >= 0.5
                out.append(joined(p["texts"], (inside & (q >= lo)) | (~inside & (q >= hi))))
            name = f"low {lo}, high {hi}, {gate_name}"
            texts[name] = out
            scores[name] = [dict(zip(("p", "r"), bx.body_pr(t, p["truth"]), strict=True))
                            for t, p in zip(out, pages, strict=True)]
    final = [""] * len(pages)
    for k in range(bx.FOLDS):
        best = max(scores, key=lambda n: bx.body_scores([s for s, f in zip(scores[n], fold_of, strict=True)
                                                         if f != k])[0])
        print(f"filter/extend, fold {k}: chosen on the other 4: {best}")
        for i, f in enumerate(fold_of):
            if f == k:
                final[i] = texts[best][i]
    return final


def _per_fold(pages: list[dict], fold_of: list[int], texts: list[str], types: set[str] | None = None
              ) -> list[float]:
    """Body F1 of ``texts`` on each fold (only the pages of ``types`` when given)."""
    scored = [dict(zip(("p", "r"), bx.body_pr(t, p["truth"]), strict=True)) for t, p in zip(texts, pages, strict=True)]
    return [bx.body_scores([s for s, f, p in zip(scored, fold_of, pages, strict=True)
                            if f == k and (types is None or p["type"] in types)])[0] for k in range(bx.FOLDS)]


def learning_curve(shares: list[float], weight: str) -> None:
    """Round 15: held-out (c) when the model of fold k is trained on only ``share`` of the other four folds'
    pages (a random subset of each page type, the same seed for every share): does more labelled data pay?"""
    import random

    import numpy as np

    pages, fold_of = load()
    rows = []
    for share in shares:
        probs: list = [None] * len(pages)
        n_train = []
        for k in range(bx.FOLDS):
            train_idx = []
            for t in bx.TYPES:
                group = [i for i, f in enumerate(fold_of) if f != k and pages[i]["type"] == t]
                random.Random(f"curve-{k}-{t}").shuffle(group)
                train_idx += group[:max(1, round(share * len(group)))]
            n_train.append(len(train_idx))
            model = train(np.concatenate([pages[i]["X"] for i in train_idx]),
                          np.concatenate([pages[i]["y"] for i in train_idx]) >= LABEL_SHARE,
                          weight=weights(pages, train_idx, weight))
            for i, f in enumerate(fold_of):
                if f == k and len(pages[i]["texts"]):
                    probs[i] = model.predict(pages[i]["X"])
        texts = filter_extend(pages, fold_of, probs)
        rows.append((share, statistics.mean(n_train), _per_fold(pages, fold_of, texts),
                     _per_fold(pages, fold_of, texts, {"forum", "listing", "collection", "product"})))
    base = statistics.mean(_per_fold(pages, fold_of, [p["shipped"] for p in pages]))
    print(f"| training share (pages per fold) | held-out (c), union: mean ± sd | forum, listing, collection, product |"
          f" gain over the shipped default ({base:.4f}) |")
    print("| --- | --- | --- | --- |")
    for share, n, per_fold, nonart in rows:
        print(f"| {share:g} ({n:.0f}) | {statistics.mean(per_fold):.4f} ± {statistics.stdev(per_fold):.4f} | "
              f"{statistics.mean(nonart):.4f} | {statistics.mean(per_fold) - base:+.4f} |")


def _tree_eval(node: dict, row: list[float]) -> float:
    """One LightGBM tree on one row, in plain Python (what a shipped model would cost without numpy)."""
    while "leaf_value" not in node:
        x = row[node["split_feature"]]
        node = node["left_child"] if x <= node["threshold"] else node["right_child"]
    return node["leaf_value"]


def cost(n: int) -> None:
    """CPU per page (time.process_time, one process) of what shipping the classifier would add: the block pass
    (blocks and features on the parsed page, the candidate texts given) and the model (trained on all pages,
    evaluated tree by tree in plain Python), next to trafilatura's bare_extraction on the same pages (the
    pages of ``bench/extraction.py --cpu n``)."""
    import math

    import numpy as np
    import trafilatura
    from seedfeed.extraction import body as B
    from seedfeed.extraction.blocks import features, ngram_sets, page_blocks
    from seedfeed.extraction.consent import without_consent
    from seedfeed.extraction.meta import parse_html

    pages, _ = load()
    model = train(np.concatenate([p["X"] for p in pages]), np.concatenate([p["y"] for p in pages]) >= LABEL_SHARE,
                  weight=weights(pages, list(range(len(pages))), "page"))
    trees = [t["tree_structure"] for t in model.dump_model()["tree_info"]]
    cached = {p["key"]: p for p in pages}
    every = bx.load_set("scrapinghub") + bx.load_set("wcxb")
    sample = every[:: max(1, len(every) // n)][:n]
    times: dict[str, list[float]] = {"trafilatura": [], "blocks": [], "model": []}
    for i, page in enumerate([sample[0]] + sample):
        with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
            html = fh.read()
        c = cached[f"{page['set']}/{page['id']}"]
        t0 = time.process_time()
        trafilatura.bare_extraction(html, url=page["url"], with_metadata=True, include_comments=False)
        t1 = time.process_time()
        root = parse_html(html)
        B.mark_images(root)
        tree = without_consent(root)
        t2 = time.process_time()
        blocks = page_blocks(tree)
        rows = features(blocks, [ngram_sets(c[k]) for k in ("rules", "region", "third", "shipped")], c["flags"])
        t3 = time.process_time()
        probs = [1 / (1 + math.exp(-sum(_tree_eval(t, r) for t in trees))) for r in rows]
        t4 = time.process_time()
        assert len(probs) == len(rows)
        if i:
            for key, v in (("trafilatura", t1 - t0), ("blocks", t3 - t2), ("model", t4 - t3)):
                times[key].append(v * 1000)
    traf = statistics.mean(times["trafilatura"])
    gated = [c["flags"][1] or c["flags"][2] for c in (cached[f"{p['set']}/{p['id']}"] for p in sample)]
    extra = sum(b + m for b, m, g in zip(times["blocks"], times["model"], gated, strict=True) if g) / len(sample)
    print(f"block pass and model only on the {sum(gated)} forum/product-flagged pages of {len(sample)}: "
          f"{extra:.1f} ms/page averaged over all, {extra / traf:.2f}x trafilatura's mean\n")
    print(f"## CPU ms/page, {len(sample)} pages ({len(trees)} trees of at most {LEAVES} leaves)\n")
    print("| step | mean | median | mean / trafilatura's mean |\n| --- | --- | --- | --- |")
    for key, v in times.items():
        print(f"| {key} | {statistics.mean(v):.1f} | {statistics.median(v):.1f} | {statistics.mean(v) / traf:.2f}x |")


# ------------------------------------------------------------------------------------- round 11b: cheap models
#: Feature sets of round 11b. "shipped": no 4-word-run lookup but against the shipped body, which (c) needs
#: anyway to tell the blocks inside it from those outside; "noagree": no agreement feature at all (the model sees
#: no candidate text; (c) still looks the blocks up in the shipped body); "topK": the K features of highest gain
#: of the 200-tree model trained on the training folds.
FEATURE_SETS = ("all", "shipped", "noagree", "top10", "top20")


def columns(fset: str, gain=None) -> list[int]:
    """Column numbers of a feature set (``gain``: the gain importances, for "topK")."""
    from seedfeed.extraction.blocks import feature_names

    names = feature_names(4)
    if fset == "all":
        return list(range(len(names)))
    if fset.startswith("top"):
        return sorted(sorted(range(len(names)), key=lambda j: -gain[j])[:int(fset[3:])])
    keep = ("agree_3",) if fset == "shipped" else ()
    return [j for j, n in enumerate(names) if "agree" not in n or n.endswith(keep)]


def _spec(model: str) -> tuple[int, int, int]:
    """("gbm200x31" | "gbm20d3") -> (trees, leaves, max depth or -1)."""
    body = model[3:]
    if "x" in body:
        trees, leaves = body.split("x")
        return int(trees), int(leaves), -1
    trees, depth = body.split("d")
    return int(trees), 2 ** int(depth), int(depth)


def train_gbm(X, y, weight, model: str):
    """LightGBM as round 11 trains it; the small models get a higher learning rate (few trees)."""
    import lightgbm as lgb

    trees, leaves, depth = _spec(model)
    params = {"objective": "binary", "learning_rate": 0.05 if trees >= 100 else 0.2, "num_leaves": leaves,
              "max_depth": depth, "min_data_in_leaf": 40, "bagging_fraction": 0.8, "bagging_freq": 1,
              "feature_fraction": 0.8, "seed": 15, "num_threads": 1, "verbose": -1}
    return lgb.train(params, lgb.Dataset(X, label=y.astype("float32"), weight=weight), num_boost_round=trees)


class LogReg:
    """Weighted L2 logistic regression fitted by Newton's method (numpy only). Inputs: count-like columns (max
    > 10 on the training rows) as log1p, the tag column one-hot, then standardised."""

    def __init__(self, X, y, weight, tag_col: int | None, l2: float = 1.0, iters: int = 30) -> None:
        import numpy as np

        self.tag_col = tag_col
        self.logs = [j for j in range(X.shape[1]) if j != tag_col and float(X[:, j].max()) > 10]
        Z = self._raw(X)
        self.mu, self.sd = Z.mean(axis=0), Z.std(axis=0) + 1e-6
        Z = np.hstack([(Z - self.mu) / self.sd, np.ones((len(Z), 1))])
        w = np.ones(len(y)) if weight is None else weight / weight.mean()
        beta = np.zeros(Z.shape[1])
        for _ in range(iters):
            p = 1 / (1 + np.exp(-(Z @ beta)))
            g = Z.T @ (w * (p - y)) + l2 * beta
            H = (Z * (w * p * (1 - p))[:, None]).T @ Z + l2 * np.eye(len(beta))
            step = np.linalg.solve(H, g)
            beta -= step
            if np.abs(step).max() < 1e-6:
                break
        self.beta = beta

    def _raw(self, X):
        import numpy as np

        Z = X.astype(np.float64).copy()
        for j in self.logs:
            Z[:, j] = np.sign(Z[:, j]) * np.log1p(np.abs(Z[:, j]))
        if self.tag_col is None:
            return Z
        onehot = (Z[:, [self.tag_col]] == np.arange(30)[None, :]).astype(np.float64)
        return np.hstack([np.delete(Z, self.tag_col, axis=1), onehot])

    def predict(self, X):
        import numpy as np

        Z = (self._raw(X) - self.mu) / self.sd
        return 1 / (1 + np.exp(-(Z @ self.beta[:-1] + self.beta[-1])))

    def python_eval(self):
        """A plain-Python scorer of one row (what shipping the weights as constants would cost, no numpy)."""
        import math

        w = [float(b) / float(s) for b, s in zip(self.beta[:-1], self.sd, strict=True)]
        bias = float(self.beta[-1]) - sum(wi * float(m) for wi, m in zip(w, self.mu, strict=True))
        logs, tag_col = set(self.logs), self.tag_col
        n_num = len(w) - (30 if tag_col is not None else 0)
        num_w, tag_w = w[:n_num], w[n_num:]

        def score(row: list[float]) -> float:
            z = bias
            k = 0
            for j, x in enumerate(row):
                if j == tag_col:
                    z += tag_w[int(x)] if 0 <= x < 30 else 0.0
                    continue
                if j in logs:
                    x = math.copysign(math.log1p(abs(x)), x)
                z += num_w[k] * x
                k += 1
            return 1 / (1 + math.exp(-z))
        return score


def fit(model: str, X, y, weight, cols: list[int]):
    """A fitted model with ``predict`` on the rows' ``cols``."""
    from seedfeed.extraction.blocks import feature_names

    if model == "logreg":
        tag = feature_names(4).index("tag")
        return LogReg(X[:, cols], y, weight, cols.index(tag) if tag in cols else None)
    return train_gbm(X[:, cols], y, weight, model)


def gains(pages, idx) -> list[float]:
    """Gain importance of each feature in round 11's model (200 trees of 31 leaves) trained on ``idx``."""
    import numpy as np

    X = np.concatenate([pages[i]["X"] for i in idx])
    y = np.concatenate([pages[i]["y"] for i in idx]) >= LABEL_SHARE
    model = train_gbm(X, y, weights(pages, idx, "page"), "gbm200x31")
    return list(model.feature_importance(importance_type="gain"))


def importance() -> None:
    """Gain importances of the 200-tree model trained on all pages, highest first (share of the total)."""
    from seedfeed.extraction.blocks import feature_names

    pages, _ = load()
    g = gains(pages, list(range(len(pages))))
    names, total = feature_names(4), sum(g)
    print("| rank | feature | gain share | cumulative |\n| --- | --- | --- | --- |")
    run = 0.0
    for rank, j in enumerate(sorted(range(len(g)), key=lambda j: -g[j]), 1):
        run += g[j] / total
        print(f"| {rank} | {names[j]} | {g[j] / total:.3f} | {run:.3f} |")


def cheap(variants: list[str]) -> None:
    """Held-out (c) of each "MODEL:FEATURES" variant (same folds, same (LOW, HIGH, gate) grid chosen on the
    other 4 folds), next to the shipped body, in one table."""
    import numpy as np

    pages, fold_of = load()
    texts = {"shipped default": [p["shipped"] for p in pages]}
    fold_gain: dict = {}
    for variant in variants:
        model, fset = variant.split(":")
        probs: list = [None] * len(pages)
        t0 = time.process_time()
        for k in range(bx.FOLDS):
            train_idx = [i for i, f in enumerate(fold_of) if f != k]
            if fset.startswith("top") and k not in fold_gain:
                fold_gain[k] = gains(pages, train_idx)
            cols = columns(fset, fold_gain.get(k))
            X = np.concatenate([pages[i]["X"] for i in train_idx])
            y = np.concatenate([pages[i]["y"] for i in train_idx]) >= LABEL_SHARE
            m = fit(model, X, y, weights(pages, train_idx, "page"), cols)
            for i, f in enumerate(fold_of):
                if f == k and len(pages[i]["texts"]):
                    probs[i] = m.predict(pages[i]["X"][:, cols])
        print(f"{variant}: {len(cols)} features, 5 folds trained in {time.process_time() - t0:.0f} s CPU")
        texts[f"(c) {variant}"] = filter_extend(pages, fold_of, probs)
    table(pages, fold_of, texts)


def cheap_cost(n: int, variants: list[str]) -> None:
    """CPU per page of the block pass (with lookups against 4 texts, the shipped body only, none) and of each
    variant's model evaluated in plain Python, next to trafilatura's bare_extraction on the pages of
    ``bench/extraction.py --cpu n``."""
    import math

    import numpy as np
    import trafilatura
    from seedfeed.extraction import body as B
    from seedfeed.extraction.blocks import features, ngram_sets, page_blocks
    from seedfeed.extraction.consent import without_consent
    from seedfeed.extraction.meta import parse_html

    pages, _ = load()
    every = list(range(len(pages)))
    X = np.concatenate([p["X"] for p in pages])
    y = np.concatenate([p["y"] for p in pages]) >= LABEL_SHARE
    w = weights(pages, every, "page")
    g = gains(pages, every) if any(":top" in v for v in variants) else None
    scorers = {}
    for variant in variants:
        model, fset = variant.split(":")
        cols = columns(fset, g)
        m = fit(model, X, y, w, cols)
        if model == "logreg":
            f = m.python_eval()
            scorers[variant] = (cols, f)
        else:
            trees = [t["tree_structure"] for t in m.dump_model()["tree_info"]]
            scorers[variant] = (cols, lambda r, trees=trees: 1 / (1 + math.exp(-sum(_tree_eval(t, r)
                                                                                   for t in trees))))
    cached = {p["key"]: p for p in pages}
    sample = (bx.load_set("scrapinghub") + bx.load_set("wcxb"))
    sample = sample[:: max(1, len(sample) // n)][:n]
    steps = ["trafilatura", "walk (page_blocks)", "features, lookups vs 4 texts", "features, vs shipped only",
             "features, no lookup", *(f"model {v}" for v in variants)]
    times: dict[str, list[float]] = {s: [] for s in steps}
    for i, page in enumerate([sample[0]] + sample):
        with gzip.open(page["path"], "rt", encoding="utf-8", errors="replace") as fh:
            html = fh.read()
        c = cached[f"{page['set']}/{page['id']}"]
        t = [time.process_time()]
        trafilatura.bare_extraction(html, url=page["url"], with_metadata=True, include_comments=False)
        t.append(time.process_time())
        root = parse_html(html)
        B.mark_images(root)
        tree = without_consent(root)
        t0 = time.process_time()
        blocks = page_blocks(tree)
        t += [t0, time.process_time()]
        rows = features(blocks, [ngram_sets(c[k]) for k in ("rules", "region", "third", "shipped")], c["flags"])
        t.append(time.process_time())
        features(blocks, [ngram_sets(c["shipped"])], c["flags"])
        t.append(time.process_time())
        features(blocks, [], c["flags"])
        t.append(time.process_time())
        spans = [(t[1] - t[0]), t[3] - t[2], t[4] - t[3], t[5] - t[4], t[6] - t[5]]
        for v in variants:
            cols, score = scorers[v]
            a = time.process_time()
            for r in rows:
                score([r[j] for j in cols])
            spans.append(time.process_time() - a)
        if i:
            for s, v in zip(steps, spans, strict=True):
                times[s].append(v * 1000)
    traf = statistics.mean(times["trafilatura"])
    print(f"## CPU ms/page, {len(sample)} pages (time.process_time, one process)\n")
    print("| step | mean | median | mean / trafilatura's mean |\n| --- | --- | --- | --- |")
    for key, v in times.items():
        print(f"| {key} | {statistics.mean(v):.2f} | {statistics.median(v):.2f} | {statistics.mean(v) / traf:.3f}x |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--kfold", action="store_true")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--cost", type=int, default=0, metavar="N", help="CPU of the block pass and the model, N pages")
    ap.add_argument("--gate", choices=list(GATES), help="(c) only on these pages (default: chosen by k-fold)")
    ap.add_argument("--stack", action="store_true", help="two stages: the second sees the first's context")
    ap.add_argument("--weight", choices=["none", "page", "mix"], default="none")
    ap.add_argument("--importance", action="store_true", help="gain importance of the features (round 11b)")
    ap.add_argument("--cheap", nargs="+", metavar="MODEL:FEATURES",
                    help="round 11b: held-out (c) of each (MODEL gbmTxL, gbmTdD or logreg; FEATURES one of "
                         f"{', '.join(FEATURE_SETS)}); with --cost: their CPU")
    ap.add_argument("--learning-curve", nargs="+", type=float, metavar="SHARE",
                    help="round 15: held-out (c) with the model trained on these shares of the training folds")
    args = ap.parse_args(argv)
    if args.prepare:
        prepare(args.jobs)
    if args.ceiling:
        ceiling()
    if args.gate:
        for name in [g for g in GATES if g != args.gate]:
            del GATES[name]
    if args.importance:
        importance()
    if args.cheap and args.cost:
        cheap_cost(args.cost, args.cheap)
    elif args.cheap:
        cheap(args.cheap)
    if args.cost and not args.cheap:
        cost(args.cost)
    if args.kfold:
        kfold(args.threshold, args.weight, args.stack)
    if args.learning_curve:
        learning_curve(args.learning_curve, args.weight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
