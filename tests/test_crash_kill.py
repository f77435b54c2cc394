"""SIGKILL at random moments never costs a feed, an id or the state.

On 2,000 generated documents in two feeds, ``seedfeed build`` (a real subprocess, clock pinned with
``SOURCE_DATE_EPOCH``) is killed after a random delay drawn from 0..1.1x a measured uninterrupted run, 25 times
each over a cold build (no previous files) and an incremental one (documents edited, added and deleted
since the previous build). After every kill: each feed file parses completely and is byte-for-byte the previous
or the new version, no temp file is visible, the state passes ``PRAGMA integrity_check``; then the next build
produces exactly (every output byte) what the uninterrupted build produced. The same holds for
``seedfeed daemon`` killed while it publishes batches dropped into its seed folders.
"""

from __future__ import annotations

import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from crashkit import (
    EPOCH_1,
    EPOCH_2,
    FEEDS,
    build,
    build_in_process,
    check_after_interruption,
    check_state,
    cli_argv,
    cli_env,
    copy_site,
    doc_name,
    doc_text,
    evolve_seeds,
    feed_files,
    kill,
    make_seeds,
    output_files,
    parse_feed,
    reap,
    set_doc,
    start,
    write_config,
)
from reliability import record

PER_FEED = 1000          # 2,000 documents
KILLS_PER_SCENARIO = 25  # x2 scenarios: 50 kills
DAEMON_KILLS = 12


