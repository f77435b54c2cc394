"""Property-based checks (hypothesis): any text renders; reruns are no-ops; edits keep identity."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from seedfeed.config import Overrides, load
from seedfeed.extraction.sanitize import safe_title, sanitize_html, strip_xml_illegal
from seedfeed.models import Document, Item
from seedfeed.pipeline import run_once
from seedfeed.render.base import FeedMeta
from seedfeed.render.item_page import render_page
from seedfeed.render.json_feed import render_json
from seedfeed.render.xml_feeds import render_atom, render_rss

from tests.conftest import snapshot, write

T = datetime(2025, 1, 1, tzinfo=UTC)
anything = st.text(st.characters(codec="utf-8"), max_size=200)


@settings(max_examples=150, deadline=None)
@given(title=anything, summary=anything, body=anything, author=anything, tag=anything, feed_title=anything)
def test_any_text_in_any_field_renders_to_well_formed_xml_and_valid_json(title, summary, body, author, tag, feed_title):
    doc = Document("k", "k", title, summary, sanitize_html(body), author=author or None, tags=(tag,) if tag else ())
    item = Item("urn:uuid:1", "s", doc, T, T, "h")
    meta = FeedMeta("urn:uuid:f", feed_title, feed_title, "https://example.org/", "https://example.org/", T)
    for data in (render_rss(meta, [item]), render_atom(meta, [item])):
        root = etree.fromstring(data)
        assert root is not None
        parsed = feedparser.parse(data)
        assert len(parsed.entries) == 1
    atom = etree.fromstring(render_atom(meta, [item]))
    got = atom.find("{http://www.w3.org/2005/Atom}entry").findtext("{http://www.w3.org/2005/Atom}title")
    assert got == (strip_xml_illegal(safe_title(title)) or "(untitled)")   # titles are text: markup is stripped
    feed = json.loads(render_json(meta, [item]))
    assert feed["items"][0]["title"] == safe_title(title)
    etree.fromstring(render_page(item, meta), etree.HTMLParser())


docs = st.lists(st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40),
                          st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200),
                          st.sampled_from(["txt", "md"])), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=docs)
def test_rebuild_with_nothing_changed_rewrites_nothing(docs):
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        for i, (title, body, kind) in enumerate(docs):
            write(site / "seeds" / f"d{i}.{kind}", f"{title}\n\n{body}", mtime=T + timedelta(minutes=i))
        config = load(None, Overrides(), site)
        run_once(config, T + timedelta(days=1))
        before = snapshot(site / "output")
        report = run_once(config, T + timedelta(days=2))
        assert not report.changed
        assert snapshot(site / "output") == before


_printable = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))  # NUL bytes make a file "binary"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.text(_printable, min_size=1, max_size=80).filter(str.strip),
       edit=st.text(_printable, min_size=1, max_size=80).filter(str.strip))
def test_editing_a_document_keeps_its_id_and_published(first, edit):
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        path = write(site / "seeds" / "doc.txt", f"Title\n\n{first}", mtime=T)
        config = load(None, Overrides(), site)
        run_once(config, T + timedelta(days=1))
        (before,) = feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries
        write(path, f"Title {edit}\n\n{edit} {first}", mtime=T + timedelta(hours=5))
        run_once(config, T + timedelta(days=2))
        (after,) = feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries
        assert after.id == before.id and after.published == before.published
        assert after.updated >= before.updated


_TRICKY = st.sampled_from(["a", "Z", "7", " ", "  ", ":", ": ", "#", " #", "-", "- ", "[", "]", ",", "{", "'", '"', "~",
                           "null", "yes", "\t", "\r", "é", "\x85", "\ufeff", "?", "&", "!", "|", ">", "%", "@", "`",
                           ".", "2024-05-01", "tags", "title"])
_PLAIN = st.sampled_from(["a", "b c", "x1", "9"])
_LINE = st.lists(st.one_of(_PLAIN, _PLAIN, _TRICKY), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@example(lines=["title: a: b"])
@example(lines=["tags: [a: b]", "t: x"])
@example(lines=["t: [a,,b]"])
@example(lines=["t: [a, b c]", "u: 1 2"])
@example(lines=["t: a", "\t"])
@given(lines=st.lists(st.one_of(_LINE, st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["title", "tags", "A_1"]),
                                                 _LINE)), max_size=5))
def test_front_matter_read_without_pyyaml_is_what_pyyaml_reads(lines):
    """The plain-line fast path (no PyYAML import) gives exactly BaseLoader's result, or steps aside."""
    import yaml
    from seedfeed.extraction.frontmatter import plain_yaml

    block = "\n".join(lines)
    fast = plain_yaml(block)
    if fast is None:
        return
    assert fast == (yaml.load(block, Loader=yaml.BaseLoader) or {}), block


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=40), when=st.datetimes(timezones=st.just(UTC)))
def test_ids_and_opml_dates_made_without_uuid_and_email_are_theirs(name, when):
    import uuid
    from email.utils import format_datetime

    from seedfeed.render.site_pages import rfc822
    from seedfeed.state.merge import uuid5

    namespace = uuid.UUID("6f0c2d0e-5e0b-4d7e-9d3a-2f5b1c9a7e41")
    try:
        expected = str(uuid.uuid5(namespace, name))
    except UnicodeEncodeError:   # a lone surrogate: uuid5 refuses it, and so do we
        with pytest.raises(UnicodeEncodeError):
            uuid5(namespace.bytes, name)
        return
    assert uuid5(namespace.bytes, name) == expected
    assert rfc822(when) == format_datetime(when, usegmt=True)
