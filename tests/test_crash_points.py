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

import os
import resource
import signal
import traceback
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


def _killed_build(site: Path, epoch: int, target: int) -> int:
    """``seedfeed build`` in a forked child that dies at step ``target``: inside each real file write, each
    removal, and before and after each state commit. Returns the child's exit status (-9 or -SIGXFSZ: killed).
    Forked, not a new interpreter: 50 steps cost 50 forks.

    A write step does not stand in for the code under test: it lowers the file size limit (RLIMIT_FSIZE) to
    half the bytes about to be written and calls the real ``write_if_changed``, so the kernel kills the child
    (SIGXFSZ) in the middle of whatever write that function really does -- a temp file if it writes one, the
    feed itself if it wrote in place."""
    pid = os.fork()
    if pid:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    try:
        import seedfeed.pipeline.write as pipeline  # where a feed's files are written
        import seedfeed.site as site_files
        from seedfeed.state.store import Store

        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)        # Python ignores it (a write would fail with EFBIG)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))     # and by default it dumps core
        count = 0

        def step() -> bool:
            nonlocal count
            count += 1
            return count == target

        real_write, real_remove, real_commit = pipeline.write_if_changed, pipeline.remove, Store.commit

        def write_if_changed(path: Path, data: bytes, **kw: bool) -> bool:
            if not step():
                return real_write(path, data, **kw)
            limit = max(1, len(data) // 2)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
            real_write(path, data, **kw)     # dies inside, unless nothing needed writing
            os.kill(os.getpid(), signal.SIGKILL)
            return True

        def remove(path: Path) -> bool:
            if step():
                os.kill(os.getpid(), signal.SIGKILL)
            return real_remove(path)

        def commit(self: Store) -> None:
            if step():
                os.kill(os.getpid(), signal.SIGKILL)
            real_commit(self)
            if step():
                os.kill(os.getpid(), signal.SIGKILL)

        pipeline.write_if_changed, pipeline.remove, Store.commit = write_if_changed, remove, commit
        site_files.write_if_changed = write_if_changed   # the overview and OPML, written after every feed
        build_in_process(site, epoch)
        os._exit(0)
    except BaseException:  # noqa: BLE001 - a child must never return into pytest
        traceback.print_exc()
        os._exit(1)


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
    """One feed's files; ``feed=""``: the site files at the top of output/ (overview, OPML)."""
    if not feed:
        return {k: v for k, v in files.items() if "/" not in k}
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
        status = _killed_build(site, epoch, step)
        if status == 0:
            done = True
        else:
            assert status in (-signal.SIGKILL, -signal.SIGXFSZ), f"the build failed at step {step}"
            killed += 1
        published = feed_files(site)
        problems = check_after_interruption(site, old, new)
        assert not problems, f"killed at step {step}: {problems}"
        build_in_process(site, epoch + LATER)
        after = output_files(site)
        shown_after = _ids(feed_files(site))
        for name, ids in _ids({k: v for k, v in published.items() if v != old.get(k)}).items():  # newly published
            assert ids <= shown_after[name], f"killed at step {step}: {name} lost ids a reader may have seen"
        for feed in (*FEEDS, ""):
            mine = _folder(after, feed)
            assert mine in (_folder(refs[epoch], feed), _folder(refs[epoch + LATER], feed)), (
                f"killed at step {step}: {feed}/ is not what an uninterrupted build makes "
                f"(extra: {sorted(set(mine) - set(_folder(refs[epoch], feed)))})")
    assert killed >= 15
    kind = "a cold" if scenario == "cold" else "an incremental"
    record("crash safety", f"SIGKILL at each of the {killed} write/commit points of {kind} build",
           note="writes killed half-way by the kernel (RLIMIT_FSIZE); next run at a later clock")
