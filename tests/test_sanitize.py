"""``seedfeed.extraction.sanitize`` called directly, for what the end-to-end tests reach only with heavy inputs:
cleaning a large body in pieces, a base URL ammonia refuses, the length limits of plain-text fields.
(The hostile-markup corpus goes through it in tests/test_hostile_markup.py.)"""

from __future__ import annotations

import seedfeed.extraction.sanitize as sanitize
from seedfeed.extraction.sanitize import TEXT_LIMIT, TITLE_LIMIT, html_to_text, plain_text, sanitize_html

from tests.hostile import executable_problems


def test_a_large_body_cleaned_in_pieces_equals_cleaning_it_at_once(monkeypatch):
    """Past 1 MB a body is cleaned a piece at a time, cut where a line starts with a tag: the result must be what
    cleaning it in one go gives (blocks on their own lines are independent), with nothing executable."""
    blocks = [f'<p id=x{i} onclick="alert({i})">Paragraph {i} <a href="javascript:alert({i})">link</a> '
              f'<img src=/i{i}.png onerror=alert({i})> text</p>' for i in range(25_000)]
    body = "\n".join(blocks)            # about 3 MB: three pieces or more
    assert len(body) > 2 * sanitize._CHUNK
    pieces = sanitize_html(body, "https://example.org/a/")
    monkeypatch.setattr(sanitize, "_CHUNK", len(body) + 1)
    assert pieces == sanitize_html(body, "https://example.org/a/")
    assert "Paragraph 24999" in pieces and not executable_problems(pieces[:200_000] + pieces[-200_000:])


def test_a_body_without_line_breaks_is_cut_after_a_tag():
    """No line starts with a tag: each piece ends after a ``>``, so no tag is split (an inline element cut in two
    loses its formatting for a word, the documented cost) and all the text survives, unescaped."""
    body = "".join(f"<b>bold {i}</b><i>it {i}</i>" for i in range(120_000))   # no newline at all, about 3 MB
    cleaned = sanitize_html(body)
    assert cleaned.count("<b>") == 120_000 and "&lt;" not in cleaned and "&gt;" not in cleaned
    assert html_to_text(cleaned) == html_to_text(body)


def test_a_base_url_ammonia_refuses_leaves_links_relative_instead_of_failing():
    for base in ("http://exa mple.org/", "http://xn--/", "http://[::1/", "http://h:99999/", "http://%zz/"):
        assert sanitize_html('<a href="/x">l</a>', base) == '<a href="/x" rel="noopener noreferrer">l</a>'


def test_plain_text_limits_are_the_documented_ones():
    """Titles are cut at 300 characters and summaries at 5,000, at a word boundary, with an ellipsis."""
    assert (TITLE_LIMIT, TEXT_LIMIT) == (300, 5000)
    words = " ".join(["word"] * 3000)   # 14,999 characters
    for limit in (TITLE_LIMIT, TEXT_LIMIT):
        cut = plain_text(words, limit)
        assert len(cut) <= limit and cut.endswith("word…")
        exact = "x" * limit
        assert plain_text(exact, limit) == exact and plain_text(exact + "y", limit) != exact + "y"
