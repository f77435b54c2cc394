"""The tunable choices of the extraction rules, in one frozen record.

Why a record instead of module constants: ``bench/extraction.py --kfold`` must choose every threshold and every
rule switched on or off on four folds of the development pages and score the choice on the fifth. That needs
several variants of the rules in one process, on the same parsed page, without reloading modules. Production
code always uses :data:`DEFAULT`; the benchmark passes other candidates to ``extract_page(..., tuning=...)``.
"""

from __future__ import annotations

from ..records import fields, record, replace


@record
class Tuning:
    #: Below this share of the main region's words, trafilatura's result on a page that is neither an article
    #: nor a product page is replaced by the main region (cards, grids, feature blocks it takes for navigation).
    #: k-fold choice among 0.4 (the old value), 0.7, 0.9, 1.0: 1.0 in 4 folds of 5 (docs/extraction.md).
    region_share: float = 1.0
    #: ... unless trafilatura's paragraphs average this many words (prose).
    prose_words: float = 30
    #: Pages not marked as articles whose balanced extraction is prose this long are re-extracted with recall.
    recall_min_words: int = 300
    recall_paragraph_words: float = 20
    #: On article pages, run favor_precision too and take its result when it keeps trim_min-trim_max of
    #: favor_recall's words. Off: k-fold chose "no trim" in 4 folds of 5 (scrapinghub -0.004, wcxb-dev +0.001,
    #: union +0.0002), and it costs a second trafilatura run on every article.
    trim: bool = False
    trim_min: float = 0.7
    trim_max: float = 0.95
    #: The favor_precision run that may trim an article runs in trafilatura's fast mode (it only trims).
    trim_fast: bool = False
    #: trafilatura's fast mode: no readability / jusText comparison after its own extractor.
    fast: bool = False
    #: htmldate's extensive search (free-text dates parsed by dateparser) when no markup gives the date.
    date_extensive: bool = True
    #: The main-region fallback also on product pages / on discussion threads.
    region_products: bool = False
    region_forums: bool = True
    #: Round 6, the main region's cleaning (docs/extraction.md): elements with the ``hidden`` or
    #: ``aria-hidden="true"`` attribute are kept (collapsed accordions, tabs and carousel slides hold content the
    #: page shows on a click); boilerplate class/id words count only at the start of a word ("site-search",
    #: "navbar", not "research" or "canvas"); a <header>/<footer> inside an <article>/<section> is kept (a card's
    #: or section's heading, by HTML's sectioning rules). k-fold: the first three chosen on all 5 folds, the
    #: sectional rule on 4 of them (held-out body 0.850 -> 0.853). Keeping <button>s of 4+ words (accordion
    #: questions) was never chosen and is gone.
    region_drop_hidden: bool = False
    region_drop_aria_hidden: bool = False
    region_word_start: bool = True
    region_sectional: bool = True
    #: Round 7 (docs/extraction.md): a third candidate body, resiliparse's main content (feeds/extraction/agree.py).
    #: ``agree_medoid``: on pages not marked as articles, of trafilatura's result (after the rules above), the
    #: main region and resiliparse's text, the one that agrees most with the other two is published;
    #: ``agree_forums`` / ``agree_products`` / ``agree_prose``: on discussion threads / product pages / prose
    #: pages too (the last two cost a main region the rules above did not need). ``superset_share`` (0 = off):
    #: on any page, resiliparse's text replaces the body when it holds that share of the body's 4-word runs and
    #: ``superset_ratio`` times as many (the body was cut short).
    #: k-fold (``--candidates round7``): the medoid not on forums with the 0.8 x 3 rule on 4 folds of 5 (not on
    #: products either on 2 of them; 0.8 x 2 on the fifth): held-out body 0.853 -> 0.857. Shipped off in round 7
    #: for its CPU (1.30x trafilatura's per page); ON since round 8, whose CPU work (no output changed) made room:
    #: 1.15x with it (target <= 1.2x).
    agree_medoid: bool = True
    agree_forums: bool = False
    agree_products: bool = True
    agree_prose: bool = True
    superset_share: float = 0.8
    superset_ratio: float = 3.0
    #: Round 13 (docs/extraction.md): when the superset rule above would take resiliparse's text, that text is
    #: read again from the page without its comment sections (.agree.COMMENT_SECTIONS), and taken only if it
    #: still holds the body and ``superset_ratio`` times as many runs: resiliparse keeps a blog post's comments,
    #: which made the body "cut short" on articles whose readers wrote three times the post.
    superset_comments: bool = True
    #: Round 13 (docs/extraction.md, .calls_to_action): links and buttons whose whole text is a call to action
    #: ("Read more", "Add to cart", "Weiterlesen") are left out of the main region and of resiliparse's text.
    #: k-fold (``--candidates round13``): both rules chosen on all 5 folds, held-out body 0.863 -> 0.867. Shipped
    #: OFF (like round 14's rule): the two cost about 0.8 ms a page together (0.012x of trafilatura's), and with
    #: them the CPU per page measured 1.19-1.21x against the 1.2x limit; without them 1.18-1.19x.
    cta_drop: bool = False
    #: Round 14 (docs/extraction.md, feeds/extraction/repeats.py): in the chosen body, every run of
    #: ``repeats_run`` consecutive innermost blocks (paragraphs, list items, headings, rows) that repeats an earlier
    #: run word for word, with ``repeats_words`` words or more together, is dropped (0 = off): a page's second
    #: copy of a block (a layout for phones, a carousel's cloned slides, a sticky summary) is extra words.
    #: k-fold (``--candidates round14``, on round 13's final default): 1 block x 20 words on 3 folds of 5 (3 x 10
    #: on the other two; on round 13's first rule alone 3 x 10 had 4 folds): held-out body 0.8664 -> 0.8672 (forum
    #: 0.746 -> 0.753, product 0.623 -> 0.631), no fold lower; title, date and author unchanged.
    #: Shipped OFF (0) for its CPU: see ``cta_drop``. The k-fold's size when it is on: ``repeats_words=20``.
    repeats_words: int = 0
    repeats_run: int = 1
    #: Round 9 (docs/extraction.md, feeds/extraction/cards.py): ``cards_link_share`` (0 = off): the main region
    #: is narrowed around its main group of repeated blocks (cards, rows, posts): the siblings of the group's
    #: container and of its ancestors with this share of their words in links (filter lists, link lists) are
    #: dropped, the group itself is kept whole. ``cards_article_ratio`` (0 = off): on a page marked as an
    #: article, that region replaces trafilatura's body when its repeated blocks hold ``cards_article_share`` of
    #: its words and it has this many times the body's words (a listing marked og:type=article, or an article
    #: trafilatura cut short); it needs the narrowing on (which measures that share).
    #: k-fold (``--candidates round9``): 0.3 with 2x on 4 folds of 5 (3x on the fifth): held-out body 0.857 ->
    #: 0.861, higher on every fold; title, date and author unchanged.
    cards_link_share: float = 0.3
    cards_article_ratio: float = 2.0
    cards_article_share: float = 0.5
    #: Round 10 (docs/extraction.md, feeds/extraction/consent.py): the body is chosen on a copy of the page
    #: without its cookie-consent and privacy dialogs (consent class/id words, dialogs about cookies).
    #: k-fold (``--candidates round10``): chosen on all 5 folds, held-out body 0.861 -> 0.863; title, date and
    #: author unchanged.
    consent_drop: bool = True
    #: Site-name parts stripped from <h1> candidates too ("Thread title - Site Forum"); on in every fold.
    title_h1_strip: bool = True
    #: Round 5: an <h1> that agrees only with the last part of a several-part <title> (where the site or book
    #: name usually stands) is left to the rules after the agreement ones; an <h1> that holds the other sources'
    #: title plus a date, a label or a byline ("Dec 18 2025 Title", "Blog: Title") gives way to that title.
    #: Both on in all 5 folds (held-out title 0.798 -> 0.804).
    title_last_part: bool = True
    title_contained: bool = True
    #: Dates written as text (a <time> without datetime, "Published: March 3, 2024") before htmldate: measured
    #: no change at all (htmldate's extensive search already finds them), so off.
    date_text: bool = False
    #: Round 5: htmldate's guess, when the page text does not show it but shows a date written out ("March 3,
    #: 2024", "3 March 2024", "2024-03-03"), gives way to the first such date (wcxb-dev, all pages: 0.865 -> 0.874).
    date_visible: bool = True
    #: Round 12: a JSON-LD published date (no published-time meta tag, no <time> outside comments) gives way to
    #: the first date the page text shows, when that is another day (wcxb-dev: of 90 pages dated by JSON-LD, 22
    #: show another date first; that date is the truth on 21 of them, the JSON-LD one on 1).
    date_ld_shown: bool = True
    #: Round 13: a <time datetime> whose own text shows the day before or after the attribute's day (a time in
    #: UTC shown in the page's zone) dates the page by the day shown (``date_time_text``); htmldate's guess, when
    #: the page shows it but shows another date first, right after a date label or a byline ("Last updated:",
    #: "by Jane Doe"), gives way to that first date (``date_htmldate_labelled``).
    date_time_text: bool = True
    date_htmldate_labelled: bool = True
    #: Author rules tried after all the others, on in every fold (held-out author 0.797 -> 0.832): more "... by"
    #: labels ("Article by"), a short "By Jane Doe" element, an author object in a page script
    #: ({"author": {"name": ...}}), the first link to a user/author profile page outside navigation.
    author_label: bool = True
    author_byline: bool = True
    author_json: bool = True
    author_profile: bool = True
    #: Repairs: a label glued to the name ("Written byJane"), digits trafilatura strips from user names.
    #: Both chosen on 4 folds of 5 (the glued-label repair alone on the fifth): held-out author 0.832 -> 0.835.
    author_glued: bool = True
    author_digits: bool = True
    #: Round 5 (docs/extraction.md). Several names written as the page writes them ("A, B and C") when the page
    #: text has them joined so; "Written by Jane" (any "... by" label) as a short element's whole text; an
    #: author object in escaped JSON inside a script; "Last, First" of citation meta tags turned round when the
    #: page writes "First Last"; a short name-like text in an element whose class or id says "author".
    #: All five on in all 5 folds (held-out author 0.835 -> 0.854).
    author_and: bool = True
    author_written: bool = True
    author_escaped: bool = True
    author_flip: bool = True
    author_class: bool = True

    def key(self, *names: str) -> tuple:
        """The values of ``names``: a memo key for a step that only depends on them."""
        return tuple(getattr(self, n) for n in names)

    def with_(self, **changes) -> Tuning:
        return replace(self, **changes)


DEFAULT = Tuning()

#: The field names, for the benchmark's command line.
NAMES = tuple(f.name for f in fields(Tuning))
