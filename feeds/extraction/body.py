"""Main content: trafilatura's extraction on a tree whose lazy images are resolved, converted to HTML,
sanitized, and turned into plain text."""

from __future__ import annotations

import logging
import re

from lxml import etree

from .sanitize import sanitize_html
from .text import html_to_text
from .tuning import DEFAULT, Tuning

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src",
             "data-full-src", "data-orig-src", "data-actualsrc", "data-echo")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset", "data-original-srcset")
_PLACEHOLDER = re.compile(r"^(data:|about:blank)|(blank|spacer|placeholder|transparent|pixel|lazy)[^/]*\.(gif|png|svg)",
                          re.I)


def resolve_lazy_images(root) -> None:
    """Give lazy-loaded images their real ``src``/``srcset`` (in place)."""
    for el in root.iter("img", "source"):
        src = (el.get("src") or "").strip()
        if not src or _PLACEHOLDER.search(src):
            for attr in _LAZY_SRC:
                value = (el.get(attr) or "").strip()
                if value and not value.startswith("data:"):
                    el.set("src", value)
                    break
        if not (el.get("srcset") or "").strip() or _PLACEHOLDER.search(el.get("srcset") or ""):
            for attr in _LAZY_SRCSET:
                value = (el.get(attr) or "").strip()
                if value:
                    el.set("srcset", value)
                    break
        if el.tag == "img" and not (el.get("src") or "").strip() and el.get("srcset"):
            first = el.get("srcset").split(",")[0].strip().split(" ")[0]
            if first:
                el.set("src", first)


# Images are carried through trafilatura's text-only extraction as tokens: "⟦" + two Braille characters
# (the image's index) + "⟧". These are symbols, not word characters, and trafilatura keeps them as text; they
# are turned back into <img> elements in the HTML. Extracting with include_images=True instead changes which
# blocks trafilatura keeps (captions, "more" toggles): scrapinghub body F1 0.960 -> 0.954, so it is not used.
_TOKEN = re.compile("\u27e6([\u2800-\u28ff])([\u2800-\u28ff])\u27e7")
_MIN_SIZE = 48


def _token(i: int) -> str:
    return f"\u27e6{chr(0x2800 + i // 256)}{chr(0x2800 + i % 256)}\u27e7"


def _dimension(value: str | None) -> int | None:
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else None


def mark_images(root) -> list[dict[str, str]]:
    """Replace each content image by a text token (in place); returns the images' attributes by index."""
    images: list[dict[str, str]] = []
    for el in list(root.iter("img")):
        src = (el.get("src") or "").strip()
        width, height = _dimension(el.get("width")), _dimension(el.get("height"))
        small = (width is not None and width < _MIN_SIZE) or (height is not None and height < _MIN_SIZE)
        parent = el.getparent()
        if parent is None or small or not src or src.startswith("data:") or len(images) >= 65536:
            continue
        attrs = {k: el.get(k) for k in ("src", "srcset", "sizes", "alt", "title", "width", "height") if el.get(k)}
        token = _token(len(images))
        images.append(attrs)
        text = f" {token} " + (el.tail or "")
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(el)
    return images


def restore_images(fragment: str, images: list[dict[str, str]]) -> str:
    """Turn image tokens in an HTML fragment back into <img> elements."""
    from html import escape

    def repl(m: re.Match) -> str:
        i = (ord(m.group(1)) - 0x2800) * 256 + ord(m.group(2)) - 0x2800
        if i >= len(images):
            return ""
        attrs = " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in images[i].items())
        return f"<img {attrs}>"

    return _TOKEN.sub(repl, fragment)


def _trafilatura(tree, url: str | None, **options):
    from trafilatura import bare_extraction

    try:
        settings = {"include_comments": False, "include_tables": True, "include_images": False,
                    "include_links": True, "include_formatting": True, "with_metadata": False, **options}
        return bare_extraction(tree, url=url, **settings)
    except Exception:  # noqa: BLE001 - a failure in the library leaves the body to the fallbacks
        return None


def _to_html(body) -> str:
    """The HTML of one of trafilatura's result trees, converted in place (the result is used once)."""
    from trafilatura.htmlprocessing import convert_to_html

    if body is None:
        return ""
    html_root = convert_to_html(body)
    body_el = html_root[0] if len(html_root) else html_root
    parts = [body_el.text or ""] if body_el.text else []
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in body_el]
    return "".join(parts)


_WORD = re.compile(r"\w+")
# The thresholds of the rules below live in .tuning.Tuning (chosen by bench/extraction.py --kfold).


