"""Golden output: each tests/data/golden/<case>/seeds is built with a fixed clock and compared byte for byte
with <case>/expected. A new case is just new files. Regenerate with SEEDFEED_REGEN=1 (and review the diff)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once

from tests.conftest import FIXED_NOW

CASES = sorted(p for p in (Path(__file__).parent / "data" / "golden").iterdir() if p.is_dir())
MTIME0 = datetime(2025, 1, 15, 6, 0, tzinfo=UTC)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path):
    shutil.copytree(case / "seeds", tmp_path / "seeds")
    for i, path in enumerate(sorted(p for p in (tmp_path / "seeds").rglob("*") if p.is_file())):
        stamp = (MTIME0 + timedelta(hours=i)).timestamp()
        os.utime(path, (stamp, stamp))
    config = load(None, Overrides(base_url="https://example.org/feeds/", title="Golden"), tmp_path)
    run_once(config, FIXED_NOW)
    got = _tree(tmp_path / "output")
    if os.environ.get("SEEDFEED_REGEN"):
        shutil.rmtree(case / "expected", ignore_errors=True)
        shutil.copytree(tmp_path / "output", case / "expected")
    assert got == _tree(case / "expected")
