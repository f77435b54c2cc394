"""Round 14 (docs/extraction.md): a block of text the chosen body shows twice is published once.

Why: pages repeat blocks for other screens and widgets (a product's name, price and options laid out once for
phones and once for desktops; a carousel library's cloned slides; a sticky summary of the page; a forum's
preview of the opening post above the thread), and every extractor keeps both copies, since both are in the
markup. A reader sees the block once, and the second copy is all extra words. Only the body's own structure
decides: the texts of its innermost blocks (paragraphs, list items, headings, rows), compared with their spacing
normalised.

``run`` > 1 drops only runs of that many consecutive blocks repeating an earlier run, so a short line a page
legitimately repeats ("Yes" in a table, one answer in two places) stays; ``min_words`` is the fewest words the
run must have together. Linear in the body: one walk up from the block elements, one pass over the leaves; a
body whose text repeats no line (two thirds of pages) is not parsed at all (:func:`may_repeat`).

Off by default (``Tuning.repeats_words=0``): held out it gains 0.001 of body F1 for about 0.43 ms a page, which
the CPU limit has no room for today (docs/extraction.md, round 14).
"""

from __future__ import annotations

from html import escape

import lxml.html

from .text import _BLOCKS

#: blocks that only hold other blocks (a list, a table) are never compared themselves
_CONTAINERS = {"table", "ul", "ol", "dl", "thead", "tbody", "tfoot", "hr"}


def _leaves(root) -> list:
    """The innermost block elements of ``root`` in document order (no block element inside them)."""
    holds_block: set = set()
    blocks = [el for el in root.iter() if isinstance(el.tag, str) and el.tag in _BLOCKS and el is not root]
    for el in blocks:
        parent = el.getparent()
        while parent is not None and parent not in holds_block:
            holds_block.add(parent)
            parent = parent.getparent()
    return [el for el in blocks if el not in holds_block and el.tag not in _CONTAINERS]


def may_repeat(text: str, min_words: int) -> bool:
    """Whether the body's plain text (from .text.html_to_text: a block's text on its own lines, spacing
    normalised) repeats lines of ``min_words`` words or more in all; a repeated block repeats its lines, so a
    text that does not has nothing for :func:`drop_repeats` to drop (one cheap pass instead of a parse)."""
    seen: set = set()
    words = 0
    for line in text.split("\n"):
        if line in seen:
            words += len(line.split())
        else:
            seen.add(line)
    return words >= min_words


def drop_repeats(fragment: str, run: int, min_words: int) -> str | None:
    """``fragment`` (body HTML) without every run of ``run`` consecutive innermost blocks whose texts repeat an
    earlier such run and have ``min_words`` words or more together; None when nothing repeats."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - malformed fragment: published as it is
        return None
    leaves = _leaves(root)
    keys = [" ".join(el.text_content().split()) for el in leaves]
    counts = [k.count(" ") + 1 if k else 0 for k in keys]
    seen: set = set()
    drop: set = set()
    for i in range(len(leaves) - run + 1):
        key = tuple(keys[i:i + run])
        if not all(key):
            continue
        if key in seen and sum(counts[i:i + run]) >= min_words:
            drop.update(range(i, i + run))
        seen.add(key)
    if not drop:
        return None
    for i in drop:
        leaves[i].drop_tree()  # keeps the tail (text after the block, outside it)
    return escape(root.text or "", quote=False) + "".join(
        lxml.html.tostring(child, encoding="unicode", method="html") for child in root)
