"""Two writers at once never corrupt anything or lose an item, and the one that loses says why.

Two ``seedfeed build`` subprocesses are started at the same moment, 20 rounds with ``--wait 0`` (the loser
must exit 4 naming the lock and saying another run holds it) and 8 with the default wait (both succeed in
turn); then ``build`` is started while ``seedfeed daemon`` is publishing a change. Every round edits and adds
documents first. Afterwards: feeds parse, each shows exactly the documents of its folder, the state passes
its integrity check, and one more build changes nothing (the winner published everything).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crashkit import (
    EPOCH_1,
    FEEDS,
    build,
    build_in_process,
    check_state,
    cli_argv,
    cli_env,
    doc_name,
    doc_text,
    feed_files,
    kill,
    live_counts,
    make_seeds,
    output_files,
    parse_feed,
    reap,
    set_doc,
    start,
    write_config,
)
from reliability import record

PER_FEED = 150
LOCKED = "another seedfeed run is in progress"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    make_seeds(tmp_path / "seeds", PER_FEED)
    write_config(tmp_path, tmp_path / "seeds", max_items=1000)   # every item in the feed: count them
    assert build(tmp_path, EPOCH_1).returncode == 0
    return tmp_path


def _change(site: Path, round_: int) -> None:
    """Edit a third of each feed's documents and add one."""
    when = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(hours=round_)
    for feed in FEEDS:
        folder = site / "seeds" / feed
        for i in range(round_ % 3, PER_FEED, 3):
            set_doc(folder / doc_name(i), doc_text(feed, i, round_ + 2), when + timedelta(seconds=i))
        set_doc(folder / doc_name(PER_FEED + round_), doc_text(feed, PER_FEED + round_), when)


def _check(site: Path) -> int:
    """Feeds whole and complete (one entry per document), state intact; returns the items missing."""
    missing = 0
    for feed in FEEDS:
        docs = sum(1 for _ in (site / "seeds" / feed).iterdir())
        for name, data in feed_files(site).items():
            if name.startswith(f"{feed}/"):
                missing += docs - len(parse_feed(name, data))
        assert live_counts(site)[feed] == docs
    check_state(site)
    before = output_files(site)
    build_in_process(site, EPOCH_1)
    assert output_files(site) == before, "a build after both finished still had something to publish"
    return missing


def _race(site: Path, round_: int, *args: str) -> list[tuple[int, str]]:
    procs = [start(cli_argv(site, "build", "-q", *args), site, cli_env(EPOCH_1), site / f"build-{round_}-{n}.log")
             for n in range(2)]
    return [(reap(p)[0], (site / f"build-{round_}-{n}.log").read_text()) for n, p in enumerate(procs)]


def test_two_builds_at_once_with_no_wait_one_loses_and_says_why(site):
    lost = losers = 0
    worst = 0.0
    for round_ in range(20):
        _change(site, round_)
        started = time.monotonic()
        results = _race(site, round_, "--wait", "0")
        worst = max(worst, time.monotonic() - started)
        assert all(status in (0, 4) for status, _ in results), results
        assert any(status == 0 for status, _ in results), results
        for status, stderr in results:
            if status == 4:
                losers += 1
                assert LOCKED in stderr and str(site / ".seedfeed" / "state.sqlite.lock") in stderr, stderr
                assert "hint:" in stderr and "Traceback" not in stderr
        lost += _check(site)
    assert lost == 0
    assert losers >= 5, f"only {losers} of 20 rounds overlapped: the race was not exercised"
    record("concurrent writers", "two builds at once, --wait 0 (20 rounds)", items_lost=lost, seconds=round(worst, 2),
           note=f"{losers} losers exited 4 naming the lock")


def test_two_builds_at_once_with_the_default_wait_both_succeed(site):
    lost = 0
    for round_ in range(8):
        _change(site, round_)
        results = _race(site, round_)
        assert [status for status, _ in results] == [0, 0], results
        lost += _check(site)
    assert lost == 0
    record("concurrent writers", "two builds at once, default wait (8 rounds)", items_lost=lost,
           note="both succeed in turn")


def test_a_build_during_a_daemon_run(site):
    daemon = start(cli_argv(site, "daemon"), site, cli_env(EPOCH_1), site / "daemon.log")
    lost = waited = 0
    try:
        deadline = time.monotonic() + 60
        while "daemon running" not in (site / "daemon.log").read_text():
            assert daemon.poll() is None and time.monotonic() < deadline, (site / "daemon.log").read_text()
            time.sleep(0.05)
        for round_ in range(6):
            _change(site, round_)
            time.sleep(0.2 + 0.05 * round_)   # the daemon's run has started (debounce 0.15 s)
            waiting = start(cli_argv(site, "build", "-q"), site, cli_env(EPOCH_1), site / f"wait-{round_}.log")
            result = build(site, EPOCH_1, "--wait", "0")
            assert result.returncode in (0, 4), result.stderr
            if result.returncode == 4:
                waited += 1
                assert LOCKED in result.stderr, result.stderr
            assert reap(waiting)[0] == 0, (site / f"wait-{round_}.log").read_text()
            lost += _check(site)
    finally:
        kill(daemon)
        reap(daemon)
    assert lost == 0
    record("concurrent writers", "build during a daemon run (6 rounds)", items_lost=lost,
           note=f"builds waited for the daemon's lock; {waited} --wait 0 builds exited 4")