def _stats(text: str) -> tuple[int, float]:
    """(words, mean words per paragraph)."""
    words = len(_WORD.findall(text))
    paragraphs = max(1, sum(1 for p in text.split("\n\n") if p.strip()))
    return words, words / paragraphs


def _run(tree, url: str | None, images: list | None, memo: dict | None = None, **options) -> tuple[str, str]:
    """(body HTML, body text) of one trafilatura run; ``memo`` keeps runs already made on this tree."""
    key = ("run", tuple(sorted(options.items())))
    if memo is not None and key in memo:
        return memo[key]
    result = _run_uncached(tree, url, images, **options)
    if memo is not None:
        memo[key] = result
    return result


def _run_uncached(tree, url: str | None, images: list | None, **options) -> tuple[str, str]:
    doc = _trafilatura(tree, url, **options)
    raw = _to_html(doc.body) if doc is not None else ""
    if options.get("include_comments") and doc is not None and doc.commentsbody is not None \
            and len(doc.commentsbody):
        raw += _to_html(doc.commentsbody)
    body_html = sanitize_html(restore_images(raw, images or []), url or "")
    return body_html, html_to_text(body_html)


#: Characters of HTML above which trafilatura is skipped for the main region: it needs about 0.3 ms per line
#: (a 200,000-line page: about a minute; a 50 MB page: over 15 minutes on 2 cores), so a huge page gets the
#: cheap rule and the run stays bounded.
HUGE_PAGE = 5_000_000
#: Characters of body text above which the third candidate (.agree) is not asked: comparing the word runs of
#: three texts that long is Python sets of millions of tuples (a 4.9-million-character page of short lines took
#: 23 s and 657 MB with it, 13 s and 361 MB without). No dev page's body comes near (the longest: 73,662
#: characters), so no dev output changes.
AGREE_MAX_TEXT = 300_000


_REGION_KEYS = ("cta_drop", "region_sectional", "region_drop_hidden", "region_drop_aria_hidden", "region_word_start",
                "cards_link_share")


def _region(tree, url: str | None, images: list | None, memo: dict, tuning: Tuning = DEFAULT) -> tuple[str, str]:
    """(HTML, text) of the main region; with ``cards_link_share``, narrowed around its repeated blocks (.cards),
    and the share of its words those blocks hold in ``memo[("cards", key)]``."""
    key = ("region", tuning.key(*_REGION_KEYS))
    if key not in memo:
        import lxml.html

        from .region import region_root

        root = region_root(tree, tuning)
        share = 0.0
        if tuning.cards_link_share:
            from .cards import narrow

            share = narrow(root, tuning.cards_link_share)
        markup = lxml.html.tostring(root, encoding="unicode", method="html")
        region = sanitize_html(restore_images(markup, images or []), url or "")
        memo[key] = (region, html_to_text(region))
        memo[("cards", key)] = share
    return memo[key]


def _listing_marked_as_article(tree, url: str | None, images: list | None, memo: dict, tuning: Tuning,
                               body_text: str) -> tuple[str, str] | None:
    """Round 9: the main region of a page marked as an article that is a list of repeated blocks (the blocks hold
    ``cards_article_share`` of the region's words) with ``cards_article_ratio`` times the body's words: a listing
    or index that says og:type=article, where trafilatura kept one teaser, a featured item or a cookie box."""
    ratio = tuning.cards_article_ratio
    if not _may_hold(tree, body_text, ratio, memo):  # the region is part of the visible text: most articles stop here
        return None
    region, region_text = _region(tree, url, images, memo, tuning)
    share = memo[("cards", ("region", tuning.key(*_REGION_KEYS)))]
    if share >= tuning.cards_article_share and _stats(region_text)[0] >= ratio * _stats(body_text)[0]:
        return region, region_text
    return None


def extract_body(tree, url: str | None, *, tuning: Tuning = DEFAULT, **kwargs) -> tuple[str, str, str]:
    """(sanitized body HTML, body text, rule): the body :func:`_choose_body` chooses, with round 14's repeated
    blocks dropped (.repeats) when ``tuning.repeats_words`` is set; not on a body over ``AGREE_MAX_TEXT``."""
    body_html, body_text, rule = _choose_body(tree, url, tuning=tuning, **kwargs)
    if tuning.repeats_words and len(body_text) <= AGREE_MAX_TEXT:
        from .repeats import drop_repeats, may_repeat

        fewer = may_repeat(body_text, tuning.repeats_words) and drop_repeats(body_html, tuning.repeats_run,
                                                                              tuning.repeats_words)
        if fewer:
            return fewer, html_to_text(fewer), rule + "; repeated blocks dropped"
    return body_html, body_text, rule