def _items(site: Path) -> set[str]:
    return {i for name, data in feed_files(site).items() if name.endswith("atom.xml") for i in parse_feed(name, data)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Seed folders v1 and v2, the cold and incremental starting sites, and their uninterrupted references."""
    base = tmp_path_factory.mktemp("crash")
    seeds1 = make_seeds(base / "seeds1", PER_FEED)
    seeds2 = evolve_seeds(seeds1, base / "seeds2", PER_FEED)
    cold = base / "cold"
    cold.mkdir()
    write_config(cold, seeds1)
    cold_ref = copy_site(cold, base / "cold-ref")
    started = time.monotonic()
    assert build(cold_ref, EPOCH_1).returncode == 0
    cold_seconds = time.monotonic() - started
    inc = copy_site(cold_ref, base / "inc")
    write_config(inc, seeds2)
    inc_ref = copy_site(inc, base / "inc-ref")
    started = time.monotonic()
    result = build(inc_ref, EPOCH_2)
    assert result.returncode == 0, result.stderr
    inc_seconds = time.monotonic() - started
    assert output_files(inc_ref) != output_files(cold_ref)
    return {"base": base, "seeds1": seeds1, "cold": (cold, cold_ref, EPOCH_1, cold_seconds),
            "incremental": (inc, inc_ref, EPOCH_2, inc_seconds)}


@pytest.mark.parametrize("scenario", ["cold", "incremental"])
def test_sigkill_during_build_never_leaves_a_partial_feed_and_the_next_build_matches(corpus, scenario):
    template, ref, epoch, seconds = corpus[scenario]
    reference, reference_feeds = output_files(ref), feed_files(ref)
    reference_items = check_state(ref)
    old_feeds = feed_files(template)
    rng = random.Random(f"{scenario}-5")
    work = corpus["base"] / f"work-{scenario}"
    kills = finished = problems = lost = 0
    worst = seconds
    attempts = 0
    while kills < KILLS_PER_SCENARIO:
        attempts += 1
        assert attempts < KILLS_PER_SCENARIO * 2, "too many runs finished before the kill"
        site = copy_site(template, work)
        proc = start(cli_argv(site, "build", "-q"), site, cli_env(epoch), site / "build.log")
        time.sleep(rng.uniform(0, 1.1 * seconds))
        kill(proc)
        status, _ = reap(proc)
        if status == 0:
            finished += 1
        else:
            assert status == -9, (site / "build.log").read_text()
            kills += 1
        found = check_after_interruption(site, old_feeds, reference_feeds)
        assert not found, f"after a kill at attempt {attempts}: {found}"
        started = time.monotonic()
        build_in_process(site, epoch)
        worst = max(worst, time.monotonic() - started)
        after = output_files(site)
        lost += len(_items(ref) - _items(site))
        problems += sum(1 for name in reference if after.get(name) != reference[name]) + len(set(after) - set(reference))
        assert after == reference, f"attempt {attempts}: the build after the kill differs from an uninterrupted one"
        assert check_state(site) == reference_items
    shutil.rmtree(work)
    kind = "a cold" if scenario == "cold" else "an incremental"
    record("crash safety", f"SIGKILL during {kind} build of 2,000 documents", items_lost=lost,
           invalid_outputs=problems, seconds=round(worst, 2),
           note=f"{kills} kills, {finished} runs finished first; each followed by a build equal to the reference")


def _drop_batch(seeds: list[Path], number: int) -> None:
    """Five new documents per feed, moved in with one rename per feed (so a run sees all or none of them)."""
    for folder in seeds:
        staging = folder / f".batch-{number}"
        staging.mkdir()
        for i in range(5):
            n = 10_000 + number * 10 + i
            set_doc(staging / doc_name(n), doc_text(folder.name, n), _batch_time(number, i))
        staging.rename(folder / f"batch-{number}")


def _batch_time(number: int, i: int):
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=number, minutes=i)


def _wait_for(log: Path, text: str, proc, timeout: float = 60) -> float:
    started = time.monotonic()
    while text not in log.read_text(errors="replace"):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() - started < timeout, f"{text!r} not logged:\n{log.read_text()}"
        time.sleep(0.02)
    return time.monotonic() - started


def test_sigkill_of_the_daemon_mid_run_never_leaves_a_partial_feed(corpus, tmp_path):
    cold_ref = corpus["cold"][1]
    site, ref = copy_site(cold_ref, tmp_path / "site"), copy_site(cold_ref, tmp_path / "ref")
    for target in (site, ref):
        shutil.copytree(corpus["seeds1"], target / "seeds")
        write_config(target, target / "seeds")
    seeds, ref_seeds = [site / "seeds" / f for f in FEEDS], [ref / "seeds" / f for f in FEEDS]
    env = cli_env(EPOCH_1)
    rng = random.Random(7)
    kills = 0
    latency = None
    for number in range(DAEMON_KILLS + 1):
        log = site / f"daemon-{number}.log"
        proc = start(cli_argv(site, "daemon"), site, env, log)
        try:
            _wait_for(log, "daemon running", proc)
            assert output_files(site) == output_files(ref), f"after restart {number}"
            old = feed_files(ref)
            _drop_batch(seeds, number)
            _drop_batch(ref_seeds, number)
            build_in_process(ref, EPOCH_1)     # the uninterrupted result of this batch
            if latency is None:  # the first batch measures how long publishing a batch takes
                latency = _wait_for(log, "(seed folders changed", proc)
                kill(proc, signal.SIGTERM)
                assert reap(proc)[0] == 0
                continue
            time.sleep(rng.uniform(0, 1.1 * latency))
            kill(proc)
        finally:
            if proc.returncode is None:
                kill(proc)
                status, _ = reap(proc)
                kills += status == -9
        found = check_after_interruption(site, old, feed_files(ref))
        assert not found, f"after killing the daemon at batch {number}: {found}"
    result = build(site, EPOCH_1)
    assert result.returncode == 0, result.stderr
    assert output_files(site) == output_files(ref)
    assert check_state(site) == check_state(ref) == 2 * (PER_FEED + 5 * (DAEMON_KILLS + 1))
    assert kills >= DAEMON_KILLS - 1
    record("crash safety", "SIGKILL of the daemon while it publishes dropped batches",
           note=f"{kills} kills at 0..1.1x the {latency:.2f} s a batch takes to publish; the build after them equals "
                "the reference")
