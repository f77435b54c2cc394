"""Round 9 (docs/extraction.md): the main region narrowed around its repeated blocks.

Listings, collections, forum threads and feature pages show their content as repeated sibling blocks (cards,
rows, posts: the same tag and class, each with a title, a description, a price or a byline). Their titles are
links, so link density alone cannot tell them from navigation; but the blocks *beside* the path from the page
down to the cards (filter lists, "popular" link lists, tag clouds, pagination) are link lists with no such
protection. So: find the main group of repeated blocks (the one with the most words, at least 3 blocks of at
least ``MIN_BLOCK_WORDS`` words on average), keep it whole, and drop every link-heavy sibling of it and of its
ancestors. What is left is the region without the link lists around the content.

Only page-internal structure decides: no class or id word, no site. The walks are linear in the region (one
pass bottom-up for the word counts, one over each element's children for the groups, one up the ancestors),
and a region of more than ``MAX_ELEMENTS`` elements is left as it is.
"""

from __future__ import annotations

import re
from itertools import islice

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
#: Blocks of a group need this many words on average (a menu's items have 1-3).
MIN_BLOCK_WORDS = 4
#: A group is at least this many blocks.
MIN_BLOCKS = 3
#: Other groups with at least this share of the main group's words widen the container to hold them too
#: (a page with several card sections).
OTHER_GROUPS = 0.3
#: Regions with more elements than this are not narrowed (bounds the dicts of counts; the largest dev page's
#: region has fewer, so no dev output depends on it).
MAX_ELEMENTS = 60_000


def _signature(el) -> tuple[str, str]:
    """Tag and class tokens without digits ("card col-4" and "card col-6" are the same kind of block)."""
    return el.tag, " ".join(sorted(_DIGITS.sub("", c) for c in (el.get("class") or "").split()))


def _counts(elements: list) -> tuple[dict, dict]:
    """Words and words inside links of every element (text and tails), bottom-up in one pass."""
    words: dict = {}
    links: dict = {}
    for el in reversed(elements):
        w = len(_WORD.findall(el.text or ""))
        lk = 0
        for child in el:
            if isinstance(child.tag, str):
                w += words[child]
                lk += links[child]
            w += len(_WORD.findall(child.tail or ""))
        words[el] = w
        links[el] = w if el.tag == "a" else lk
    return words, links


def _common_ancestor(a, b):
    seen = {a, *a.iterancestors()}
    while b is not None and b not in seen:
        b = b.getparent()
    return b


def narrow(root, link_share: float) -> float:
    """Drop (in place) the link-heavy siblings (``link_share`` or more of their words in links) of the main
    repeated group's container and of its ancestors, up to ``root``. Returns the share of the region's words
    the main group holds (0.0 when there is no group, and nothing is dropped)."""
    elements = list(islice((el for el in root.iter() if isinstance(el.tag, str)), MAX_ELEMENTS + 1))
    if len(elements) > MAX_ELEMENTS:
        return 0.0
    words, links = _counts(elements)
    groups: list[tuple[int, object]] = []  # (words of the group, its parent)
    for parent in elements:
        if len(parent) < MIN_BLOCKS:
            continue
        buckets: dict[tuple[str, str], list[int]] = {}
        for child in parent:
            if isinstance(child.tag, str) and words[child]:
                buckets.setdefault(_signature(child), []).append(words[child])
        for counts in buckets.values():
            if len(counts) >= MIN_BLOCKS and sum(counts) >= MIN_BLOCK_WORDS * len(counts):
                groups.append((sum(counts), parent))
    if not groups:
        return 0.0
    best_words, container = max(groups, key=lambda g: g[0])
    for group_words, parent in groups:
        if group_words >= OTHER_GROUPS * best_words:
            container = _common_ancestor(container, parent)
    drop = []
    node = container
    while node is not root and node.getparent() is not None:
        parent = node.getparent()
        drop += [s for s in parent if s is not node and isinstance(s.tag, str) and words[s]
                 and links[s] >= link_share * words[s]]
        node = parent
    for el in drop:
        el.drop_tree()
    return best_words / max(1, words[root])
