"""Golden cases: each tests/data/golden/<case>/seeds is built with a fixed clock and fixed file times into a folder.

Shared by the test (``tests/test_golden.py``, which compares with ``<case>/expected``) and the regeneration
command (``python tests/regen_golden.py``), which is never a test: a test that wrote its own expectation
would compare the output with itself.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once

from tests.conftest import FIXED_NOW

GOLDEN = Path(__file__).parent / "data" / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())
MTIME0 = datetime(2025, 1, 15, 6, 0, tzinfo=UTC)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_case(case: Path, work: Path) -> Path:
    """Build ``case``'s seeds in ``work`` (an empty folder); returns the output folder."""
    shutil.copytree(case / "seeds", work / "seeds")
    for i, path in enumerate(sorted(p for p in (work / "seeds").rglob("*") if p.is_file())):
        stamp = (MTIME0 + timedelta(hours=i)).timestamp()
        os.utime(path, (stamp, stamp))
    config = load(None, Overrides(base_url="https://example.org/feeds/", title="Golden"), work)
    run_once(config, FIXED_NOW)
    return work / "output"
