"""``seedfeed.state.merge``'s slug rules called directly: the item page names readers see in links. Written for
the survivors of the merge/identity mutation run (docs/testing.md)."""

from __future__ import annotations

from seedfeed.state.merge import _unique, slug_base, slugify


def test_slugs_of_web_pages_come_from_the_last_path_segment_without_its_extension():
    assert slug_base("https://example.org/news/2026/big-story.html", "Title") == "big-story"
    assert slug_base("https://example.org/a/b/page.php", "Title") == "page"
    assert slug_base("https://example.org/", "Home Page") == "example-org"          # no path: the host
    assert slug_base("https://example.org/Über Uns/", "x") == "uber-uns"


def test_slugs_of_seed_files_come_from_the_file_name_else_the_title():
    assert slug_base("seeds/news/First Post.md", "Other") == "first-post"
    assert slug_base("seeds/a.b.c.txt", "T") == "a-b-c"
    assert slug_base("seeds/sub/___.md", "A Title") == "a-title"


def test_slugify_keeps_sixty_characters_without_a_trailing_dash():
    assert slugify("x" * 59 + " yz") == "x" * 59
    assert slugify("y" * 61) == "y" * 60 and slugify("y" * 60) == "y" * 60
    assert slugify("!!!") == "item"


def test_colliding_slugs_are_numbered_from_two():
    used: set[str] = set()
    assert [_unique("a", used) for _ in range(4)] == ["a", "a-2", "a-3", "a-4"]
    assert used == {"a", "a-2", "a-3", "a-4"}


def test_a_touched_document_does_not_stop_the_new_ones_after_it(tmp_path):
    """A file whose time changed but whose content did not is only re-stat'ed; documents after it in the same
    run (here a new one, sorted after it) must still be published."""
    import os

    from tests.conftest import run_cli, write

    write(tmp_path / "seeds" / "a.txt", "Alpha\n\nbody")
    assert run_cli("build", cwd=tmp_path).returncode == 0
    os.utime(tmp_path / "seeds" / "a.txt", (1_800_000_000, 1_800_000_000))
    write(tmp_path / "seeds" / "b.txt", "Beta\n\nbody")
    assert run_cli("build", cwd=tmp_path).returncode == 0
    atom = (tmp_path / "output" / "atom.xml").read_text(encoding="utf-8")
    assert "Alpha" in atom and "Beta" in atom


# --- merge() itself, called directly with stored entries (written for the survivors of the 2026-12-05 run) ---

from datetime import UTC, datetime  # noqa: E402

from seedfeed.models import Document, Item  # noqa: E402
from seedfeed.state.merge import Changes, Observed, SlugsInUse, content_hash, merge, mint_id  # noqa: E402
from seedfeed.state.recover import Published  # noqa: E402
from seedfeed.state.rows import Entry  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _doc(key: str, title: str, body: str = "<p>b</p>", explicit_id: str | None = None) -> Document:
    return Document(key=key, origin="seed", title=title, summary="s", body_html=body, explicit_id=explicit_id)


def _entry(item_id: str, key: str, slug: str, digest: str, removed: bool = False) -> Entry:
    return Entry(item_id, key, slug, digest, T0.isoformat(), T0.isoformat(), T0.isoformat(), 1, 1, removed)


def test_merge_with_its_defaults_mints_new_ids_and_slugs_from_the_entries():
    """No ``used_slugs`` and no ``recover``: the slugs in use are the entries', nothing is recovered."""
    old = _entry("urn:old", "seeds/a.md", "b", "v1:x")
    ch = merge("f", [old], [Observed(_doc("seeds/b.md", "B"), T1)], {"seeds/a.md", "seeds/b.md"}, NOW)
    [item] = ch.new
    assert item.id == mint_id("f", "seeds/b.md", NOW) and item.slug == "b-2"
    assert (ch.updated, ch.moved, ch.removed) == ([], [], [])


