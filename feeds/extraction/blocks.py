"""Round 11 (docs/extraction.md): a page's text blocks and their general features, for a learned
content/boilerplate classifier.

A block is a run of text whose nearest block-level ancestor is the same element, in document order (a ``<p>``
interrupted by a nested ``<div>`` gives two blocks). Each block gets features from general signals only: its
words, link density, punctuation and stop-word shares, tag, depth, relative position, class/id words of it and
its ancestors matched against fixed lists of boilerplate and content words in several languages, structural
ancestors (header, nav, footer, aside, main, article...), repeated siblings, and agreement with the candidate
texts the page's extraction already made (trafilatura's body, the main region, resiliparse's text). No
vocabulary is learned from pages and no site is named.

The walk is linear in the tree (an explicit stack, no recursion) and stops at ``MAX_BLOCKS`` blocks.

Not called by :func:`seedfeed.extraction.page.extract_page`: the classifier costs far more CPU than the limit
allows (rounds 11 and 11b); ``bench/extraction_blocks.py`` uses it for the study, and a later round may wire it in.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")
_PUNCT = re.compile(r"[.,;:!?]")
#: Blocks per page at most: a huge page's feature pass stays bounded (no dev page has more than a few thousand).
MAX_BLOCKS = 5000

BLOCK_TAGS = frozenset((
    "html", "body", "main", "article", "section", "div", "p", "li", "ul", "ol", "dl", "dt", "dd", "td", "th", "tr",
    "table", "tbody", "thead", "tfoot", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav",
    "aside", "blockquote", "pre", "figure", "figcaption", "form", "fieldset", "address", "details", "summary",
    "center", "dialog", "menu", "legend", "label", "noscript"))
_SKIP = frozenset(("script", "style", "template", "head", "svg", "iframe", "select", "textarea", "math",
                   "object", "canvas"))
#: Block tags as a small integer feature (0: other).
TAG_IDS = {t: i + 1 for i, t in enumerate((
    "p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "span", "a", "dd", "dt", "pre", "blockquote",
    "section", "article", "figcaption", "label", "summary", "header", "footer", "nav", "aside", "form", "body"))}
#: Structural ancestors, one flag each.
_STRUCT = ("header", "nav", "footer", "aside", "main", "article", "form", "li", "table", "a", "h", "button",
           "figure", "blockquote", "dialog", "noscript")
_STRUCT_BIT = {t: 1 << i for i, t in enumerate(_STRUCT)}
_STRUCT_BIT.update({f"h{i}": _STRUCT_BIT["h"] for i in range(1, 7)})

# Fixed word lists, written for this classifier (English, German, French, Spanish, Italian, Dutch, Portuguese);
# a class/id word counts when one of these starts it ("site-nav", "navbar", not "canvas").
BOILER_WORDS = (
    "nav", "menu", "footer", "header", "sidebar", "side-bar", "cookie", "consent", "gdpr", "newsletter", "subscribe",
    "breadcrumb", "social", "share", "sharing", "banner", "popup", "modal", "overlay", "related", "recommend",
    "skip", "login", "signin", "signup", "register", "search", "widget", "advert", "ads", "ad-", "sponsor", "promo",
    "copyright", "legal", "pagination", "pager", "toolbar", "dropdown", "masthead", "topbar", "bottom", "utility",
    "tags", "tag-", "cloud", "follow", "trending", "popular", "more-", "teaser", "carousel", "slider", "logo",
    "brand", "account", "cart", "basket", "wishlist", "filter", "facet", "sort", "toc", "print", "rating-widget",
    "comment-form", "reply-form", "disclaimer", "notice", "alert", "hidden", "visually-hidden", "sr-only", "offcanvas",
    "fusszeile", "kopfzeile", "werbung", "anzeige", "suche", "teilen", "pied", "entete", "publicite", "partage",
    "recherche", "pie-", "cabecera", "publicidad", "compartir", "buscar", "piede", "pubblicita", "condividi",
    "cerca", "voettekst", "zoeken", "delen", "rodape", "cabecalho", "compartilhar", "pesquisa")
CONTENT_WORDS = (
    "content", "article", "post", "entry", "main", "body", "text", "story", "prose", "markdown", "rte", "richtext",
    "product", "description", "desc", "detail", "item", "card", "tile", "thread", "message", "reply", "answer",
    "question", "review", "comment-body", "title", "headline", "heading", "price", "summary", "excerpt", "lead",
    "intro", "abstract", "paragraph", "section", "feature", "faq", "listing", "result", "record", "doc",
    "inhalt", "artikel", "beitrag", "text-", "contenu", "corps", "contenido", "cuerpo", "articulo", "contenuto",
    "articolo", "inhoud", "bericht", "conteudo", "materia", "noticia")
STOP_WORDS = frozenset((
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are", "was", "were", "be", "it",
    "this", "that", "as", "at", "by", "from", "we", "you", "they", "he", "she", "not", "but", "have", "has", "can",
    "will", "our", "your", "their", "which", "who", "if", "so", "than", "there",
    "der", "die", "das", "und", "ist", "ein", "eine", "nicht", "mit", "den", "dem", "zu", "von", "sie", "es", "auf",
    "le", "la", "les", "et", "est", "un", "une", "des", "du", "en", "que", "qui", "pas", "pour", "dans", "sur",
    "el", "los", "las", "y", "es", "una", "del", "con", "por", "para", "no", "se", "lo",
    "il", "di", "che", "e", "non", "per", "della", "sono", "het", "een", "van", "zijn", "niet", "op", "voor",
    "o", "os", "as", "da", "do", "em", "um", "uma", "com", "nao", "mais"))


def _start_pattern(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?:^|[^a-z])(?:" + "|".join(re.escape(w) for w in words) + ")")


_BOILER_RE = _start_pattern(BOILER_WORDS)
_CONTENT_RE = _start_pattern(CONTENT_WORDS)
_CAMEL = re.compile(r"([a-z])([A-Z])")


def _class_hits(el) -> tuple[int, int]:
    """(boilerplate words, content words) in the class, id and role of ``el``."""
    value = " ".join(v for v in (el.get("class"), el.get("id"), el.get("role")) if v)
    if not value:
        return 0, 0
    value = " " + _CAMEL.sub(r"\1-\2", value).lower()
    return len(_BOILER_RE.findall(value)), len(_CONTENT_RE.findall(value))


class Block:
    """One text block: its element, text, word and link-word counts, and the context of its element."""

    __slots__ = ("el", "parts", "link_words", "depth", "anc_boiler", "anc_content", "flags", "in_main", "words")

    def __init__(self, el, depth: int, anc_boiler: int, anc_content: int, flags: int, in_main: bool) -> None:
        self.el, self.parts, self.link_words, self.depth = el, [], 0, depth
        self.anc_boiler, self.anc_content, self.flags, self.in_main = anc_boiler, anc_content, flags, in_main
        self.words: list[str] = []

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


_TAIL = object()
#: Ancestors of a block's element whose totals are features (its containers: a card, a post, a list).
LEVELS = 3


def page_blocks(root, limit: int = MAX_BLOCKS) -> list[Block]:
    """The text blocks of ``root``'s ``<body>`` (or of ``root``) in document order, at most ``limit``; blocks
    without a word are left out."""
    body = root.find(".//body") if root.tag != "body" else root
    body = root if body is None else body
    blocks: list[Block] = []
    current: Block | None = None
    # stack entries: (element, its block element, depth, ancestors' class hits, flags, in <main>, in a link)
    # or (_TAIL, text, block context, in a link) for the text after an element
    stack: list[tuple] = [(body, None, 0, (0, 0), 0, False, False)]
    while stack:
        item = stack.pop()
        if item[0] is _TAIL:
            _, text, ctx, link = item
        else:
            el, block_ctx, depth, hits, flags, in_main, link = item
            tag = el.tag if isinstance(el.tag, str) else ""
            if el is not body and el.tail:
                stack.append((_TAIL, el.tail, block_ctx, link))
            if not tag or tag in _SKIP:
                continue
            boiler, content = _class_hits(el)
            own_flags = flags | _STRUCT_BIT.get(tag, 0)
            in_main = in_main or tag == "main" or el.get("role") == "main"
            link_here = link or tag == "a"
            if tag in BLOCK_TAGS or block_ctx is None:  # the flags count the block's own element too
                block_ctx = (el, depth, hits[0], hits[1], own_flags, in_main)
            child_hits = (hits[0] + boiler, hits[1] + content)
            for child in reversed(el):
                stack.append((child, block_ctx, depth + 1, child_hits, own_flags, in_main, link_here))
            text, ctx, link = el.text, block_ctx, link_here
        if not text or not text.strip():
            if text and current is not None and current.el is ctx[0]:
                current.parts.append(text)
            continue
        if current is None or current.el is not ctx[0]:
            if len(blocks) >= limit:
                break
            current = Block(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5])
            blocks.append(current)
        current.parts.append(text)
        if link:
            current.link_words += len(_WORD.findall(text))
    for b in blocks:
        b.words = _WORD.findall(" ".join(b.parts))
    return [b for b in blocks if b.words]


def ngram_sets(text: str) -> tuple[set, set, set, set]:
    """The sets of 1-, 2-, 3- and 4-word runs of ``text`` (block agreement: a block of n < 4 words is one run)."""
    w = _WORD.findall(text or "")
    return (set(w), set(zip(w, w[1:], strict=False)), set(zip(w, w[1:], w[2:], strict=False)),
            set(zip(w, w[1:], w[2:], w[3:], strict=False)))


def share_in(words: list[str], sets: tuple[set, set, set, set]) -> float:
    """The share of the block's 4-word runs in a text's (for a block of 1-3 words: 1.0 when the text has it)."""
    n = len(words)
    if n < 4:
        return float(tuple(words) in sets[n - 1] if n > 1 else words[0] in sets[0]) if n else 0.0
    runs = list(zip(words, words[1:], words[2:], words[3:], strict=False))
    return sum(1 for r in runs if r in sets[3]) / len(runs)


_CORE = (
    "words", "log_words", "link_share", "punct_per_word", "stop_share", "digit_share", "upper_start_share", "tag",
    "depth", "position", "word_position", "self_boiler", "self_content", "anc_boiler", "anc_content",
    *(f"in_{t}" for t in _STRUCT), "in_main_el", "same_siblings", "parent_same_siblings", "page_blocks",
    "page_words_log", "word_share")
_AFTER = ("prev_link_share", "next_link_share", "prev_words", "next_words", "page_article", "page_forum",
          "page_product")


def feature_names(candidates: int) -> list[str]:
    """The names of the columns of ``features`` for that many candidate texts."""
    per_level = ["log_words", "link_share", "word_share", *(f"agree_{j}" for j in range(candidates)), "same"]
    return [*_CORE, *(f"up{level + 1}_{x}" for level in range(LEVELS) for x in per_level), *_AFTER,
            *(f"agree_{j}" for j in range(candidates)), "prev_agree_0", "next_agree_0"]


def features(blocks: list[Block], candidates: list[tuple], page_flags: tuple[bool, bool, bool]) -> list[list[float]]:
    """One feature row per block (names: ``feature_names(len(candidates))``)."""
    import math

    total_words = sum(len(b.words) for b in blocks) or 1
    n = len(blocks) or 1
    sibling_counts: dict = {}

    def same(el) -> int:
        parent = el.getparent()
        if parent is None:
            return 0
        counts = sibling_counts.get(parent)
        if counts is None:
            counts = sibling_counts[parent] = Counter((c.tag, c.get("class")) for c in parent
                                                      if isinstance(c.tag, str))
        return counts[(el.tag, el.get("class"))] - 1

    rows: list[list[float]] = []
    agree: list[list[float]] = []
    seen = 0
    for i, b in enumerate(blocks):
        w = b.words
        nw = len(w)
        text = " ".join(b.parts)
        boiler, content = _class_hits(b.el)
        parent = b.el.getparent()
        row = [nw, math.log1p(nw), min(1.0, b.link_words / nw), len(_PUNCT.findall(text)) / nw,
               sum(1 for x in w if x.lower() in STOP_WORDS) / nw, sum(1 for x in w if x.isdigit()) / nw,
               sum(1 for x in w if x[:1].isupper()) / nw, TAG_IDS.get(b.el.tag, 0), b.depth, i / n, seen / total_words,
               boiler, content, b.anc_boiler, b.anc_content,
               *(float(bool(b.flags & _STRUCT_BIT[t])) for t in _STRUCT), float(b.in_main), same(b.el),
               same(parent) if parent is not None else 0, math.log1p(n), math.log1p(total_words), nw / total_words]
        seen += nw
        rows.append(row)
        agree.append([share_in(w, c) for c in candidates])
    # containers: the block's element's ancestors LEVELS up, with the words, link words and words agreeing with
    # each candidate of every block below them (a card, a post, a list holds the block's context)
    sums: dict = {}
    chains = []
    for b, a in zip(blocks, agree, strict=True):
        nw = len(b.words)
        chain, el = [], b.el.getparent()
        for _ in range(LEVELS):
            if el is None:
                break
            acc = sums.get(el)
            if acc is None:
                acc = sums[el] = [0.0] * (2 + len(a))
            acc[0] += nw
            acc[1] += b.link_words
            for j, x in enumerate(a):
                acc[2 + j] += x * nw
            chain.append(el)
            el = el.getparent()
        chains.append(chain)
    for row, chain in zip(rows, chains, strict=True):
        for level in range(LEVELS):
            if level < len(chain):
                acc = sums[chain[level]]
                row += [math.log1p(acc[0]), min(1.0, acc[1] / acc[0]), acc[0] / total_words,
                        *(x / acc[0] for x in acc[2:]), same(chain[level])]
            else:
                row += [-1.0] * (4 + len(candidates))
    for i, row in enumerate(rows):
        prev_b, next_b = (blocks[i - 1] if i else None), (blocks[i + 1] if i + 1 < len(blocks) else None)
        row += [min(1.0, prev_b.link_words / len(prev_b.words)) if prev_b else -1.0,
                min(1.0, next_b.link_words / len(next_b.words)) if next_b else -1.0,
                math.log1p(len(prev_b.words)) if prev_b else -1.0, math.log1p(len(next_b.words)) if next_b else -1.0,
                *(float(f) for f in page_flags), *agree[i],
                agree[i - 1][0] if i and candidates else -1.0,
                agree[i + 1][0] if i + 1 < len(rows) and candidates else -1.0]
    return rows
