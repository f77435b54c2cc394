"""A kill at *every* point where a build writes (each item page cut in half, each feed temp file cut in half,
each file removal, before and after each state commit) never publishes an id the state does not keep.

The regression test for the re-broadcast bug: the state used to be committed only after the feeds were
replaced, so a build killed in between published ids that the next run minted again under a later clock.
Here the killed build runs at clock K and the next one at K + 1 h: every id (and the feed id) a reader could
have fetched after the kill must still be there, with its item page whole, and each feed's folder must end up
byte-for-byte what an uninterrupted build at K (state committed before the kill) or at K + 1 h (killed
before it) makes -- so no half page, stale page of a removed item or temp file survives.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crashkit import (
    EPOCH_1,
    EPOCH_2,
    FEED_FILES,
    FEEDS,
    build_in_process,
    check_after_interruption,
    cli_env,
    copy_site,
    doc_name,
    doc_text,
    feed_files,
    make_seeds,
    output_files,
    parse_feed,
    set_doc,
    write_config,
)
from reliability import record

# Counts the steps of a build and SIGKILLs itself at step CRASH_AT; a file write is first cut in half, as a
# kill in the middle of it would leave it.
RUNNER = r"""
import os, signal, sys
import feeds.pipeline as pipeline
from feeds.cli import main
from feeds.store import Store

target, count = int(os.environ["CRASH_AT"]), 0

def step(torn=None):
    global count
    count += 1
    if count == target:
        if torn is not None:
            torn()
        os.kill(os.getpid(), signal.SIGKILL)

real_write, real_remove, real_commit = pipeline.write_if_changed, pipeline.remove, Store.commit

def write_if_changed(path, data, **kw):
    def torn():
        path.parent.mkdir(parents=True, exist_ok=True)
        in_place = kw.get("new_in_place") and not path.exists()
        (path if in_place else path.parent / f".{path.name}.killed.tmp").write_bytes(data[: len(data) // 2])
    step(torn)
    return real_write(path, data, **kw)

def remove(path):
    step()
    return real_remove(path)

def commit(self):
    step()
    real_commit(self)
    step()

pipeline.write_if_changed, pipeline.remove, Store.commit = write_if_changed, remove, commit
status = main(sys.argv[1:])
print(f"steps={count}", file=sys.stderr)
sys.exit(status)
"""
LATER = 3600


def _evolve(seeds: Path) -> None:
    later = datetime(2026, 2, 1, tzinfo=UTC)
    for feed in FEEDS:
        folder = seeds / feed
        set_doc(folder / doc_name(5), doc_text(feed, 5, 2), later)                  # edited, in the window
        (folder / doc_name(4)).unlink()                                             # removed: its page goes
        for i in (6, 7):                                                            # new
            set_doc(folder / doc_name(i), doc_text(feed, i), later + timedelta(minutes=i))


def _ids(files: dict[str, bytes]) -> dict[str, set[str]]:
    """Feed file -> the ids it shows, plus the Atom feed id."""
    out = {}
    for name, data in files.items():
        ids = set(parse_feed(name, data))
        if name.endswith("atom.xml"):
            from lxml import etree

            ids.add("feed:" + etree.fromstring(data).findtext("{http://www.w3.org/2005/Atom}id"))
        out[name] = ids
    return out


def _folder(files: dict[str, bytes], feed: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.startswith(f"{feed}/")}


@pytest.mark.parametrize("scenario", ["cold", "incremental"])
def test_a_kill_at_any_write_never_publishes_an_id_the_state_does_not_keep(tmp_path, scenario):
    seeds = make_seeds(tmp_path / "seeds", 6)
    start = tmp_path / "start"
    start.mkdir()
    write_config(start, seeds, max_items=4)
    epoch = EPOCH_1
    if scenario == "incremental":
        build_in_process(start, EPOCH_1)
        _evolve(seeds)
        epoch = EPOCH_2
    refs = {}
    for clock in (epoch, epoch + LATER):
        ref = copy_site(start, tmp_path / f"ref-{clock}")
        build_in_process(ref, clock)
        refs[clock] = output_files(ref)
    new = {k: v for k, v in refs[epoch].items() if k.rsplit("/", 1)[-1] in FEED_FILES}
    old = feed_files(start)
    step, done, killed = 0, False, 0
    while not done:
        step += 1
        assert step < 200
        site = copy_site(start, tmp_path / "work")
        result = subprocess.run([sys.executable, "-c", RUNNER, "build", "-q", "--config", str(site / "seedfeed.toml")],
                                cwd=site, env={**cli_env(epoch), "CRASH_AT": str(step)}, capture_output=True,
                                text=True, timeout=60, check=False)
        if result.returncode == 0:
            done = True
        else:
            assert result.returncode == -9, result.stderr
            killed += 1
        published = feed_files(site)
        problems = check_after_interruption(site, old, new)
        assert not problems, f"killed at step {step}: {problems}"
        build_in_process(site, epoch + LATER)
        after = output_files(site)
        shown_after = _ids(feed_files(site))
        for name, ids in _ids({k: v for k, v in published.items() if v != old.get(k)}).items():  # newly published
            assert ids <= shown_after[name], f"killed at step {step}: {name} lost ids a reader may have seen"
        for feed in FEEDS:
            mine = _folder(after, feed)
            assert mine in (_folder(refs[epoch], feed), _folder(refs[epoch + LATER], feed)), (
                f"killed at step {step}: {feed}/ is not what an uninterrupted build makes "
                f"(extra: {sorted(set(mine) - set(_folder(refs[epoch], feed)))})")
    assert killed >= 15
    record("crash safety", f"SIGKILL at each of the {killed} write/commit points of a {scenario} build",
           note="pages and temp files cut in half before the kill; next run at a later clock")