def test_what_the_output_published_is_adopted_for_a_new_document_unless_its_id_is_taken():
    calls = []

    def recover(doc, base):
        calls.append((doc.key, base))
        return {"seeds/new.md": Published("urn:kept", T0, T0, "kept-slug"),
                "seeds/dup.md": Published("urn:live", T0, T0, "dup-slug")}.get(doc.key)

    live = _entry("urn:live", "seeds/live.md", "live", "v1:y")
    obs = [Observed(_doc("seeds/new.md", "N"), T1), Observed(_doc("seeds/dup.md", "D"), T1)]
    ch = merge("f", [live], obs, {"seeds/live.md", "seeds/new.md", "seeds/dup.md"}, NOW, {"live"}, recover)
    by_key = {i.doc.key: i for i in ch.new}
    assert (by_key["seeds/new.md"].id, by_key["seeds/new.md"].slug) == ("urn:kept", "kept-slug")
    assert by_key["seeds/new.md"].published == T0
    # an id the state already has (here a live entry, not claimed by this run) is never given to a second item
    assert by_key["seeds/dup.md"].id == mint_id("f", "seeds/dup.md", NOW)
    assert by_key["seeds/dup.md"].slug == "dup"
    assert sorted(calls) == [("seeds/dup.md", "dup"), ("seeds/new.md", "new")]


def test_a_document_with_an_explicit_id_is_not_looked_up_in_the_output():
    def recover(doc, base):
        return Published("urn:other", T0, T0, "other-slug")

    ch = merge("f", [], [Observed(_doc("seeds/e.md", "E", explicit_id="urn:mine"), T1)], {"seeds/e.md"}, NOW,
               set(), recover)
    [item] = ch.new
    assert (item.id, item.slug, item.published) == ("urn:mine", "e", T1)


def test_a_document_with_an_explicit_id_renamed_and_edited_in_one_run_is_updated_not_new():
    doc = _doc("seeds/renamed.md", "R", body="<p>edited</p>", explicit_id="my-id")
    item_id = mint_id("f", "ignored", NOW, "my-id")
    old = _entry(item_id, "seeds/orig.md", "orig", "v1:before")
    ch = merge("f", [old], [Observed(doc, T1)], {"seeds/renamed.md"}, NOW, {"orig"})
    assert [(i.id, i.slug, i.doc.key) for i in ch.updated] == [(item_id, "orig", "seeds/renamed.md")]
    assert (ch.new, ch.removed) == ([], [])


def test_a_stub_extracted_with_unchanged_bytes_is_filled_and_the_documents_after_it_still_merged():
    raw = "raw:abc"
    stub = _entry("urn:stub", "seeds/a.md", "a", raw)
    obs = [Observed(_doc("seeds/a.md", "A"), T1, raw=raw), Observed(_doc("seeds/b.md", "B"), T1)]
    ch = merge("f", [stub], obs, {"seeds/a.md", "seeds/b.md"}, NOW, {"a"})
    [filled] = ch.filled
    assert (filled.id, filled.published, filled.updated) == ("urn:stub", T0, T0)
    assert filled.content_hash == content_hash(obs[0].doc)
    assert ch.updated == [] and [i.doc.key for i in ch.new] == ["seeds/b.md"]


def test_changes_any_is_true_when_any_one_list_has_something():
    item = Item("urn:i", "i", _doc("k", "T"), T0, T0, "v1:x")
    assert Changes().any is False
    for name in ("new", "updated", "moved", "filled"):
        assert Changes(**{name: [item]}).any is True, name
    assert Changes(removed=[_entry("urn:r", "k", "r", "v1:x")]).any is True
    assert Changes(touched=[("urn:i", 1, 1)]).any is False   # a stat-only change writes no item


def test_slugs_in_use_are_the_stores_and_those_taken_during_the_merge():
    asked = []
    slugs = SlugsInUse(lambda s: asked.append(s) or s == "stored")
    assert "stored" in slugs and "free" not in slugs
    slugs.add("taken")
    assert "taken" in slugs and 3 not in slugs
    assert _unique("stored", slugs) == "stored-2" and "stored-2" in slugs
