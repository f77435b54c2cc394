"""The tunable choices of the extraction rules, in one frozen record.

Why a record instead of module constants: ``bench/extraction.py --kfold`` must choose every threshold and every
rule switched on or off on four folds of the development pages and score the choice on the fifth. That needs
several variants of the rules in one process, on the same parsed page, without reloading modules. Production
code always uses :data:`DEFAULT`; the benchmark passes other candidates to ``extract_page(..., tuning=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Tuning:
    #: Below this share of the main region's words, trafilatura's result on a page that is neither an article
    #: nor a product page is replaced by the main region (cards, grids, feature blocks it takes for navigation).
    region_share: float = 0.4
    #: ... unless trafilatura's paragraphs average this many words (prose).
    prose_words: float = 30
    #: Pages not marked as articles whose balanced extraction is prose this long are re-extracted with recall.
    recall_min_words: int = 300
    recall_paragraph_words: float = 20
    #: On article pages favor_precision's result replaces favor_recall's when it keeps this share of its words.
    trim_min: float = 0.7
    trim_max: float = 0.95
    #: trafilatura's fast mode: no readability / jusText comparison after its own extractor.
    fast: bool = False
    #: htmldate's extensive search (free-text dates parsed by dateparser) when no markup gives the date.
    date_extensive: bool = True
    #: The main-region fallback also on product pages.
    region_products: bool = False
    #: Author rules tried after all the others: a short "By Jane Doe" element, an author object in a page
    #: script ({"author": {"name": ...}}), the first link to a user/author profile page.
    #: Dates written as text (a <time> without datetime, "Published: March 3, 2024") before htmldate.
    date_text: bool = False
    author_label: bool = False
    author_byline: bool = False
    author_json: bool = False
    author_profile: bool = False

    def key(self, *names: str) -> tuple:
        """The values of ``names``: a memo key for a step that only depends on them."""
        return tuple(getattr(self, n) for n in names)

    def with_(self, **changes) -> Tuning:
        return replace(self, **changes)


DEFAULT = Tuning()

#: The field names, for the benchmark's command line.
NAMES = tuple(f.name for f in fields(Tuning))
