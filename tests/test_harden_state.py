"""Losing the state does not re-broadcast anything (issue #11, item 4).

``rm -rf .seedfeed && seedfeed build`` used to mint a new id for every item, and every reader showed every item
twice. The published output is the backup: item pages carry their ids, the feeds list the newest. Each case
builds through the real CLI, loses (or rolls back) the state, builds again, and compares ids and ``published``
dates in all three formats.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from conftest import run_cli, write
from reliability import record

T0 = datetime(2025, 1, 1, 8, tzinfo=UTC)


def seeds(site: Path, n: int, start: int = 0) -> None:
    """``n`` documents of every kind, the first one with its own link (no item page)."""
    for i in range(start, start + n):
        when = T0 + timedelta(days=i)
        kind = ("txt", "md", "html")[i % 3]
        if i == 0:
            text = "---\ntitle: Has its own address\nlink: https://example.org/own\n---\nBody.\n"
            kind = "md"
        elif kind == "txt":
            text = f"Text post {i}\n\nBody of post {i}.\n"
        elif kind == "md":
            text = f"---\ntitle: Markdown post {i}\n---\nBody of post {i}.\n"
        else:
            text = (f"<html><head><title>HTML post {i}</title></head><body><article><h1>HTML post {i}</h1>"
                    f"<p>Body of post {i}, long enough to be the main content of a page.</p></article></body></html>")
        write(site / "seeds" / f"post-{i:02d}.{kind}", text, mtime=when)


def published(output: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Per format: link -> (id, published) as feedparser (and json) read them."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((output / name).read_bytes())
        out[name] = {e.link: (e.id, e.get("published", "")) for e in parsed.entries}
    items = json.loads((output / "feed.json").read_bytes())["items"]
    out["feed.json"] = {i["url"]: (i["id"], i["date_published"]) for i in items}
    return out


def kept(before: dict[str, dict[str, tuple[str, str]]], after: dict[str, dict[str, tuple[str, str]]]) -> tuple[int, int]:
    """(items whose id and published date survived, items compared), over all three formats."""
    total = sum(len(items) for items in before.values())
    same = sum(1 for name, items in before.items() for link, value in items.items() if after[name].get(link) == value)
    return same, total


def build(site: Path, *args: str) -> str:
    result = run_cli("build", *args, cwd=site)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_rm_state_and_rebuild_keeps_every_id_and_date(site: Path):
    seeds(site, 22)
    build(site)
    before = published(site / "output")
    atom_id = feedparser.parse((site / "output" / "atom.xml").read_bytes()).feed.id
    shutil.rmtree(site / ".seedfeed")
    stderr = build(site)
    after = published(site / "output")
    same, total = kept(before, after)
    check = run_cli("check", cwd=site)
    print(f"state-loss recovery: {same} of {total} published ids and dates kept after rm -rf .seedfeed")
    record("state-loss recovery", "rm -rf .seedfeed, rebuild: 22 items (txt, md, html, one with its own link)",
           items_lost=total - same, invalid_outputs=int(check.returncode != 0))
    assert same == total == 66, (same, total)
    assert feedparser.parse((site / "output" / "atom.xml").read_bytes()).feed.id == atom_id
    assert check.returncode == 0 and "RE-BROADCAST" not in check.stdout, check.stdout
    assert "the state did not know 22 published items" in stderr


def test_items_that_scrolled_out_of_the_feed_are_recovered_from_their_pages(site: Path):
    # Without archives, so that items scroll out of every published feed document and back in (with archives on,
    # scrolled-out items stay in their archive page and never return to the subscription documents).
    write(site / "seedfeed.toml", "archives = false\n")
    seeds(site, 8)
    build(site, "--max-items", "8")            # every item is shown once, so every item gets its page
    before = published(site / "output")
    build(site, "--max-items", "3")            # five scroll out of the feeds; their pages stay
    shutil.rmtree(site / ".seedfeed")
    build(site, "--max-items", "3")
    build(site, "--max-items", "8")            # back in the window: same ids as before, nothing new for readers
    same, total = kept(before, published(site / "output"))
    record("state-loss recovery", "items that scrolled out of the feed, recovered from their item pages",
           items_lost=total - same, note=f"{same} of {total} ids kept; the item with its own link has no item page, "
           "so once out of the feeds its id is minted again (a documented limit)")
    # The one with its own link has no item page: once out of the feeds, nothing published remembers its id
    # (the README says so). Every other item keeps its id and date in all three formats.
    assert same == total - 3 and total == 24, (same, total)


def test_a_state_restored_from_an_old_backup_keeps_the_newer_ids(site: Path):
    seeds(site, 3)
    build(site)
    backup = (site / ".seedfeed" / "state.sqlite").read_bytes()
    seeds(site, 3, start=3)                    # published after the backup was taken
    build(site)
    before = published(site / "output")
    for extra in (site / ".seedfeed").glob("state.sqlite-*"):
        extra.unlink()
    (site / ".seedfeed" / "state.sqlite").write_bytes(backup)
    write(site / "seeds" / "post-01.txt", "Text post 1\n\nEdited after the restore.\n", mtime=T0 + timedelta(days=30))
    build(site)
    after = published(site / "output")
    same, total = kept(before, after)
    # post-01 was edited: same id, and published is unchanged too
    record("state-loss recovery", "state restored from an older backup", items_lost=total - same)
    assert same == total == 18, (same, total)
