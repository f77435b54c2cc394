"""Runs driven by file events look at the named paths only; a full walk catches the rest."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once
from seedfeed.scheduler.watch import SeedWatcher, relevant

from tests.conftest import FIXED_NOW, write

T0 = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


def titles(site: Path) -> set[str]:
    return {e.title for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries}


def test_an_event_run_reads_the_named_paths_and_a_full_walk_the_rest(site):
    config = load(None, Overrides(), site)
    write(site / "seeds" / "old.txt", "Old\n\nbody", mtime=T0)
    write(site / "seeds" / "gone.txt", "Gone\n\nbody", mtime=T0)
    run_once(config, FIXED_NOW)
    dropped = write(site / "seeds" / "sub" / "dropped.txt", "Dropped\n\nbody", mtime=T0 + timedelta(hours=1))
    write(site / "seeds" / "unnamed.txt", "Unnamed\n\nbody", mtime=T0 + timedelta(hours=2))
    (site / "seeds" / "gone.txt").unlink()
    report = run_once(config, FIXED_NOW + timedelta(minutes=1),
                      changed={str(dropped), str(site / "seeds" / "gone.txt"), str(site / "seeds" / ".x.swp")})
    assert titles(site) == {"Old", "Dropped"}            # the file no event named is not seen yet
    assert report.feeds[0].new == 1 and report.feeds[0].removed == 1
    run_once(config, FIXED_NOW + timedelta(minutes=2))   # the safety net: a full walk
    assert titles(site) == {"Old", "Dropped", "Unnamed"}


def test_the_watcher_names_changed_files_and_asks_for_a_full_walk_on_folder_events(tmp_path):
    calls: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append)
    watcher._event(str(tmp_path / "a.md"), None, False, "modified")
    watcher._event(str(tmp_path / "b.tmp"), str(tmp_path / "b.md"), False, "moved")
    watcher._event(str(tmp_path / "c.swp"), None, False, "modified")   # ignored name: no run
    watcher._event(str(tmp_path), None, True, "modified")              # a folder's mtime: its files say more
    watcher._thread.start()
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while not calls and datetime.now(UTC) < deadline:
        watcher._stop.wait(0.05)
    assert calls[0] == {str(tmp_path / "a.md"), str(tmp_path / "b.tmp"), str(tmp_path / "b.md")}
    watcher._event(str(tmp_path / "new-folder"), None, True, "created")
    while len(calls) < 2 and datetime.now(UTC) < deadline:
        watcher._stop.wait(0.05)
    watcher.stop()
    assert calls[1] is None


def test_with_no_events_the_watcher_still_asks_for_a_full_walk_every_full_every_seconds(tmp_path):
    """The safety net the README promises ("a full walk every 10 minutes"), here every 0.2 s: with no event at
    all the watcher calls back with ``None`` (walk everything), again and again; one whose period has not
    passed (an hour) does not."""
    calls: list[set[str] | None] = []
    hourly: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append, full_every=0.2)
    idle = SeedWatcher([tmp_path], hourly.append, full_every=3600)
    idle._thread.start()
    watcher._thread.start()
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while len(calls) < 2 and datetime.now(UTC) < deadline:
        watcher._stop.wait(0.05)
    watcher.stop()
    idle.stop()
    assert calls[:2] == [None, None]
    assert hourly == []     # it has waited 0.5 s for events at least twice, and its hour has not passed


def test_documents_and_the_files_they_link_to_count_and_editor_and_hidden_files_do_not():
    assert relevant("/s/post.md", False) and relevant("/s/Post.HTML", False)
    assert relevant("/s/photo.png", False)          # may be linked from a document: published under files/
    assert relevant("/s/sub", True)
    for name in (".post.md.swp", "post.md~", ".#post.md", "#post.md#", "post.md.part", "Thumbs.db"):
        assert not relevant(f"/s/{name}", False), name
    assert not relevant("/s/.git", True)


def wait_for(calls: list, count: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_full_walk_restarts_the_timer(tmp_path):
    """The timed full walk comes once per period: after one, the next is a period away (an hour here), so the
    1.2 s after it (at least two idle rounds of the watcher) bring no other."""
    calls: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append, full_every=3600)
    watcher._last_full -= 3600            # the hour has passed: a full walk is due
    watcher._thread.start()
    try:
        wait_for(calls, 1)
        time.sleep(1.2)
    finally:
        watcher.stop()
    assert calls == [None]
    assert not watcher._thread.is_alive()     # stop() returns once the watcher's thread has ended


def test_file_events_in_subfolders_are_seen_and_a_closed_file_no_longer_holds_the_run_back(tmp_path):
    """The real observer (inotify here) watches the seed folder recursively: a file written in a subfolder
    that existed before the watcher started is named in a call. A file reported closed after writing is done:
    the run waits the short settle time for it, not the debounce for files still being written."""
    from watchdog.observers.polling import PollingObserver

    (tmp_path / "sub").mkdir()
    calls: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append)
    watcher.start()
    try:
        assert not isinstance(watcher._observer, PollingObserver)    # file events unless asked to poll
        (tmp_path / "sub" / "deep.md").write_text("# Deep\n\nbody")
        wait_for(calls, 1)
        (tmp_path / "sub" / "draft.txt.part").write_text("# Saved\n\nbody")   # an editor's atomic save:
        os.rename(tmp_path / "sub" / "draft.txt.part", tmp_path / "sub" / "saved.md")   # the new name counts
        deadline = time.monotonic() + 10
        while not any(c and str(tmp_path / "sub" / "saved.md") in c for c in calls) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watcher.stop()
    assert calls and str(tmp_path / "sub" / "deep.md") in calls[0], calls
    assert any(c and str(tmp_path / "sub" / "saved.md") in c for c in calls), calls
    idle = SeedWatcher([tmp_path], calls.append)
    idle._event(str(tmp_path / "b.md"), None, False, "created")
    assert idle._writing == {str(tmp_path / "b.md")}
    idle._event(str(tmp_path / "b.md"), None, False, "closed")
    assert idle._writing == set() and idle._paths == {str(tmp_path / "b.md")}


def test_a_run_that_raises_does_not_stop_the_watcher(tmp_path):
    calls: list[set[str] | None] = []

    def on_change(paths: set[str] | None) -> None:
        calls.append(paths)
        if len(calls) == 1:
            raise RuntimeError("this run failed")

    watcher = SeedWatcher([tmp_path], on_change)
    watcher._thread.start()
    try:
        watcher._event(str(tmp_path / "a.md"), None, False, "closed")
        wait_for(calls, 1)
        watcher._event(str(tmp_path / "b.md"), None, False, "closed")
        wait_for(calls, 2)
    finally:
        watcher.stop()
    assert calls == [{str(tmp_path / "a.md")}, {str(tmp_path / "b.md")}]


def test_poll_uses_a_polling_observer_and_otherwise_file_events(tmp_path):
    """``seedfeed daemon --poll`` is for filesystems that give no events (network mounts); it too looks into
    subfolders."""
    from watchdog.observers.polling import PollingObserver

    (tmp_path / "sub").mkdir()
    for poll in (True, False):
        calls: list[set[str] | None] = []
        watcher = SeedWatcher([tmp_path], calls.append, poll=poll)
        watcher.start()
        try:
            assert isinstance(watcher._observer, PollingObserver) is poll, type(watcher._observer)
            if poll:
                time.sleep(0.1)   # the first poll's snapshot is taken before the file is written
                (tmp_path / "sub" / "polled.md").write_text("# Polled\n\nbody")
                wait_for(calls, 1)
        finally:
            watcher.stop()
        if poll:
            assert calls and str(tmp_path / "sub" / "polled.md") in calls[0], calls


def test_a_file_changed_without_pause_still_gets_runs_while_it_changes(tmp_path):
    """A file written again and again (a log, a sync client) must not hold runs back for ever: a run starts at
    most MAX_DELAY (0.6 s) after the first event even if no quiet moment comes, and no sooner, so the events
    are batched. Two seconds of events every 20 ms (about 100) bring two to four runs while they last (runs are
    at least 0.6 s apart; the bound of 10 leaves room for a loaded machine pausing the writer past the 0.15 s
    debounce now and then, and is still far below a run per event)."""
    calls: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append)
    watcher._thread.start()
    try:
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            watcher._event(str(tmp_path / "busy.md"), None, False, "modified")
            time.sleep(0.02)
        during = len(calls)
    finally:
        watcher.stop()
    assert 2 <= during <= 10, calls


def test_when_inotify_cannot_be_had_the_watcher_says_so_and_polls(tmp_path, monkeypatch, caplog):
    """The watcher falls back to polling where the filesystem gives no events (scheduler/watch.py; docs/testing.md,
    the idle-loop notes): here the inotify watch limit is reached. Exhausting the machine's watches is not safe, so
    watchdog's own binding of ``inotify_add_watch(2)`` fails as the kernel does (-1, errno ENOSPC) and watchdog
    raises its own error; the watcher logs it, polls instead, and a new seed file is still picked up."""
    import ctypes
    import errno
    import logging

    from watchdog.observers import inotify_c
    from watchdog.observers.polling import PollingObserver

    tried: list[bytes] = []

    def watch_limit_reached(fd: int, path: bytes, mask: int) -> int:
        tried.append(path)
        ctypes.set_errno(errno.ENOSPC)
        return -1

    monkeypatch.setattr(inotify_c, "inotify_add_watch", watch_limit_reached)
    calls: list[set[str] | None] = []
    watcher = SeedWatcher([tmp_path], calls.append)
    with caplog.at_level(logging.WARNING):
        watcher.start()
    try:
        assert tried == [os.fsencode(tmp_path)]   # file events were tried first, and the kernel said no
        assert isinstance(watcher._observer, PollingObserver), type(watcher._observer)
        time.sleep(0.1)   # the first poll's snapshot is taken before the file is written
        (tmp_path / "new.md").write_text("# New\n\nbody")
        wait_for(calls, 1)
    finally:
        watcher.stop()
    assert calls and str(tmp_path / "new.md") in calls[0], calls
    assert ("file events unavailable ([Errno 28] inotify watch limit reached); polling seed folders every second"
            " instead") in caplog.text
