"""``seedfeed.extraction.sanitize`` called directly, for what the end-to-end tests reach only with heavy inputs:
cleaning a large body in pieces, a base URL ammonia refuses, the length limits of plain-text fields.
(The hostile-markup corpus goes through it in tests/test_hostile_markup.py.)"""

from __future__ import annotations

import html

import seedfeed.extraction.sanitize as sanitize
from seedfeed.extraction.sanitize import (
    NAME_LIMIT,
    TEXT_LIMIT,
    TITLE_LIMIT,
    absolutize,
    html_to_text,
    http_url,
    plain_text,
    safe_title,
    sanitize_html,
)

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
    """Titles are cut at 300 characters, names at 200, summaries at 5,000: at the last word boundary in the
    second half of the allowance, with an ellipsis; a text without one there is cut mid-word."""
    assert (TITLE_LIMIT, NAME_LIMIT, TEXT_LIMIT) == (300, 200, 5000)
    words = " ".join(["alpha"] * 3000)
    assert plain_text(words, 300) == " ".join(["alpha"] * 49) + "…"          # 293 characters + "…"
    assert plain_text(words, 200) == " ".join(["alpha"] * 33) + "…"          # 197 characters + "…"
    for limit in (TITLE_LIMIT, NAME_LIMIT, TEXT_LIMIT):
        exact = "x" * limit
        assert plain_text(exact, limit) == exact and plain_text(exact + "y", limit) == "x" * (limit - 1) + "…"
    early_space = "x" * 120 + " " + "y" * 400          # the only space is in the first half: cut mid-word
    assert plain_text(early_space, 300) == early_space[:299] + "…"
    late_space = "x" * 200 + " " + "y" * 400
    assert plain_text(late_space, 300) == "x" * 200 + "…"
    assert plain_text("  a \n\t b  ") == "a b" and plain_text("a\x00b\x01c") == "abc"


def test_comments_are_dropped():
    assert sanitize_html("<p>kept<!-- a private note --></p>") == "<p>kept</p>"


def test_srcset_candidates_are_resolved_and_unsafe_ones_dropped():
    out = sanitize_html('<img src="a.png" srcset="https://cdn.example/a.png 1x, javascript:alert(1) 3x, /b.png 2x">',
                        "https://example.org/post/")
    assert 'srcset="https://cdn.example/a.png 1x, https://example.org/b.png 2x"' in out, out
    no_base = sanitize_html('<img src="a.png" srcset="a.png 1x,, /c:d.png 2x, javascript:alert(1)//x/y 3x">')
    assert 'srcset="a.png 1x, /c:d.png 2x"' in no_base, no_base     # an empty candidate is skipped


def test_only_a_single_language_class_survives_on_code():
    assert sanitize_html('<pre><code class="language-py">x</code></pre>') == '<pre><code class="language-py">x</code></pre>'
    for bad in ("highlight", "language-py evil", "x language-py"):
        assert sanitize_html(f'<code class="{bad}">x</code>') == "<code>x</code>", bad


def test_cite_with_a_script_scheme_is_dropped_even_with_a_path():
    for cite in ("javascript:alert(1)//x/y", "java\tscript:alert(1)?a/b", " vbscript:x#y/z"):
        out = sanitize_html(f'<blockquote cite="{cite}">q</blockquote>')
        assert out == "<blockquote>q</blockquote>", (cite, out)
    assert 'cite="https://e.org/a/b"' in sanitize_html('<q cite="https://e.org/a/b">q</q>')


def test_http_url_resolves_against_the_base_and_refuses_everything_else():
    assert http_url("/x?y#z", "https://example.org/a/b") == "https://example.org/x?y#z"
    assert http_url("https://e.org/p") == "https://e.org/p"
    for bad in ("javascript:alert(1)", "/relative-without-base", "http://[::1", "http://h:99999/", "ftp://e.org/", "",
                "http://e.org/a\x01b", "https:///no-host"):
        assert http_url(bad) is None, bad


def test_absolutize_rewrites_relative_urls_and_leaves_everything_else_byte_for_byte():
    base = "https://example.org/post/"
    assert absolutize('<a href="/x">l</a> <img src="i.png">', base) == (
        '<a href="https://example.org/x" rel="noopener noreferrer">l</a> <img src="https://example.org/post/i.png">')
    absolute = '<a href="https://e.org/" rel="noopener noreferrer">l</a>'   # as sanitize_html leaves it
    assert absolutize(absolute, base) == absolute                      # nothing relative: unchanged
    assert absolutize('<a href="/x">l</a>', "") == '<a href="/x">l</a>'  # no base: untouched
    assert absolutize("", base) == ""


def test_a_large_body_with_no_tag_after_the_first_megabyte_is_cleaned_in_one_go():
    body = "<p>" + "word " * (3 * sanitize._CHUNK // 5)      # about 3 MB of text after a single tag
    assert sanitize_html(body) == "<p>" + body[3:] + "</p>"


def _wrapped(layers: int) -> str:
    """A title whose markup is ``<b>x`` entity-escaped ``layers`` times, each layer behind its own ``<i>``: each
    pass of safe_title strips one element and its decoding uncovers the next."""
    text = "<b>x"
    for _ in range(layers):
        text = "<i>" + html.escape(text, quote=False)
    return text


def test_safe_title_peels_four_layers_of_escaped_markup_then_defuses_what_is_left():
    assert safe_title(_wrapped(3)) == "x"          # four elements, one per pass: all stripped, the text kept
    assert safe_title(_wrapped(4)) == "b>x"        # a fifth: after four passes its "<" is dropped, so it is text


def test_safe_title_drops_comments_with_their_text():
    assert safe_title("a<!-- hidden -->b") == "ab"
