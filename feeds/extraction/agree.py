"""A third candidate body and the choice among candidates by agreement (round 7 of docs/extraction.md).

On by default since round 8 (round 7 built it and shipped it off for its CPU; round 8 made room). The third
candidate is resiliparse's main-content text (a fast C++ extractor with its own HTML5 parser, about 3 ms a page).
It is not better than trafilatura or the main region on its own (wcxb-dev body F1 0.81 against 0.84), but where
the three disagree the one that agrees most with the other two is more often right than a fixed rule: they err
in different directions (trafilatura drops cards and teasers, the region keeps boilerplate, resiliparse drops
short blocks).
"""

from __future__ import annotations

import re
from collections import Counter
from html import escape

from lxml import etree

_WORD = re.compile(r"\w+")


def shingles(text: str) -> Counter:
    """The multiset of runs of 4 consecutive words (a text of 1-3 words is one run), as the benchmark scores."""
    w = _WORD.findall(text or "")
    return Counter([tuple(w)] if 0 < len(w) < 4 else zip(w, w[1:], w[2:], w[3:], strict=False))


def share_in(a: Counter, b: Counter) -> float:
    """The share of ``a``'s runs that ``b`` has too (0.0 for an empty ``a``)."""
    total = a.total()
    return sum(min(a[k], b[k]) for k in a.keys() & b.keys()) / total if total else 0.0


def agreement(a: Counter, b: Counter) -> float:
    """Harmonic mean of the two shares: 1.0 for the same text, 0.0 for texts with no run in common."""
    p, r = share_in(a, b), share_in(b, a)
    return 2 * p * r / (p + r) if p + r else 0.0


def medoid(runs: list[Counter]) -> int:
    """The index of the text (given as its runs) that agrees most with all the others (ties: the first)."""
    pair = {(i, j): agreement(runs[i], runs[j]) for i in range(len(runs)) for j in range(i + 1, len(runs))}
    scores = [sum(pair[min(i, j), max(i, j)] for j in range(len(runs)) if j != i) for i in range(len(runs))]
    return max(range(len(runs)), key=lambda i: (scores[i], -i))


def superset(text: str, other: str, share: float, ratio: float) -> bool:
    """``other`` holds at least ``share`` of ``text``'s runs and has at least ``ratio`` times as many: ``text``
    is a cut-short part of it (trafilatura stopping at a block it took for the end of the article)."""
    if len(_WORD.findall(other)) + 1 < ratio * (len(_WORD.findall(text)) - 2):  # cheap: most pages stop here
        return False
    a, b = shingles(text), shingles(other)
    return b.total() + 1 >= ratio * (a.total() + 1) and share_in(a, b) >= share


#: Comment sections: an element whose id or class has a word starting with "comment" (not "commentary"), the
#: German/Scandinavian "komment", the Spanish/Portuguese/Catalan "comentari", the Dutch "reacties", or Disqus's
#: thread ("comments-area", "post-comments", "commentlist", "disqus_thread", "kommentare", "comentarios").
COMMENT_SECTIONS = etree.XPath(
    ".//*[re:test(concat(' ', @id, ' ', @class), "
    "'[\\s_-](comment(?!ary)|komment|comentari|reacties|disqus|dsq-)', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"})


def without_comment_sections(tree):
    """A copy of ``tree`` (an lxml.html tree) without its comment sections, or None when it has none."""
    if not COMMENT_SECTIONS(tree):
        return None
    import copy

    clean = copy.deepcopy(tree)
    for el in COMMENT_SECTIONS(clean):
        if el.getparent() is not None:  # (the top of a section already dropped has none)
            el.drop_tree()
    return clean


def resiliparse_body(html: str) -> tuple[str, str]:
    """(body HTML, body text) of resiliparse's main content; ("", "") when the library is missing or fails. The
    HTML is the escaped text in paragraphs: safe as it is, no sanitizer needed.

    Alt texts are left out (they are not part of the text a reader sees: wcxb-dev 0.789 -> 0.805 F1 alone)."""
    try:
        from resiliparse.extract.html2text import extract_plain_text
    except ImportError:  # pragma: no cover - a dependency; on an install without it there is no third candidate
        return "", ""
    try:
        text = extract_plain_text(html, main_content=True, preserve_formatting=True, alt_texts=False,
                                  list_bullets=False)
    except Exception:  # noqa: BLE001 - a failure in the library leaves the two other candidates
        return "", ""
    return as_paragraphs([" ".join(p.split()) for p in text.split("\n") if p.strip()])


def as_paragraphs(paragraphs: list[str]) -> tuple[str, str]:
    """(HTML, text) of plain-text paragraphs: each escaped in a <p>; the text with a blank line between them."""
    return "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs), "\n\n".join(paragraphs)
