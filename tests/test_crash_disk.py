"""A full disk or a read-only folder, for output or for state, is a clear error that loses nothing.

Output and state live on small tmpfs mounts made by the test (skipped, with the reason, where mounting is not
allowed). An incremental build with the disk filled to several levels, or remounted read-only, must exit 3
naming the path and saying what to do, leave every previously published file byte-identical (and every feed
file either its previous or new version, whole) and the state passing its integrity check; once space is
freed or the folder is writable again, the next build equals an uninterrupted build from the same start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from crashkit import (
    EPOCH_1,
    EPOCH_2,
    build,
    check_after_interruption,
    check_state,
    copy_site,
    evolve_seeds,
    feed_files,
    live_counts,
    make_seeds,
    output_files,
    write_config,
)
from reliability import record

PER_FEED = 150


def _skip(reason: str) -> None:
    if os.environ.get("CI"):
        print(f"SKIPPED on CI: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture
def mount(tmp_path: Path) -> Iterator:
    """``mount(folder, size)`` puts a fresh tmpfs of ``size`` at ``folder``; all are unmounted afterwards."""
    mounted: list[Path] = []

    def do(folder: Path, size: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                                capture_output=True, text=True, check=False)
        if result.returncode:
            _skip(f"cannot mount a tmpfs to fill up or make read-only (needs root or CAP_SYS_ADMIN): "
                  f"{result.stderr.strip() or result.returncode}")
        mounted.append(folder)
        return folder

    yield do
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True, capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill the filesystem of ``folder`` so that only about ``leave`` bytes stay free."""
    filler = folder / "filler.bin"
    st = os.statvfs(folder)
    size = max(0, st.f_bavail * st.f_frsize - leave)
    with open(filler, "wb") as handle:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            try:
                size -= handle.write(chunk[:min(size, len(chunk))])
            except OSError:
                break
    return filler


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A site built from seeds v1 (the previous version), set to build seeds v2 next, and its reference."""
    base = tmp_path_factory.mktemp("disk")
    seeds1 = make_seeds(base / "seeds1", PER_FEED)
    seeds2 = evolve_seeds(seeds1, base / "seeds2", PER_FEED)
    start = base / "start"
    start.mkdir()
    write_config(start, seeds1)
    assert build(start, EPOCH_1).returncode == 0
    write_config(start, seeds2)
    ref = copy_site(start, base / "ref")
    assert build(ref, EPOCH_2).returncode == 0
    return {"start": start, "ref": ref}


def _place(start: Path, site: Path, part: str, mount) -> Path:  # noqa: ANN001
    """Copy ``start`` to ``site`` with ``part`` ("output" or ".seedfeed") on a fresh 4 MB tmpfs."""
    copy_site(start, site)
    shutil.rmtree(site / part)
    mount(site / part, "4m")
    shutil.copytree(start / part, site / part, dirs_exist_ok=True)
    return site / part


def _state_old_or_new(site: Path, start: Path, ref: Path) -> None:
    """The state is intact, and each feed's is the previous run's or this one's (committed before its files)."""
    check_state(site)
    for feed, n in live_counts(site).items():
        assert n in (live_counts(start)[feed], live_counts(ref)[feed])


@pytest.mark.parametrize("part", ["output", ".seedfeed"])
def test_full_disk_is_a_clear_error_and_loses_nothing(sites, tmp_path, mount, part):
    start, ref = sites["start"], sites["ref"]
    reference, count = output_files(ref), check_state(ref)
    worst, outcomes = 0.0, []
    for leave in (0, 4096, 16384, 65536, 262144):
        site = tmp_path / f"site-{leave}"
        folder = _place(start, site, part, mount)
        old = output_files(site)
        filler = fill(folder, leave)
        started = time.monotonic()
        result = build(site, EPOCH_2)
        worst = max(worst, time.monotonic() - started)
        if result.returncode == 0:
            outcomes.append(f"{leave // 1024} KB free: fit")
        else:
            # The state folder also holds the kept previous feed versions (for `seedfeed check`), so a full
            # state disk shows up either as SQLite's message or as the OS's.
            words = (("No space left on device",) if part == "output"
                     else ("database or disk is full", "No space left on device"))
            assert "free space" in result.stderr, result.stderr
            assert str(site / part) in result.stderr, result.stderr
            after = output_files(site)
            for name, data in old.items():  # every published file is still there: as it was, or its new version
                assert after.get(name) in (data, reference.get(name)), name
            problems = check_after_interruption(site, feed_files(start), feed_files(ref))
            assert not problems, problems
            _state_old_or_new(site, start, ref)
            assert result.returncode == 3 and any(w in result.stderr for w in words), result.stderr
            assert "Traceback" not in result.stderr
            outcomes.append(f"{leave // 1024} KB free: exit 3")
        filler.unlink()
        again = build(site, EPOCH_2)
        assert again.returncode == 0, again.stderr
        assert output_files(site) == reference, f"{leave} bytes free: the build after freeing space differs"
        assert check_state(site) == count
    assert any("exit 3" in o for o in outcomes), outcomes
    record("full disk", f"{part}/ on a full tmpfs (5 fill levels)", seconds=round(worst, 2),
           note="; ".join(outcomes))


@pytest.mark.parametrize("part", ["output", ".seedfeed"])
def test_read_only_folder_is_a_clear_error_and_loses_nothing(sites, tmp_path, mount, part):
    start, ref = sites["start"], sites["ref"]
    site = tmp_path / "site"
    folder = _place(start, site, part, mount)
    old = output_files(site)
    remount(folder, "ro")
    result = build(site, EPOCH_2)
    assert result.returncode == 3, result.stderr
    assert "Read-only file system" in result.stderr and str(folder) in result.stderr, result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert output_files(site) == old
    _state_old_or_new(site, start, ref)
    remount(folder, "rw")
    again = build(site, EPOCH_2)
    assert again.returncode == 0, again.stderr
    assert output_files(site) == output_files(ref)
    record("read-only", f"{part}/ on a read-only mount", note="exit 3 naming the folder; nothing changed; "
                                                               "the build after remounting equals the reference")
