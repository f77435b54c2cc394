"""Golden output: each tests/data/golden/<case>/seeds is built with a fixed clock and compared byte for byte
with <case>/expected. A new case is just new files. Regenerate with ``python tests/regen_golden.py`` (a
separate command, never this test) and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.golden import CASES, build_case, tree


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path):
    if os.environ.get("SEEDFEED_REGEN"):
        pytest.fail("SEEDFEED_REGEN no longer regenerates the golden files: run python tests/regen_golden.py")
    assert tree(build_case(case, tmp_path)) == tree(case / "expected")
