"""Each document format, read from real files."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest
from seedfeed.errors import DocumentError
from seedfeed.extraction.document import extract, summarize
from seedfeed.extraction.sanitize import sanitize_html
from seedfeed.models import RawDoc

T = datetime(2026, 1, 1, tzinfo=UTC)


def raw(data: bytes | str, kind: str = "txt", key: str = "doc") -> RawDoc:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return RawDoc(key=key, origin=f"seeds/{key}.{kind}", kind=kind, data=data, mtime=T)


def test_plain_text_news_story():
    doc, warnings = extract(raw("\n\n  Headline here  \n\nFirst para\nwraps.\n\n\nSecond <para> & more.\n"))
    assert doc.title == "Headline here"
    assert doc.summary == "First para wraps."
    assert doc.body_html == "<p>First para wraps.</p>\n<p>Second &lt;para&gt; &amp; more.</p>"
    assert warnings == []


def test_long_first_paragraph_is_cut_at_a_sentence_boundary():
    text = "One sentence here. " * 40
    summary = summarize(text)
    assert len(summary) <= 400 and summary.endswith("here.")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_unicode_with_and_without_bom(encoding):
    text = "Überschrift — “quoted”\n\nKörper 漢字"
    if encoding == "utf-16-le-bom":
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    doc, warnings = extract(raw(data))
    assert doc.title == "Überschrift — “quoted”" and "漢字" in doc.body_html and warnings == []


def test_legacy_encoding_is_detected_with_a_warning_naming_the_file():
    doc, warnings = extract(raw("Café crème\n\nDéjà vu, naïve façade, señor, über.".encode("cp1252")))
    assert doc.title == "Café crème"
    assert len(warnings) == 1 and "seeds/doc.txt" in warnings[0] and "UTF-8" in warnings[0]


def test_markdown_yaml_front_matter():
    doc, _ = extract(raw("""---
title: Hello "world"
date: 2024-05-01
updated: 2024-05-03T10:00:00+02:00
summary: Short.
author: Ann Example
tags: [one, two]
link: https://example.org/hello
---
# Not the title

Some *emphasis* and a [link](/relative).
""", "md"))
    assert doc.title == 'Hello "world"'
    assert doc.published == datetime(2024, 5, 1, tzinfo=UTC)
    assert doc.updated == datetime(2024, 5, 3, 8, tzinfo=UTC)
    assert doc.summary == "Short." and doc.author == "Ann Example" and doc.tags == ("one", "two")
    assert doc.link == "https://example.org/hello"
    assert "<em>emphasis</em>" in doc.body_html
    assert 'href="https://example.org/relative"' in doc.body_html  # absolute against the document's link


def test_markdown_toml_front_matter_and_first_heading_title():
    doc, _ = extract(raw('+++\ndate = 2024-02-02T08:00:00Z\ntags = ["x"]\n+++\n\nIntro line\n\n## The *Heading*\n\nText.', "md"))
    assert doc.title == "The Heading"
    assert "<h2>" not in doc.body_html and doc.tags == ("x",)
    assert doc.summary == "Intro line"


def test_markdown_raw_html_is_sanitized():
    doc, _ = extract(raw("# T\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))", "md"))
    assert "<script" not in doc.body_html and "onerror" not in doc.body_html and 'href="javascript' not in doc.body_html


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"   \n\n", "empty"), (b"\x00\x01\x02binary\x00" * 10, "binary"),
])
def test_unusable_documents_raise_a_document_error_naming_the_file(data, reason):
    with pytest.raises(DocumentError) as exc:
        extract(raw(data))
    assert "seeds/doc.txt" in exc.value.message and reason in exc.value.message


def test_bad_front_matter_date_is_a_warning_naming_the_file_the_field_and_the_value():
    doc, warnings = extract(raw("---\ntitle: x\ndate: next tuesday\n---\nbody", "md"))
    assert doc.title == "x" and doc.published is None
    assert len(warnings) == 1 and "seeds/doc.md" in warnings[0] and "date" in warnings[0] and "next tuesday" in warnings[0]


def test_sanitizer_removes_active_content_and_makes_urls_absolute():
    dirty = ('<p onclick="x()">Hi<script>bad()</script><style>p{}</style><iframe src="//evil"></iframe>'
             '<object data="x"></object><embed src="x"><form><input></form>'
             '<a href="javascript:alert(1)">j</a><a href="vbscript:x">v</a><a href="data:text/html,x">d</a>'
             '<a href="../up">rel</a><img src="img.png" srcset="a.png 1x, /b.png 2x"></p>')
    clean = sanitize_html(dirty, "https://example.org/dir/page.html")
    for bad in ("script", "style", "iframe", "object", "embed", "form", "input", "onclick", "javascript:",
                "vbscript:", "data:"):
        assert bad not in clean, bad
    assert 'href="https://example.org/up"' in clean
    assert 'src="https://example.org/dir/img.png"' in clean
    assert "https://example.org/dir/a.png 1x, https://example.org/b.png 2x" in clean