def _choose_body(tree, url: str | None, *, article: bool = False, product: bool = False, forum: bool = False,
                 images: list | None = None, huge: bool = False, tuning: Tuning = DEFAULT,
                 memo: dict | None = None, html: str | None = None) -> tuple[str, str, str]:
    """(sanitized body HTML, body text, rule).

    Measured on wcxb-dev and scrapinghub (bench/extraction.py):

    * discussion threads: trafilatura with its "comments" kept (the replies are the thread);
    * article pages (Open Graph / JSON-LD article): trafilatura's favor_recall (articles 0.924 -> 0.931 F1;
      recall loses on forums, listings and product grids, so it is not the default);
    * other pages: trafilatura's balanced default, re-run with favor_recall when that keeps long prose
      (an article without markup saying so);
    * on pages that are neither articles nor products, when trafilatura keeps little of the main region
      (cards, grids, feature blocks it takes for navigation) and no prose, the region wins.

    ``memo`` (one dict per parsed page) lets several ``tuning`` variants share the trafilatura runs. ``html``
    (the page as fetched) feeds the third candidate of .agree, when the tuning asks for it.
    """
    memo = {} if memo is None else memo
    fast = {"fast": True} if tuning.fast else {}
    if tuning.consent_drop and not huge:
        tree, memo = _without_consent(tree, memo)
    if huge:
        region, region_text = _region(tree, url, images, memo, tuning)
        return region, region_text, f"main region (page over {HUGE_PAGE:,} characters: trafilatura skipped)"
    prose = False
    if forum:
        body_html, body_text = _run(tree, url, images, memo, include_comments=True, **fast)
        rule = "trafilatura with comments (discussion thread)"
    elif article:
        body_html, body_text = _run(tree, url, images, memo, favor_recall=True, **fast)
        rule = "trafilatura favor_recall (article page; no comments, tables)"
        # favor_precision trimming only the edges (up to 30%) drops related links, captions and promotions;
        # trimming more loses paragraphs (scrapinghub 0.961 -> 0.965, wcxb-dev articles unchanged)
        if tuning.trim:  # off, its trafilatura run is saved
            trim_fast = {"fast": True} if tuning.trim_fast else fast
            precise_html, precise_text = _run(tree, url, images, memo, favor_precision=True, **trim_fast)
            words, precise_words = _stats(body_text)[0], _stats(precise_text)[0]
        if tuning.trim and tuning.trim_min * words <= precise_words <= tuning.trim_max * words:
            body_html, body_text = precise_html, precise_text
            rule = "trafilatura favor_precision (article page; trims favor_recall's edges)"
        listing = tuning.cards_article_ratio and _listing_marked_as_article(tree, url, images, memo, tuning,
                                                                            body_text)
        if listing:
            body_html, body_text = listing
            rule = "main region (marked as an article, but a list of repeated blocks with more text)"
    else:
        body_html, body_text = _run(tree, url, images, memo, **fast)
        rule = "trafilatura (no comments, tables)"
        words, per_paragraph = _stats(body_text)
        prose = per_paragraph >= tuning.prose_words
        if not product and words >= tuning.recall_min_words and per_paragraph >= tuning.recall_paragraph_words:
            recall_html, recall_text = _run(tree, url, images, memo, favor_recall=True, **fast)
            # favor_recall sometimes settles on a smaller, different block: then the balanced result stays
            if _stats(recall_text)[0] >= 0.9 * words:
                body_html, body_text = recall_html, recall_text
                rule = "trafilatura favor_recall (prose page; no comments, tables)"
                prose = True
    if not article and (tuning.region_products or not product) and (tuning.region_forums or not forum) and not prose:
        region, region_text = _region(tree, url, images, memo, tuning)
        words = _stats(body_text)[0]
        region_words = _stats(region_text)[0]
        if words < tuning.region_share * region_words:
            body_html, body_text = region, region_text
            rule = f"main region (trafilatura kept {words / max(1, region_words):.0%} of it)"
    use_medoid = tuning.agree_medoid and not article and (tuning.agree_forums or not forum) \
        and (tuning.agree_products or not product) and (tuning.agree_prose or not prose)
    if html and len(body_text) <= AGREE_MAX_TEXT and (
            use_medoid or (tuning.superset_share and _may_hold(tree, body_text, tuning.superset_ratio, memo))):
        return _by_agreement(tree, url, images, memo, tuning, html, (body_html, body_text, rule), use_medoid)
    return body_html, body_text, rule


def _without_consent(tree, memo: dict):
    """Round 10: (tree, memo) with the page's consent dialogs removed (.consent); the cleaned copy, when there
    is one, gets a memo of its own (its trafilatura runs and region differ from the page's)."""
    if "consent tree" not in memo:
        from .consent import without_consent

        memo["consent tree"] = without_consent(tree)
    clean = memo["consent tree"]
    return (tree, memo) if clean is tree else (clean, memo.setdefault("consent memo", {"consent clean": clean}))


