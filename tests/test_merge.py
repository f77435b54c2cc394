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
