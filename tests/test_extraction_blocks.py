"""seedfeed.extraction.blocks (round 11's study, not wired into extract_page): the text blocks of a page and their
features, on small hand-written pages."""

from __future__ import annotations

import lxml.html
from seedfeed.extraction.blocks import (
    MAX_BLOCKS,
    feature_names,
    features,
    ngram_sets,
    page_blocks,
    share_in,
)

PAGE = """<html><body>
<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li></ul></nav>
<main><article class="post-body">
<h1>Growing tomatoes on a balcony</h1>
<p>Start the seeds indoors <b>six</b> weeks before the last frost.<div>A nested note</div>Then harden them off.</p>
<ul class="cards"><li class="card"><span>Cherry</span><span>Roma</span></li>
<li class="card">Plum</li><li class="card">Beefsteak</li></ul>
</article></main>
<noscript><div class="post">A reply served to readers without scripts</div></noscript>
<script>var ignored = "script text";</script>
<footer id="footer">Copyright 2031</footer>
</body></html>"""


def _blocks():
    return page_blocks(lxml.html.document_fromstring(PAGE))


def test_blocks_in_document_order_split_by_nested_blocks_and_scripts_left_out() -> None:
    texts = [b.text for b in _blocks()]
    assert texts[:3] == ["Home", "Shop", "Growing tomatoes on a balcony"]
    # the <p> interrupted by a nested <div> gives three blocks, inline <b> stays inside its paragraph
    i = texts.index("Start the seeds indoors six weeks before the last frost.")
    assert texts[i + 1: i + 3] == ["A nested note", "Then harden them off."]
    assert "A reply served to readers without scripts" in texts  # forum threads served in <noscript>
    assert not any("script text" in t for t in texts)
    assert texts[-1] == "Copyright 2031"


def test_words_of_separate_elements_stay_apart() -> None:
    texts = [b.text for b in _blocks()]
    assert "Cherry Roma" in texts  # not "CherryRoma": two <span>s with no space between them


def test_features_general_signals() -> None:
    blocks = _blocks()
    candidate = ngram_sets("Start the seeds indoors six weeks before the last frost.")
    rows = features(blocks, [candidate], (True, False, False))
    names = feature_names(1)
    assert all(len(r) == len(names) for r in rows)
    col = {n: i for i, n in enumerate(names)}
    by_text = {b.text: r for b, r in zip(blocks, rows, strict=True)}
    home, para = by_text["Home"], by_text["Start the seeds indoors six weeks before the last frost."]
    assert home[col["link_share"]] == 1.0 and para[col["link_share"]] == 0.0
    assert home[col["in_nav"]] == 1.0 and home[col["anc_boiler"]] >= 1  # <nav class="site-nav">
    assert para[col["in_main_el"]] == 1.0 and para[col["anc_content"]] >= 1  # <article class="post-body">
    assert para[col["agree_0"]] == 1.0 and home[col["agree_0"]] == 0.0
    assert by_text["Plum"][col["same_siblings"]] == 2  # the two other <li class="card">
    assert by_text["Copyright 2031"][col["in_footer"]] == 1.0


def test_share_in_short_and_long_blocks() -> None:
    sets = ngram_sets("one two three four five")
    assert share_in(["two", "three"], sets) == 1.0
    assert share_in(["three", "two"], sets) == 0.0
    assert share_in(["one", "two", "three", "four", "six"], sets) == 0.5


def test_blocks_are_capped() -> None:
    html = "<html><body>" + "<p>word</p>" * (MAX_BLOCKS + 500) + "</body></html>"
    blocks = page_blocks(lxml.html.document_fromstring(html))
    assert len(blocks) == MAX_BLOCKS
    assert len(features(blocks, [], (False, False, False))) == MAX_BLOCKS