def _resiliparse(memo: dict, html: str) -> tuple[str, str]:
    """resiliparse's (HTML, text) of the page, or of the copy without consent dialogs when there is one."""
    from .agree import resiliparse_body

    if "resiliparse" not in memo:
        clean = memo.get("consent clean")  # only in the copy's memo
        memo["resiliparse"] = resiliparse_body(html) if clean is None else _resiliparse_of_tree(clean)
    return memo["resiliparse"]


def _resiliparse_of_tree(tree) -> tuple[str, str]:
    """resiliparse's (HTML, text) of a tree of ours (its markup, whose images are tokens: they are left out of the
    text, as resiliparse leaves images out)."""
    import lxml.html

    from .agree import resiliparse_body

    third_html, third_text = resiliparse_body(lxml.html.tostring(tree, encoding="unicode"))
    return _TOKEN.sub("", third_html), _TOKEN.sub("", third_text)


def _without_calls_to_action(memo: dict, text: str) -> tuple[str, str]:
    """Round 13b: resiliparse's (HTML, text) without its paragraphs that are calls to action."""
    key = ("no calls to action", text)
    if key not in memo:
        from .agree import as_paragraphs
        from .calls_to_action import without_calls_to_action

        memo[key] = as_paragraphs(without_calls_to_action(text.split("\n\n")))
    return memo[key]


def _resiliparse_without_comments(tree, memo: dict) -> tuple[str, str] | None:
    """Round 13: resiliparse's (HTML, text) of ``tree`` without its comment sections (.agree), or None when the
    page has none. Only asked when the superset rule would take resiliparse's text (1-2 % of pages), so the copy,
    its serialization and the second resiliparse run cost little per page."""
    if "resiliparse without comments" not in memo:
        from .agree import without_comment_sections

        clean = without_comment_sections(tree)
        memo["resiliparse without comments"] = None if clean is None else _resiliparse_of_tree(clean)
    return memo["resiliparse without comments"]


_VISIBLE_TEXT = etree.XPath("//body//text()[not(parent::script or parent::style or parent::noscript or "
                           "parent::template)]", smart_strings=False)


def _may_hold(tree, body_text: str, ratio: float, memo: dict | None = None) -> bool:
    """Whether the page's visible text has ``ratio`` times the body's words, so that resiliparse's main content
    (a part of that text) can: the "cut short" rule then skips the third extractor on most article pages (140
    of 163 in a sample of 300 pages). ``memo`` keeps the count of visible words for the next call."""
    words = len(_WORD.findall(body_text))
    visible = None if memo is None else memo.get("visible words")
    if visible is None:
        visible = len(_WORD.findall(" ".join(_VISIBLE_TEXT(tree))))
        if memo is not None:
            memo["visible words"] = visible
    return visible + 1 >= ratio * (words - 2)


def _by_agreement(tree, url: str | None, images: list | None, memo: dict, tuning: Tuning, html: str,
                  chosen: tuple[str, str, str], use_medoid: bool) -> tuple[str, str, str]:
    """Round 7: resiliparse's text as a third candidate (.agree says why)."""
    from .agree import medoid, shingles, superset

    third_html, third_text = _resiliparse(memo, html)
    if not third_text:
        return chosen
    if tuning.cta_drop:
        third_html, third_text = _without_calls_to_action(memo, third_text)
    if tuning.superset_share and superset(chosen[1], third_text, tuning.superset_share, tuning.superset_ratio):
        # round 13: read again without the comment sections; that text is the third candidate from here on
        clean = _resiliparse_without_comments(tree, memo) if tuning.superset_comments else None
        if clean is not None:
            third_html, third_text = _without_calls_to_action(memo, clean[1]) if tuning.cta_drop else clean
        if superset(chosen[1], third_text, tuning.superset_share, tuning.superset_ratio):
            return third_html, third_text, "resiliparse main content (holds the body and much more: it was cut short)"
    if use_medoid:
        region_html_, region_text = _region(tree, url, images, memo, tuning)
        runs = memo.setdefault("runs", {})
        for text in (chosen[1], region_text, third_text):
            if text not in runs:
                runs[text] = shingles(text)
        pick = medoid([runs[chosen[1]], runs[region_text], runs[third_text]])
        if pick == 1 and region_text != chosen[1]:
            return region_html_, region_text, "main region (agrees most with trafilatura and resiliparse)"
        if pick == 2:
            return third_html, third_text, "resiliparse main content (agrees most with trafilatura and the region)"
    return chosen
